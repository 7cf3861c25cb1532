// Router: maps (method, path) to a handler, and enforces who may call it.
//
// Every route names the roles allowed to call it; an empty list means public. Dispatch
// authenticates the caller (cookie session or bearer token, through the Authenticator,
// which also refuses a cookie-authenticated write without the session's X-CSRF-Token),
// answers 401 when a protected route has no caller, 403 when the role is not allowed,
// 404/405 when nothing matches. Every answer gets the security headers (nosniff, no
// referrer; a policy for HTML; no-store for an authenticated caller; HSTS when enabled). Patterns are literal segments and parameters: "/api/v1/incidents/{id}",
// "/open311/v2/requests/{id}.json" (a parameter may carry a literal suffix).
//
// Thread-safety: Add() only before serving; Dispatch() from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/http.h"

namespace gb::http {

// A handler runs on one of the server's I/O threads, which it must not hold up, unless its
// Route is `blocking`: then on the server's bounded pool, where it may hash a password,
// decode an image or wait for a commit (api/server.h). Either way several run at once.
using Handler = std::function<Response(Request&)>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The caller behind the request's cookie or Authorization header, or nullopt. Returns an
  // error Status for a presented but invalid credential (unknown token), and Forbidden for
  // a write that a cookie authenticates without the matching CSRF token.
  virtual Result<std::optional<Principal>> Authenticate(const Request& req) = 0;
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<Role> roles;  // empty: public
  Handler handler;
  std::string summary;      // one line for the OpenAPI document
  std::vector<std::string> segments;
  // Whether the handler may block (hash a password, decode an image, wait for a commit's
  // fsync): the server runs such handlers on its bounded pool, the others on an I/O thread.
  // Add() sets it for every method but GET; a GET that writes sets it too.
  bool blocking = false;
};

class Router {
 public:
  // Returns the route, so that a caller may mark a GET `blocking` (valid until the next Add).
  Route& Add(std::string method, std::string pattern, std::vector<Role> roles, Handler handler,
             std::string summary = "");
  // Serves GET requests that match no route (static files). Public.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  void SetAuthenticator(Authenticator* auth) { auth_ = auth; }
  // Adds Strict-Transport-Security to every answer (when the hub is served over HTTPS).
  void SetStrictTransportSecurity(bool on) { strict_transport_security_ = on; }

  // Runs the request through matching, authentication, authorisation and the handler.
  // *route_template receives the matched pattern (or "unmatched"), for metrics labels.
  Response Dispatch(Request& req, std::string* route_template) const;

  // Whether Dispatch(req) runs a blocking handler (Route::blocking); false when nothing
  // matches (a 404, a 405, or a static file).
  bool Blocking(const Request& req) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  Response DispatchUnsecured(Request& req, std::string* route_template) const;
  const Route* Find(std::string_view method, const std::vector<std::string>& segments) const;

  std::vector<Route> routes_;
  Handler fallback_;
  Authenticator* auth_ = nullptr;
  bool strict_transport_security_ = false;
};

}  // namespace gb::http
