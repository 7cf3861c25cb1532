#include "api/rest/desk.h"

#include <algorithm>
#include <map>

#include "api/rest/common.h"
#include "api/rest/requests.h"

namespace gb::rest {
namespace {

using nlohmann::json;

constexpr TimeMs kHour = 3'600'000;

json CountsObject(const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  json out = json::object();
  for (const auto& [key, n] : counts) out[key] = n;
  return out;
}

// The median of `values`, or null when there are none.
json MedianSeconds(std::vector<TimeMs> values) {
  if (values.empty()) return nullptr;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  const double ms = values.size() % 2 ? static_cast<double>(values[mid])
                                      : (static_cast<double>(values[mid - 1]) + static_cast<double>(values[mid])) / 2;
  return std::llround(ms / 1000);
}

http::Response Stats(HubContext& ctx, const http::Request& req) {
  auto q = Query(req);
  if (!q.ok()) return http::ErrorFor(q.status());
  auto range = ParseStatsRange(*q, ctx.env->NowMs(), ctx.catalog.Get()->district.utc_offset_minutes);
  if (!range.ok()) return http::ErrorFor(range.status());
  auto open = ctx.store.CountOpenIncidents();
  if (!open.ok()) return http::ErrorFor(open.status());
  auto durations = ctx.store.ResolveDurations(range->from, range->to);
  if (!durations.ok()) return http::ErrorFor(durations.status());
  AuditTallyQuery hourly{range->from, range->to, kHour, {"incident.create", "incident.split", "incident.transition"},
                         "to"};
  auto tally = ctx.store.TallyAudit(hourly);
  if (!tally.ok()) return http::ErrorFor(tally.status());
  std::map<TimeMs, std::pair<std::int64_t, std::int64_t>> by_hour;  // opened, resolved
  for (const auto& t : *tally) {
    if (t.action != "incident.transition") by_hour[t.bucket].first += t.count;
    else if (t.value == "resolved") by_hour[t.bucket].second += t.count;
  }
  json per_hour = json::array();
  for (TimeMs hour = range->from; hour < range->to; hour += kHour) {
    auto [opened, resolved] = by_hour[hour];
    per_hour.push_back({{"hour", FormatRfc3339(hour)}, {"opened", opened}, {"resolved", resolved}});
  }
  json out = {{"from", FormatRfc3339(range->from)},
              {"to", FormatRfc3339(range->to)},
              {"open_by_department", CountsObject(open->by_department)},
              {"open_by_category", CountsObject(open->by_category)},
              {"overdue", open->overdue},
              {"median_resolve_seconds", MedianSeconds(std::move(*durations))},
              {"per_hour", std::move(per_hour)}};
  return http::Json(200, out.dump());
}

http::Response Explain(HubContext& ctx, const http::Request& req) {
  auto q = Query(req);
  if (!q.ok()) return http::ErrorFor(q.status());
  auto e = ParseExplain(*q, ctx.env->NowMs());
  if (!e.ok()) return http::ErrorFor(e.status());
  auto catalog = ctx.catalog.Get();
  if (!catalog->district.FindService(e->category))
    return http::JsonError(400, "unknown category '" + e->category + "'; GET /api/v1/services lists them");
  RoutingDecision d = catalog->router.Decide(e->category, e->at, e->when);
  json out = {{"department_id", d.department_id},
              {"routing_rule_id", d.rule_id.empty() ? json(nullptr) : json(d.rule_id)},
              {"area_id", d.area_id.empty() ? json(nullptr) : json(d.area_id)},
              {"priority", d.priority},
              {"explanation", d.explanation},
              {"unrouted", d.unrouted}};
  return http::Json(200, out.dump());
}

}  // namespace

void RegisterDeskRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> desk = {Role::kAdmin, Role::kDispatcher};
  router.Add("GET", "/api/v1/stats", desk, [&ctx](http::Request& req) { return Stats(ctx, req); },
             "Live figures (from, to; default today): open_by_department, open_by_category, overdue, "
             "median_resolve_seconds, per_hour [{hour, opened, resolved}]");
  router.Add("GET", "/api/v1/routing/explain", desk, [&ctx](http::Request& req) { return Explain(ctx, req); },
             "Which department a category at a place and time goes to, and why: category, lat, lon, at");
}

}  // namespace gb::rest
