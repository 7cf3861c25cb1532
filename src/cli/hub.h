// Hub: wires the store, the catalog, the services and the HTTP routes into one serving
// process (`glassbrain serve` and `glassbrain demo`). Owns every component; they live as
// long as the Hub.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "api/context.h"
#include "api/server.h"
#include "incidents/service.h"

namespace gb {

// [mqtt] (docs/config.md): events arrive from a broker as well as over HTTP.
struct MqttSettings {
  std::string url;            // mqtt://HOST[:PORT]; empty: no MQTT
  std::string client_id;      // empty: glassbrain-<hostname>-<listen port>
  std::string username;       // empty: anonymous
  std::string password_file;  // the password, alone in a file (its trailing newline dropped)
  int keepalive_s = 30;
};

struct HubOptions {
  std::string store_url;                 // "sqlite:PATH"
  std::string evidence_dir;              // default: next to the SQLite file, "<file>.evidence"
  std::string web_dir;                   // static files served at /
  http::ServerOptions server;
  ApiSettings api;
  CorrelationOptions correlation;
  MqttSettings mqtt;
  int purge_interval_minutes = 60;       // 0: only `glassbrain purge` removes old data
  std::chrono::milliseconds sla_check_interval{30'000};  // how often overdue incidents are looked for
  bool secure_cookies = false;           // mark session cookies Secure (serving over HTTPS)
  std::chrono::minutes session_idle{30};  // a session unused this long ends (ASVS 3.3.2)
};

class Hub {
 public:
  // Opens the store and loads the district from it. Fails when the store holds no
  // district yet (import one with `glassbrain demo` or the admin API first).
  static Result<std::unique_ptr<Hub>> Open(HubOptions options, Env* env = Env::Default());
  ~Hub();

  // Binds the listening socket. Where open311.public_base_url is not set, it is derived
  // from the bound address (PublicBaseUrlFor), with a warning when that is not loopback.
  Status Listen();
  std::uint16_t port() const;
  void Run();                 // serves until Stop() or SIGTERM/SIGINT
  void Stop();

  Store& store();
  IncidentService& incidents();
  CatalogHolder& catalog();
  // Every route, as the server dispatches to them: lets requests reach the handlers without
  // a socket (the HTTP fuzz targets feed parsed bytes to it). Dispatch() from any thread.
  const http::Router& router() const;

 private:
  Hub() = default;
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// "<sqlite path>.evidence" for "sqlite:PATH".
std::string DefaultEvidenceDir(const std::string& store_url);

// The address residents reach a hub on that listens on host:port, as far as the address
// tells: "http://HOST:PORT", with "localhost" for a wildcard address (0.0.0.0, ::) and
// IPv6 addresses in brackets.
std::string PublicBaseUrlFor(const std::string& host, std::uint16_t port);
// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace gb
