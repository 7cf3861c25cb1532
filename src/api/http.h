// The request and response types handlers see. They are plain values, free of Boost.Beast,
// so handler files compile fast and tests can call handlers without a socket. The server
// (server.cpp) converts to and from the wire.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"

namespace gb::http {

// Who is calling, once authenticated.
struct Principal {
  std::string name;
  Role role = Role::kCrew;
  bool via_cookie = false;  // cookie sessions need a CSRF token on writes
  std::string csrf_token;   // the session's token, when via_cookie
};

struct Request {
  std::string method;  // upper case: GET, POST, …
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path without the query
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
  // untrusted address in X-Forwarded-For (see ClientAddress). Rate limits key on it.
  std::string remote_address;

  // Set by the router before the handler runs.
  std::map<std::string, std::string, std::less<>> params;  // path parameters
  std::optional<Principal> principal;

  // The value of a header (name in lower case), or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  // A path parameter by name; "" when absent.
  const std::string& Param(std::string_view name) const;
};

// A live response (Server-Sent Events). After the head, the server writes what Next()
// returns, piece by piece, until Next() returns nullopt or the client goes away; when Next()
// has nothing, the server waits for the stream's wake call, sending a keep-alive comment
// after a quiet interval of its own choosing.
//
// Thread-safety: Start() and Next() run on an I/O thread, one call at a time for a stream;
// they must not block (a short indexed read of the store is allowed). The `wake` function
// given to Start() may be called from any thread, any number of times, also after the
// stream ended; it only schedules another Next().
class Stream {
 public:
  // A piece of the response, shared rather than copied: one encoded change goes to every
  // client that is to receive it.
  using Piece = std::shared_ptr<const std::string>;

  virtual ~Stream() = default;
  // Called once before the first Next(); the stream calls `wake` whenever Next() may have
  // something new.
  virtual void Start(std::function<void()> wake) = 0;
  // What to send now, in order: pieces that add up to about `budget` bytes (one piece may
  // be larger), so that no more than that is held unsent for one client. Empty: nothing now.
  // nullopt: the stream is over.
  virtual std::optional<std::vector<Piece>> Next(std::size_t budget) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<Stream> stream;  // set for Server-Sent Events; body is then ignored

  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// ---- helpers ----------------------------------------------------------------------------
// Percent-decodes (and turns '+' into ' ' when plus_is_space). Returns nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);
std::string PercentEncode(std::string_view s);

// Parses "a=1&b=x%20y&a=2" (application/x-www-form-urlencoded). Keys may repeat.
using Params = std::vector<std::pair<std::string, std::string>>;
std::optional<Params> ParseForm(std::string_view s);
// The first value of `key`, or nullopt.
std::optional<std::string> FormValue(const Params& p, std::string_view key);

// A JSON error body {"error": {"code": …, "message": …}} with the status for `s`. Bytes of
// `message` that are not UTF-8 are sent as U+FFFD.
Response JsonError(int status, std::string_view message);
// 503 for Unavailable, 507 for NoSpace (the disk is full), and so on (see http.cpp).
int HttpStatusFor(Code code);
// The error answer for `s` (docs/api.md, "Errors"): JsonError with ClientMessage(s), and
// SetRetryAfter.
Response ErrorFor(const Status& s);
// What a client is told about `s`: its message for a 4xx; for a 5xx (the store or the disk
// failing, a bug) a fixed sentence that names no server path nor internal detail, while the
// message itself is logged.
std::string ClientMessage(const Status& s);
// Sets Retry-After on an answer to `s` when waiting may help: Unavailable and NoSpace.
void SetRetryAfter(Response& r, const Status& s);
Response Json(int status, std::string body);

// The address of the client behind `peer`. A peer that is not in `trusted_proxies` is the
// client (its X-Forwarded-For could say anything). Otherwise X-Forwarded-For is read from
// the right, the end written by the proxies nearest to us, skipping trusted proxies; the first
// other address is the client. When every address is trusted, or the header is absent or
// malformed, the leftmost trusted address nearest the client counts (the peer if none).
std::string ClientAddress(std::string_view peer, std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies);

}  // namespace gb::http
