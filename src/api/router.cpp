#include "api/router.h"

#include <algorithm>
#include <cctype>

namespace gb::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 1;  // paths start with '/'
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

// Matches one path segment against "{name}suffix" or a literal.
bool MatchSegment(const std::string& pattern, const std::string& segment, std::map<std::string, std::string, std::less<>>* params) {
  if (pattern.empty() || pattern[0] != '{') return pattern == segment;
  size_t close = pattern.find('}');
  std::string_view suffix = std::string_view(pattern).substr(close + 1);
  if (segment.size() <= suffix.size() || !segment.ends_with(suffix)) return false;
  if (params) (*params)[pattern.substr(1, close - 1)] = segment.substr(0, segment.size() - suffix.size());
  return true;
}

// The method a route is registered under: HEAD is answered by the GET route.
std::string_view RouteMethod(const Request& req) {
  return req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
}

bool Match(const Route& route, const std::vector<std::string>& segments, std::map<std::string, std::string, std::less<>>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i)
    if (!MatchSegment(route.segments[i], segments[i], params)) return false;
  return true;
}

// What every answer carries (ASVS 14.4): no content sniffing, no referrer; HTML a strict
// policy unless its handler set its own (the pages do, with what MapLibre needs); answers to
// an authenticated caller are never cached, since they hold what only that caller may see.
bool SameHeaderName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void AddSecurityHeaders(Response& resp, bool authenticated, bool hsts) {
  auto has = [&](std::string_view name) {
    return std::any_of(resp.headers.begin(), resp.headers.end(), [&](const auto& h) { return SameHeaderName(h.first, name); });
  };
  if (!has("x-content-type-options")) resp.SetHeader("X-Content-Type-Options", "nosniff");
  if (!has("referrer-policy")) resp.SetHeader("Referrer-Policy", "no-referrer");
  if (resp.content_type.starts_with("text/html") && !has("content-security-policy"))
    resp.SetHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'");
  if (authenticated) {
    std::erase_if(resp.headers, [](const auto& h) { return SameHeaderName(h.first, "cache-control"); });
    resp.SetHeader("Cache-Control", "no-store");
  }
  if (hsts && !has("strict-transport-security"))
    resp.SetHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

}  // namespace

Route& Router::Add(std::string method, std::string pattern, std::vector<Role> roles, Handler handler,
                   std::string summary) {
  Route r{std::move(method), std::move(pattern), std::move(roles), std::move(handler), std::move(summary), {}};
  r.segments = Split(r.pattern);
  r.blocking = r.method != "GET";
  routes_.push_back(std::move(r));
  return routes_.back();
}

const Route* Router::Find(std::string_view method, const std::vector<std::string>& segments) const {
  for (const auto& r : routes_)
    if (r.method == method && Match(r, segments, nullptr)) return &r;
  return nullptr;
}

bool Router::Blocking(const Request& req) const {
  const Route* route = Find(RouteMethod(req), Split(req.path));
  return route && route->blocking;
}

Response Router::Dispatch(Request& req, std::string* route_template) const {
  Response resp = DispatchUnsecured(req, route_template);
  AddSecurityHeaders(resp, req.principal.has_value(), strict_transport_security_);
  return resp;
}

Response Router::DispatchUnsecured(Request& req, std::string* route_template) const {
  *route_template = "unmatched";
  auto segments = Split(req.path);
  const Route* route = nullptr;
  std::string allowed;
  std::string_view method = RouteMethod(req);
  for (const auto& r : routes_) {
    if (!Match(r, segments, nullptr)) continue;
    if (r.method == method) {
      route = &r;
      break;
    }
    if (allowed.find(r.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + r.method;
  }
  if (!route) {
    if (!allowed.empty()) {
      Response resp = JsonError(405, "method " + req.method + " is not allowed here; allowed: " + allowed);
      resp.SetHeader("Allow", allowed);
      return resp;
    }
    if (fallback_ && method == "GET") {
      *route_template = "static";
      return fallback_(req);
    }
    return JsonError(404, "no such endpoint: " + req.path);
  }
  *route_template = route->pattern;
  req.params.clear();
  Match(*route, segments, &req.params);

  if (auth_) {
    auto who = auth_->Authenticate(req);
    if (!who.ok()) return ErrorFor(who.status());
    req.principal = std::move(who.value());
  }
  if (!route->roles.empty()) {
    if (!req.principal) return JsonError(401, "sign in first: this endpoint needs one of the staff roles");
    if (std::find(route->roles.begin(), route->roles.end(), req.principal->role) == route->roles.end())
      return JsonError(403, "the role " + std::string(RoleName(req.principal->role)) + " may not do this");
  }
  return route->handler(req);
}

}  // namespace gb::http
