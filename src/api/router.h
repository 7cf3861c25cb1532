// Router: maps (method, path) to a handler, and enforces who may call it.
//
// Every route names the roles allowed to call it; an empty list means public. Dispatch
// authenticates the caller (cookie session or bearer token, through the Authenticator),
// answers 401 when a protected route has no caller, 403 when the role is not allowed or
// a cookie-authenticated write lacks the session's X-CSRF-Token, 404/405 when nothing
// matches. Patterns are literal segments and parameters: "/api/v1/incidents/{id}",
// "/open311/v2/requests/{id}.json" (a parameter may carry a literal suffix).
//
// Thread-safety: Add() only before serving; Dispatch() from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/http.h"

namespace gb::http {

using Handler = std::function<Response(Request&)>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The caller behind the request's cookie or Authorization header, or nullopt. Returns an
  // error Status for a presented but invalid credential (expired session, unknown token).
  virtual Result<std::optional<Principal>> Authenticate(const Request& req) = 0;
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<Role> roles;  // empty: public
  Handler handler;
  std::string summary;      // one line for the OpenAPI document
  std::vector<std::string> segments;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, std::vector<Role> roles, Handler handler,
           std::string summary = "");
  // Serves GET requests that match no route (static files). Public.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  void SetAuthenticator(Authenticator* auth) { auth_ = auth; }

  // Runs the request through matching, authentication, authorisation and the handler.
  // *route_template receives the matched pattern (or "unmatched"), for metrics labels.
  Response Dispatch(Request& req, std::string* route_template) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
  Authenticator* auth_ = nullptr;
};

}  // namespace gb::http
