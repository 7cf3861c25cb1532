#include "api/rest/residents.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "api/auth/crypto.h"
#include "api/open311/format.h"
#include "api/rate_limiter.h"
#include "api/rest/common.h"
#include "api/rest/requests.h"
#include "incidents/incident_json.h"

namespace gb::rest {
namespace {

using nlohmann::json;

constexpr TimeMs kDay = 86'400'000;
constexpr size_t kMaxFeedbackBody = 16 << 10;

json FollowId(const Incident& inc) {
  return inc.latest_report.id ? json(std::to_string(inc.latest_report.id)) : json(nullptr);
}

http::Response Nearby(HubContext& ctx, const http::Request& req) {
  auto q = Query(req);
  if (!q.ok()) return http::ErrorFor(q.status());
  const bool staff = req.principal && IsHumanRole(req.principal->role);
  auto nearby = ParseNearby(*q, staff);
  if (!nearby.ok()) return http::ErrorFor(nearby.status());
  if (!ctx.catalog.Get()->district.FindService(nearby->category))
    return http::JsonError(400, "unknown category '" + nearby->category + "'; see /open311/v2/services.json");
  const double dlat = nearby->radius_m / 111'000.0;
  const double dlon = dlat / std::max(0.01, std::cos(nearby->at.lat * 3.141592653589793 / 180));
  IncidentFilter f;
  f.states = {IncidentState::kNew, IncidentState::kRouted, IncidentState::kDispatched, IncidentState::kInProgress};
  f.categories = {nearby->category};
  f.bbox = GeoBox(GeoPoint(nearby->at.lon - dlon, nearby->at.lat - dlat),
                  GeoPoint(nearby->at.lon + dlon, nearby->at.lat + dlat));
  f.limit = 1000;
  auto open = ctx.store.ListIncidents(f);
  if (!open.ok()) return http::ErrorFor(open.status());
  std::vector<std::pair<double, Incident>> found;
  for (auto& inc : *open) {
    double d = DistanceMeters(nearby->at, inc.location);
    if (d <= nearby->radius_m) found.emplace_back(d, std::move(inc));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second.id < b.second.id);
  });
  if (found.size() > static_cast<size_t>(kMaxNearbyItems)) found.resize(kMaxNearbyItems);
  json items = json::array();
  for (const auto& [d, inc] : found)
    items.push_back({{"id", inc.id},
                     {"state", StateName(inc.state)},
                     {"opened_at", FormatRfc3339(inc.opened_at)},
                     {"distance_m", std::lround(d)},
                     {"follow_id", FollowId(inc)},
                     {"description", inc.latest_report.id ? json(inc.latest_report.description) : json(nullptr)}});
  return http::Json(200, json{{"items", std::move(items)}}.dump());
}

http::Response PublicIncident(HubContext& ctx, const http::Request& req) {
  auto id = IdParam(req, "incident");
  if (!id.ok()) return http::ErrorFor(id.status());
  auto read = FollowMerges(ctx.store, ctx.store.GetIncident(*id));
  if (!read.ok()) return http::ErrorFor(read.status());
  std::optional<Incident>& inc = *read;
  if (!inc) return http::JsonError(404, "no incident " + std::to_string(*id));
  auto catalog = ctx.catalog.Get();
  json out = PublicIncidentJson(*inc);
  const Service* service = catalog->district.FindService(inc->category);
  const Department* department = catalog->district.FindDepartment(inc->department_id);
  out["category_name"] = service ? service->name : inc->category;
  out["status"] = open311::StatusOf(inc->state);
  out["agency_responsible"] = department ? department->name : "";
  out["follow_id"] = FollowId(*inc);
  return http::Json(200, out.dump());
}

}  // namespace

void RegisterResidentRoutes(http::Router& router, HubContext& ctx) {
  router.Add("GET", "/api/v1/public/nearby", {}, [&ctx](http::Request& req) { return Nearby(ctx, req); },
             "Open incidents of a category near a point, nearest first (at most 5): category, lat, lon, radius_m "
             "(up to 250 m; staff 1000 m)");
  router.Add("GET", "/api/v1/public/incidents/{id}", {},
             [&ctx](http::Request& req) { return PublicIncident(ctx, req); },
             "One incident's public fields with its Open311 status and agency_responsible (merges followed)");

  auto limiter = std::make_shared<SlidingWindowLimiter>(ctx.env, ctx.settings.feedback_per_minute);
  router.Add("POST", "/api/v1/public/requests/{id}/feedback", {}, [&ctx, limiter](http::Request& req) {
    TimeMs retry_ms = 0;
    if (!limiter->Allow(req.remote_address.empty() ? "unknown" : req.remote_address, &retry_ms)) {
      const std::string seconds = std::to_string((retry_ms + 999) / 1000);
      http::Response r = http::JsonError(429, "too many answers from this address; try again in " + seconds + " s");
      r.SetHeader("Retry-After", seconds);
      return r;
    }
    auto id = IdParam(req, "service request");
    if (!id.ok()) return http::ErrorFor(id.status());
    auto body = JsonBody(req, kMaxFeedbackBody);
    if (!body.ok()) return http::ErrorFor(body.status());
    auto parsed = ParseFeedback(*body);
    if (!parsed.ok()) return http::ErrorFor(parsed.status());
    auto read = ctx.store.GetReport(*id);
    if (!read.ok()) return http::ErrorFor(read.status());
    std::optional<Report>& report = *read;
    if (!report) return http::JsonError(404, "no service request " + std::to_string(*id));
    if (report->token.empty() || !auth::ConstantTimeEquals(parsed->token, report->token))
      return http::JsonError(403, "this token does not belong to service request " + std::to_string(*id));
    auto after = ctx.incidents.Feedback(*report, parsed->feedback, ctx.settings.reopen_days * kDay,
                                        Actor{.name = "public", .system = false});
    if (!after.ok()) return http::ErrorFor(after.status());
    return http::Json(200, json{{"service_request_id", std::to_string(*id)},
                                {"status", open311::StatusOf(after->state)},
                                {"reopened", !parsed->feedback.fixed}}
                               .dump());
  }, "A resident's answer to \"was it fixed?\" once their request is closed: {\"token\", \"fixed\", \"comment\"}; "
     "fixed false reopens it");
}

}  // namespace gb::rest
