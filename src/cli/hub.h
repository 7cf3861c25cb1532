// Hub: wires the store, the catalog, the services and the HTTP routes into one serving
// process (`glassbrain serve` and `glassbrain demo`). Owns every component; they live as
// long as the Hub.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/context.h"
#include "api/server.h"
#include "incidents/service.h"

namespace gb {

struct HubOptions {
  std::string store_url;                 // "sqlite:PATH"
  std::string evidence_dir;              // default: next to the SQLite file, "<file>.evidence"
  std::string web_dir;                   // static files served at /
  http::ServerOptions server;
  ApiSettings api;
  CorrelationOptions correlation;
  int purge_interval_minutes = 60;       // 0: only `glassbrain purge` removes old data
  bool secure_cookies = false;           // mark session cookies Secure (serving over HTTPS)
};

class Hub {
 public:
  // Opens the store and loads the district from it. Fails when the store holds no
  // district yet (import one with `glassbrain demo` or the admin API first).
  static Result<std::unique_ptr<Hub>> Open(HubOptions options, Env* env = Env::Default());
  ~Hub();

  Status Listen();            // binds the listening socket
  std::uint16_t port() const;
  void Run();                 // serves until Stop() or SIGTERM/SIGINT
  void Stop();

  Store& store();
  IncidentService& incidents();
  CatalogHolder& catalog();

 private:
  Hub() = default;
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Deletes data past its retention (per the district's settings and each service's
// retention_days), evidence files included. Shared by `glassbrain purge` and the hub's
// periodic job.
Result<PurgeResult> PurgeExpired(Store& store, const District& district, const std::string& evidence_dir, Env* env);

// "<sqlite path>.evidence" for "sqlite:PATH".
std::string DefaultEvidenceDir(const std::string& store_url);

}  // namespace gb
