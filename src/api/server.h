// Server: the HTTP/1.1 front of the hub on Boost.Beast, with C++20 coroutines on a few I/O
// threads (one per core by default). Keep-alive; requests on one connection are answered in
// order (pipelining-safe); Server-Sent Events for responses that carry a Stream. Stop() (or
// SIGTERM/SIGINT) stops accepting, lets requests in flight finish for up to the grace
// period, ends live streams and returns from Run().
//
// Under load and against slow or hostile clients (every limit is in ServerOptions):
//  - at most max_connections at once; the next gets a short 503 with Retry-After and is
//    closed. When the process runs out of descriptors (EMFILE) accepting pauses briefly
//    instead of spinning, and the connections it has are served on;
//  - a request head must arrive within header_timeout of its first byte, and a body must
//    keep up min_body_rate_bytes_s after body_grace; such a client gets 408 and is closed.
//    A response the client does not take within write_timeout is dropped with the connection;
//  - handlers that block (Route::blocking: password hashing, image decoding, waiting for a
//    commit) run on a bounded pool of blocking_threads, so the I/O threads stay free: the
//    health probe answers at once while sign-ins and photo uploads are in flight;
//  - a stream holds at most stream_budget_bytes unsent for its client; a read stays pending
//    on it, so a client that leaves is noticed at once and freed.
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

#include "api/limits.h"
#include "api/router.h"
#include "core/status.h"

namespace gb::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;     // 0: any free port (see Server::port())
  int threads = 0;               // I/O threads; 0: one per hardware thread (at least 2)
  int blocking_threads = 0;      // the pool for blocking handlers; 0: four per hardware thread
  std::size_t max_connections = 4096;
  // The hub sets these two from its Limits (api/limits.h), where their defaults are stated.
  std::size_t max_body_bytes = Limits{}.max_body_bytes;
  std::size_t max_header_bytes = Limits{}.max_header_bytes;
  std::chrono::seconds idle_timeout{60};    // keep-alive: waiting for a request's first byte
  std::chrono::seconds header_timeout{10};  // a whole request head, from its first byte
  std::chrono::seconds body_grace{10};      // a body may arrive at any rate this long, then
  std::size_t min_body_rate_bytes_s = 1024;  // its average rate must stay above this
  std::chrono::seconds write_timeout{30};   // a response, or a stream's next piece, taken by the client
  std::chrono::seconds stream_keep_alive{15};   // a quiet stream sends a comment this often
  std::size_t stream_budget_bytes = 64u << 10;  // unsent bytes held for one stream's client
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

  // Connections open now, streams among them (for the metrics and tests).
  std::size_t open_connections() const;
  std::size_t open_streams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::http
