#include "api/rest/privacy.h"

#include "api/rest/common.h"
#include "api/rest/requests.h"

namespace gb::rest {

void RegisterPrivacyRoutes(http::Router& router, HubContext& ctx) {
  router.Add("GET", "/api/v1/evidence/{ref}",
             {Role::kAdmin, Role::kDispatcher, Role::kCrew, Role::kPrivacyOfficer}, [&ctx](http::Request& req) {
    const std::string& ref = req.Param("ref");
    if (!EvidenceStore::IsValidRef(ref)) return http::JsonError(400, "evidence is named sha256:<64 hex digits>");
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    auto purpose = http::FormValue(*q, "purpose");
    if (!purpose || purpose->size() < 5 || purpose->size() > 500)
      return http::JsonError(400, "say why you look at this evidence: purpose=… (5 to 500 characters)");
    const std::string code = http::FormValue(*q, "purpose_code").value_or(std::string(kOtherPurpose));
    if (code != kOtherPurpose && !ctx.catalog.Get()->district.FindPurpose(code))
      return http::JsonError(400, "unknown purpose_code '" + code + "'; GET /api/v1/public/purposes lists them");
    auto record = ctx.store.GetEvidence(ref);  // the name an event gave it may be an alias
    if (!record.ok()) return http::ErrorFor(record.status());
    if (!*record) return http::JsonError(404, "no evidence " + ref);
    auto bytes = ctx.evidence.Read((*record)->hash);
    if (!bytes.ok()) return http::JsonError(404, "the evidence file is gone (purged?)");
    Status s = ctx.store.Write([&](WriteTxn& txn) {
      AuditEntry e{0, ctx.env->NowMs(), req.principal->name, "evidence.read", "evidence/" + ref, *purpose,
                   nlohmann::json{{"role", RoleName(req.principal->role)}, {"purpose_code", code}}.dump()};
      return txn.AppendAudit(e);
    });
    if (!s.ok()) return http::ErrorFor(s);  // no audit, no evidence
    http::Response r;
    r.content_type = "image/jpeg";
    r.body = std::move(*bytes);
    r.SetHeader("Cache-Control", "no-store");
    return r;
  }, "Read an evidence image; requires ?purpose=… and takes ?purpose_code=… (default other); written to the audit "
     "log").blocking = true;  // it commits the audit entry before it answers

  router.Add("GET", "/api/v1/audit", {Role::kPrivacyOfficer, Role::kAuditor}, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    AuditFilter f;
    if (auto v = http::FormValue(*q, "actor")) f.actor = *v;
    if (auto v = http::FormValue(*q, "action")) f.action_prefix = *v;
    if (auto v = http::FormValue(*q, "object")) f.object = *v;
    for (auto [key, target] : {std::pair{"from", &f.from}, std::pair{"to", &f.to}})
      if (auto v = http::FormValue(*q, key)) {
        auto t = ParseRfc3339(*v);
        if (!t) return http::JsonError(400, std::string(key) + " must be an RFC 3339 time");
        *target = *t;
      }
    auto cursor = IntParam(*q, "cursor", 0, 0, INT64_MAX);
    auto limit = IntParam(*q, "limit", 100, 1, 1000);
    if (!cursor.ok()) return http::ErrorFor(cursor.status());
    if (!limit.ok()) return http::ErrorFor(limit.status());
    f.before_id = *cursor;
    f.limit = static_cast<int>(*limit);
    auto entries = ctx.store.ListAudit(f);
    if (!entries.ok()) return http::ErrorFor(entries.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : *entries) {
      nlohmann::json detail = nlohmann::json::parse(e.detail, nullptr, false);
      arr.push_back({{"id", e.id}, {"at", FormatRfc3339(e.at)}, {"actor", e.actor}, {"action", e.action},
                     {"object", e.object}, {"purpose", e.purpose},
                     {"detail", detail.is_discarded() ? nlohmann::json(e.detail) : detail}});
    }
    std::optional<std::int64_t> next;
    if (static_cast<int>(entries->size()) == f.limit && !entries->empty()) next = entries->back().id;
    return http::Json(200, Page(std::move(arr), next));
  }, "The audit log, newest first; filters: actor, action (prefix), object, from, to, cursor, limit");
}

}  // namespace gb::rest
