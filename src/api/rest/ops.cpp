#include "api/rest/ops.h"

#include <nlohmann/json.hpp>

#include "api/metrics.h"

namespace gb::rest {

void RegisterOpsRoutes(http::Router& router, HubContext& ctx) {
  router.Add("GET", "/healthz", {}, [](http::Request&) {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok\n";
    return r;
  }, "Liveness: the process answers");
  router.Add("GET", "/readyz", {}, [&ctx](http::Request&) {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    bool ok = ctx.store.Ping();
    r.status = ok ? 200 : 503;
    r.body = ok ? "ready\n" : "store unavailable\n";
    return r;
  }, "Readiness: the store answers");
  router.Add("GET", "/metrics", {}, [&ctx](http::Request&) {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics.Render();
    return r;
  }, "Prometheus metrics");
}

std::string OpenApiDocument(const http::Router& router) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& route : router.routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    nlohmann::json op = {{"summary", route.summary}};
    nlohmann::json params = nlohmann::json::array();
    for (const auto& seg : route.segments)
      if (!seg.empty() && seg[0] == '{')
        params.push_back({{"name", seg.substr(1, seg.find('}') - 1)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    if (route.roles.empty()) {
      op["security"] = nlohmann::json::array();
    } else {
      nlohmann::json roles = nlohmann::json::array();
      for (Role r : route.roles) roles.push_back(RoleName(r));
      op["x-roles"] = roles;
      op["security"] = nlohmann::json::array({{{"session", nlohmann::json::array()}}, {{"bearer", nlohmann::json::array()}}});
    }
    op["responses"] = {{"default", {{"description", "JSON; errors are {\"error\": {\"status\", \"message\"}}"}}}};
    std::string path;
    for (const auto& seg : route.segments) {
      path += "/";
      // OpenAPI has no suffix parameters; "{id}.json" stays as written, which tools accept.
      path += seg;
    }
    paths[path][method] = std::move(op);
  }
  nlohmann::json doc = {
      {"openapi", "3.1.0"},
      {"info", {{"title", "Glassbrain hub API"}, {"version", "0.1.0"},
                {"description", "District operations hub: incidents, routing, dispatch, evidence, audit."}}},
      {"components",
       {{"securitySchemes",
         {{"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "gb_session"}}},
          {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
      {"paths", std::move(paths)}};
  return doc.dump(2);
}

}  // namespace gb::rest
