#include "api/rest/config.h"

#include <mutex>

#include "api/rest/common.h"
#include "district/persist.h"

namespace gb::rest {
namespace {

// Admin changes are rare; one at a time keeps "validate against the current district,
// then store and publish" free of lost updates.
std::mutex config_mu;

http::Response Change(HubContext& ctx, const http::Request& req, ConfigKind kind, const std::string& id,
                      const std::optional<ConfigDoc>& doc) {
  std::lock_guard lock(config_mu);
  District next = ctx.catalog.Get()->district;
  Status s = doc ? ApplyConfigDoc(next, *doc) : RemoveConfigDoc(next, kind, id);
  if (!s.ok()) return http::ErrorFor(s);
  auto catalog = Catalog::Build(next);
  if (!catalog.ok()) return http::ErrorFor(catalog.status());
  s = ValidateDistrict(next);
  if (!s.ok()) return http::ErrorFor(s);
  s = ctx.store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(doc ? txn.PutConfig(*doc) : txn.DeleteConfig(kind, id));
    AuditEntry e{0, ctx.env->NowMs(), req.principal->name, doc ? "config.put" : "config.delete",
                 std::string(ConfigKindName(kind)) + "/" + id, "", doc ? doc->json : "{}"};
    return txn.AppendAudit(e);
  });
  if (!s.ok()) return http::ErrorFor(s);
  ctx.catalog.Publish(std::move(*catalog));
  if (kind == ConfigKind::kSla) {
    // Open incidents take the new deadlines now, not at the next check.
    auto restarted = ctx.incidents.RestartSlaClocks();
    if (!restarted.ok()) return http::ErrorFor(WithContext(restarted.status(), "the SLAs are stored, but"));
  }
  if (!doc) return http::Json(204, "");
  return http::Json(200, doc->json);
}

}  // namespace

void RegisterConfigRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> desk = {Role::kAdmin, Role::kDispatcher};
  const std::vector<Role> staff = {Role::kAdmin, Role::kDispatcher, Role::kCrew, Role::kPrivacyOfficer,
                                   Role::kAuditor};
  struct Kind {
    const char* path;
    ConfigKind kind;
    const std::vector<Role>& readers;
  };
  const std::vector<Kind> kinds = {{"areas", ConfigKind::kArea, desk},
                                   {"cameras", ConfigKind::kCamera, desk},
                                   {"departments", ConfigKind::kDepartment, desk},
                                   {"routing-rules", ConfigKind::kRoutingRule, desk},
                                   {"services", ConfigKind::kService, desk},
                                   {"sensors", ConfigKind::kSensor, desk},
                                   {"slas", ConfigKind::kSla, desk},
                                   {"response-templates", ConfigKind::kResponseTemplate, staff},
                                   {"evidence-purposes", ConfigKind::kEvidencePurpose, desk}};
  const std::vector<Role> admin = {Role::kAdmin};
  for (const auto& [name, kind, readers] : kinds) {
    std::string base = std::string("/api/v1/") + name;
    std::string what = name;
    router.Add("GET", base, readers, [&ctx, kind = kind](http::Request&) {
      auto docs = ctx.store.ListConfig(kind);
      if (!docs.ok()) return http::ErrorFor(docs.status());
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& doc : *docs) arr.push_back(ConfigDocToJson(doc));
      return http::Json(200, Page(std::move(arr), std::nullopt));
    }, "List " + what);
    router.Add("GET", base + "/{id}", readers, [&ctx, kind = kind](http::Request& req) {
      auto read = ctx.store.GetConfig(kind, req.Param("id"));
      if (!read.ok()) return http::ErrorFor(read.status());
      const std::optional<ConfigDoc>& doc = *read;
      if (!doc) return http::JsonError(404, "no " + std::string(ConfigKindName(kind)) + " '" + req.Param("id") + "'");
      return http::Json(200, doc->json);  // stored as the compact dump already
    }, "One of the " + what);
    router.Add("PUT", base + "/{id}", admin, Idempotent(ctx, [&ctx, kind = kind](http::Request& req) {
      auto body = JsonBody(req, ctx.settings.limits.max_json_body_bytes);
      if (!body.ok()) return http::ErrorFor(body.status());
      auto doc = ToConfigDoc(kind, *body);
      if (!doc.ok()) return http::ErrorFor(doc.status());
      if (doc->id != req.Param("id"))
        return http::JsonError(400, "the id in the body ('" + doc->id + "') differs from the path ('" +
                                        req.Param("id") + "')");
      return Change(ctx, req, kind, doc->id, *doc);
    }), "Create or replace one of the " + what + " (admin)");
    router.Add("DELETE", base + "/{id}", admin, [&ctx, kind = kind](http::Request& req) {
      return Change(ctx, req, kind, req.Param("id"), std::nullopt);
    }, "Delete one of the " + what + " (admin)");
  }
}

}  // namespace gb::rest
