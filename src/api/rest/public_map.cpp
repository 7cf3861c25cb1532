#include "api/rest/public_map.h"

#include "api/document_cache.h"
#include "api/rest/common.h"
#include "district/codec.h"
#include "incidents/incident_json.h"

namespace gb::rest {
namespace {

http::Response RenderPublicMap(HubContext& ctx) {
  auto catalog = ctx.catalog.Get();
  nlohmann::json features = nlohmann::json::array();
  for (const auto& a : catalog->district.areas) {
    auto f = AreaToJson(a);
    f["properties"]["layer"] = "area";
    features.push_back(std::move(f));
  }
  for (const auto& c : catalog->district.cameras) {
    auto point = CameraToJson(c);
    point["properties"]["layer"] = "camera";
    features.push_back(std::move(point));
    auto cone = CameraCoverageFeature(c);
    cone["properties"]["layer"] = "camera_coverage";
    features.push_back(std::move(cone));
  }
  IncidentFilter open;
  open.states = {IncidentState::kNew, IncidentState::kRouted, IncidentState::kDispatched,
                 IncidentState::kInProgress};
  open.limit = 1000;
  auto incidents = ctx.store.ListIncidents(open);
  if (!incidents.ok()) return http::ErrorFor(incidents.status());
  for (const auto& inc : *incidents) {
    nlohmann::json props = PublicIncidentJson(inc);
    props["layer"] = "incident";
    props.erase("location");
    features.push_back({{"type", "Feature"},
                        {"geometry", {{"type", "Point"}, {"coordinates", {inc.location.lon, inc.location.lat}}}},
                        {"properties", std::move(props)}});
  }
  nlohmann::json retention = {{"events_days", catalog->district.retention.events_days},
                              {"evidence_days", catalog->district.retention.evidence_days},
                              {"incidents_days", catalog->district.retention.incidents_days}};
  nlohmann::json fc = {{"type", "FeatureCollection"},
                       {"name", catalog->district.name},
                       {"retention", std::move(retention)},
                       {"features", std::move(features)}};
  http::Response r = http::Json(200, fc.dump());
  r.content_type = "application/geo+json";
  return r;
}

}  // namespace

void RegisterPublicRoutes(http::Router& router, HubContext& ctx) {
  // Every resident's page loads it: rendered once per change of the district or of any
  // incident (the change log's seq), not per request.
  auto documents = std::make_shared<http::DocumentCache>();
  router.Add("GET", "/api/v1/public/map", {}, [&ctx, documents](http::Request& req) {
    auto seq = ctx.store.LastChangeSeq();
    if (!seq.ok()) return http::ErrorFor(seq.status());
    const http::DocumentCache::Revision revision{ctx.catalog.revision(), static_cast<std::uint64_t>(*seq)};
    return documents->Serve(req, "map", revision, http::kLiveDocumentMaxAge, [&] { return RenderPublicMap(ctx); });
  }, "Public map: areas, cameras with coverage, open incidents (no evidence, no personal data)");
}

}  // namespace gb::rest
