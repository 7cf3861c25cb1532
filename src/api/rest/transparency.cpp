#include "api/rest/transparency.h"

#include <map>
#include <memory>
#include <mutex>

#include "api/document_cache.h"
#include "api/rest/common.h"
#include "api/rest/requests.h"

namespace gb::rest {
namespace {

using nlohmann::json;

// A month's figures are counted from the audit log again at most this often.
constexpr TimeMs kStatsRecountMs = 60'000;

// The district's purposes, and "other" (what a read without purpose_code counts as) when
// the district does not define it.
std::vector<EvidencePurpose> Purposes(const District& d) {
  std::vector<EvidencePurpose> out = d.purposes;
  if (!d.FindPurpose(kOtherPurpose)) out.push_back({std::string(kOtherPurpose), "Other"});
  return out;
}

Result<json> MonthStats(HubContext& ctx, const MonthRange& month) {
  AuditTallyQuery views{month.range.from, month.range.to, 0, {"evidence.read"}, "purpose_code"};
  auto by_purpose = ctx.store.TallyAudit(views);
  if (!by_purpose.ok()) return by_purpose.status();
  AuditTallyQuery activity{month.range.from, month.range.to, 0,
                           {"report.submit", "incident.create", "incident.split", "incident.transition",
                            "incident.reopen"},
                           "to"};
  auto acts = ctx.store.TallyAudit(activity);
  if (!acts.ok()) return acts.status();

  std::map<std::string, std::int64_t> counts;  // by purpose code
  std::int64_t total = 0;
  for (const auto& t : *by_purpose) {
    counts[t.value.empty() ? std::string(kOtherPurpose) : t.value] += t.count;
    total += t.count;
  }
  json purposes = json::array();
  for (const auto& p : Purposes(ctx.catalog.Get()->district)) {
    purposes.push_back({{"code", p.code}, {"label", p.label}, {"count", counts[p.code]}});
    counts.erase(p.code);
  }
  for (const auto& [code, n] : counts) purposes.push_back({{"code", code}, {"label", code}, {"count", n}});  // retired

  std::int64_t reports = 0, opened = 0, resolved = 0, reopened = 0;
  for (const auto& t : *acts) {
    if (t.action == "report.submit") reports += t.count;
    if (t.action == "incident.create" || t.action == "incident.split") opened += t.count;
    if (t.action == "incident.transition" && t.value == "resolved") resolved += t.count;
    if (t.action == "incident.reopen") reopened += t.count;
  }
  return json{{"month", month.month},
              {"from", FormatRfc3339(month.range.from)},
              {"to", FormatRfc3339(month.range.to)},
              {"evidence_views", {{"total", total}, {"by_purpose", std::move(purposes)}}},
              {"reports", reports},
              {"incidents_opened", opened},
              {"incidents_resolved", resolved},
              {"reopened", reopened}};
}

}  // namespace

void RegisterTransparencyRoutes(http::Router& router, HubContext& ctx) {
  auto documents = std::make_shared<http::DocumentCache>();
  router.Add("GET", "/api/v1/public/purposes", {}, [&ctx, documents](http::Request& req) {
    return documents->Serve(req, "purposes", {ctx.catalog.revision(), 0}, http::kDistrictDocumentMaxAge, [&] {
      json items = json::array();
      for (const auto& p : Purposes(ctx.catalog.Get()->district)) items.push_back({{"code", p.code}, {"label", p.label}});
      return http::Json(200, json{{"items", std::move(items)}}.dump());
    });
  }, "The purposes staff state when they look at evidence: {\"items\": [{\"code\", \"label\"}]}");

  router.Add("GET", "/api/v1/public/audit-head", {}, [&ctx](http::Request&) {
    auto chain = ctx.store.GetAuditChain();
    if (!chain.ok()) return http::ErrorFor(chain.status());
    json head{{"hash", chain->head_hash}, {"entries", chain->entries}, {"purged", chain->purged}};
    head["at"] = chain->head_at != 0 ? json(FormatRfc3339(chain->head_at)) : json(nullptr);
    return http::Json(200, head.dump());
  }, "The audit log's head: the SHA-256 chain's newest hash, how many entries it holds (purged ones included) and "
     "the newest entry's time; `glassbrain audit verify` checks the chain against it");

  router.Add("GET", "/api/v1/public/stats", {}, [&ctx, documents](http::Request& req) {
    // Counted again once a minute (they read a month of the audit log), per query string.
    const http::DocumentCache::Revision revision{ctx.catalog.revision(),
                                                 static_cast<std::uint64_t>(ctx.env->NowMs() / kStatsRecountMs)};
    return documents->Serve(req, "stats?" + req.query, revision, http::kDistrictDocumentMaxAge, [&] {
      auto q = Query(req);
      if (!q.ok()) return http::ErrorFor(q.status());
      auto month = ParseMonth(*q, ctx.env->NowMs(), ctx.catalog.Get()->district.utc_offset_minutes);
      if (!month.ok()) return http::ErrorFor(month.status());
      auto stats = MonthStats(ctx, *month);
      if (!stats.ok()) return http::ErrorFor(stats.status());
      return http::Json(200, stats->dump());
    });
  }, "One month's counts (month=YYYY-MM, default last month): evidence views per purpose, reports, incidents "
     "opened, resolved and reopened");
}

}  // namespace gb::rest
