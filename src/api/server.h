// Server: the HTTP/1.1 front of the hub on Boost.Beast, with C++20 coroutines on a pool of
// threads (all cores by default). Keep-alive; requests on one connection are answered in
// order (pipelining-safe); header and body sizes are limited (413 before the body is read
// when Content-Length is too large); idle and read timeouts; Server-Sent Events for
// responses that carry a Stream. Stop() (or SIGTERM/SIGINT) stops accepting, lets requests
// in flight finish for up to the grace period, ends live streams and returns from Run().
//
// This is the only file that instantiates Beast's async I/O; handlers see api/http.h. How a
// request is read off the wire (limits, error answers, conversion) lives in api/wire.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/router.h"
#include "core/status.h"

namespace gb::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;     // 0: any free port (see Server::port())
  int threads = 0;               // 0: one per hardware thread (at least 2)
  std::size_t max_body_bytes = 10u << 20;
  std::size_t max_header_bytes = 16u << 10;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds shutdown_grace{10};
  bool handle_signals = true;   // SIGTERM/SIGINT trigger Stop()
  // Peers whose X-Forwarded-For names the client (a reverse proxy in front of the hub);
  // see http::ClientAddress.
  std::vector<std::string> trusted_proxies;
};

// Called after every response with the route template (never the raw path), the method,
// the status and the handling time, for metrics and access logs.
using RequestObserver = std::function<void(const std::string& route, const std::string& method, int status,
                                           double seconds)>;

class Server {
 public:
  Server(ServerOptions options, const Router& router, RequestObserver observer = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns Unavailable with the reason when the address is taken.
  Status Listen();
  // The bound port (after Listen()).
  std::uint16_t port() const;
  // Serves until Stop() or a signal. Blocks the calling thread (which serves too).
  void Run();
  // Thread-safe; may be called from a handler or another thread.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::http
