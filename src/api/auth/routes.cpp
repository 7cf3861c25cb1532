#include "api/auth/routes.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_depth.h"
#include "core/time.h"

namespace gb::auth {
namespace {

const std::vector<Role> kStaffRoles = {Role::kAdmin, Role::kDispatcher, Role::kCrew, Role::kPrivacyOfficer,
                                       Role::kAuditor};
const std::vector<Role> kAllRoles = {Role::kAdmin,   Role::kDispatcher, Role::kCrew,       Role::kPrivacyOfficer,
                                     Role::kAuditor, Role::kEdge,       Role::kIntegration};

bool IsJsonContentType(std::string_view value) {
  std::string_view media = value.substr(0, value.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return media.size() == kJson.size() &&
         std::equal(media.begin(), media.end(), kJson.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

void NoStore(http::Response& resp) { resp.SetHeader("Cache-Control", "no-store"); }

http::Response Login(SessionAuthenticator& auth, std::size_t max_body_bytes, http::Request& req) {
  if (req.body.size() > max_body_bytes)
    return http::JsonError(413, "the sign-in body is too large: at most " + std::to_string(max_body_bytes) +
                                    " bytes");
  if (!IsJsonContentType(req.Header("content-type")))
    return http::JsonError(415, "send the sign-in as Content-Type: application/json");

  if (Status deep = CheckJsonNesting(req.body); !deep.ok()) return http::ErrorFor(deep);
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    return http::JsonError(400, "the body is not valid JSON (error at byte " + std::to_string(e.byte) +
                                    "); send {\"name\": \"…\", \"password\": \"…\"}");
  }
  if (!body.is_object())
    return http::JsonError(400, "the body must be a JSON object: {\"name\": \"…\", \"password\": \"…\"}");
  for (const char* field : {"name", "password"}) {
    auto it = body.find(field);
    if (it == body.end()) return http::JsonError(400, std::string("the field \"") + field + "\" is missing");
    if (!it->is_string()) return http::JsonError(400, std::string("the field \"") + field + "\" must be a string");
  }
  const auto& name = body["name"].get_ref<const std::string&>();
  const auto& password = body["password"].get_ref<const std::string&>();

  auto result = auth.Login(name, password, req.remote_address);
  if (!result.ok()) {
    http::Response resp = http::ErrorFor(result.status());
    if (result.status().code() == Code::kRateLimited) {
      auto wait = auth.rate_limiter().RetryAfter(name, req.remote_address);
      resp.SetHeader("Retry-After", std::to_string(std::max<long long>(1, (wait.count() + 999) / 1000)));
    }
    return resp;
  }
  nlohmann::json out = {{"name", result->name},
                        {"role", RoleName(result->role)},
                        {"csrf_token", result->csrf_token},
                        {"expires_at", FormatRfc3339(result->expires_at)}};
  http::Response resp = http::Json(200, out.dump());
  resp.SetHeader("Set-Cookie", result->set_cookie_header);
  NoStore(resp);
  return resp;
}

http::Response Logout(SessionAuthenticator& auth, http::Request& req) {
  auto cleared = auth.Logout(req);
  if (!cleared.ok()) return http::ErrorFor(cleared.status());
  http::Response resp;
  resp.status = 204;
  resp.content_type.clear();
  resp.SetHeader("Set-Cookie", *cleared);
  NoStore(resp);
  return resp;
}

http::Response WhoAmI(http::Request& req) {
  const http::Principal& p = *req.principal;  // the router guarantees one on a role-guarded route
  nlohmann::json out = {{"name", p.name}, {"role", RoleName(p.role)}};
  if (p.via_cookie) out["csrf_token"] = p.csrf_token;
  http::Response resp = http::Json(200, out.dump());
  NoStore(resp);
  return resp;
}

}  // namespace

void RegisterSessionRoutes(http::Router& router, SessionAuthenticator& auth, std::size_t max_login_body_bytes) {
  router.Add("POST", "/api/v1/session", {},
             [&auth, max_login_body_bytes](http::Request& req) { return Login(auth, max_login_body_bytes, req); },
             "Sign in with name and password; sets the session cookie and returns the CSRF token");
  router.Add("GET", "/api/v1/session", kAllRoles, [](http::Request& req) { return WhoAmI(req); },
             "Who the caller is (and the CSRF token of a cookie session)");
  router.Add("DELETE", "/api/v1/session", kStaffRoles, [&auth](http::Request& req) { return Logout(auth, req); },
             "Sign out: ends the session and clears the cookie");
}

}  // namespace gb::auth
