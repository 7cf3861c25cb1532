// JSON shapes of the district's entities (docs/district-format.md):
//   - Area   ⇄ GeoJSON Feature, Polygon geometry (holes allowed), properties {id, name, kind}
//   - Camera ⇄ GeoJSON Feature, Point geometry, properties {id, name, heading_deg,
//              focal_length_mm, sensor_width_mm, range_m, height_m, rules, purpose}
//   - Department, RoutingRule, Service, Sensor, Sla, EvidencePurpose ⇄ plain objects with the
//              keys of district.toml
//   - ResponseTemplate ⇄ {id, title, state, category, text: {en, de}}
//   - the district settings ⇄ {name, timezone_offset_minutes, fallback_department,
//              center: [lon, lat], retention: {events_days, …}}
// Positions are [lon, lat] (RFC 7946). Written rings are closed, outer rings counterclockwise
// and holes clockwise (RFC 7946 §3.1.6); read rings may have either orientation.
//
// Every *FromJson checks types and values (the Validate* functions of district.h) and returns
// Invalid naming the field and what was expected ("range_m must be a number, got a string");
// it never throws. Plain objects reject unknown keys (so typos do not silently fall back to
// defaults); GeoJSON features ignore unknown properties (GIS tools add their own).
// All functions are thread-safe and allocate only their results.
#pragma once

#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/status.h"
#include "district/district.h"

namespace gb {

// A GeoJSON Polygon geometry object ({"type": "Polygon", "coordinates": …}).
nlohmann::json PolygonToGeoJson(const GeoPolygon& polygon);
// Reads a Polygon geometry: rings closed with ≥ 4 positions, [lon, lat] or [lon, lat, alt]
// (altitude ignored), valid coordinates, a valid polygon. Returns it normalised.
Result<GeoPolygon> PolygonFromGeoJson(const nlohmann::json& geometry);

nlohmann::json AreaToJson(const Area& area);
Result<Area> AreaFromJson(const nlohmann::json& feature);

// The camera's own fields; coverage is derived, so it is not written.
nlohmann::json CameraToJson(const Camera& camera);
// Also computes `coverage` with CameraCoverage.
Result<Camera> CameraFromJson(const nlohmann::json& feature);
// The coverage sector for the map: a Feature with the coverage Polygon (computed from the
// camera's fields when `coverage` is empty) and properties
// {id, name, kind: "camera_coverage", fov_deg, range_m, rules, purpose}.
nlohmann::json CameraCoverageFeature(const Camera& camera);
inline constexpr std::string_view kCameraCoverageKind = "camera_coverage";

nlohmann::json DepartmentToJson(const Department& department);
Result<Department> DepartmentFromJson(const nlohmann::json& object);

nlohmann::json RoutingRuleToJson(const RoutingRule& rule);
Result<RoutingRule> RoutingRuleFromJson(const nlohmann::json& object);

nlohmann::json ServiceToJson(const Service& service);
Result<Service> ServiceFromJson(const nlohmann::json& object);

// Position as separate "lon" and "lat" keys, as in district.toml.
nlohmann::json SensorToJson(const Sensor& sensor);
Result<Sensor> SensorFromJson(const nlohmann::json& object);

nlohmann::json SlaToJson(const Sla& sla);
Result<Sla> SlaFromJson(const nlohmann::json& object);

nlohmann::json ResponseTemplateToJson(const ResponseTemplate& response_template);
Result<ResponseTemplate> ResponseTemplateFromJson(const nlohmann::json& object);

nlohmann::json EvidencePurposeToJson(const EvidencePurpose& purpose);
Result<EvidencePurpose> EvidencePurposeFromJson(const nlohmann::json& object);

nlohmann::json RetentionToJson(const Retention& retention);
Result<Retention> RetentionFromJson(const nlohmann::json& object);

// The district's settings (name, offset, fallback, center, retention); the entity lists are
// not part of it. Required: name, fallback_department, center; timezone_offset_minutes
// (default 0, may also be spelled utc_offset_minutes) and retention (each key defaults as in
// Retention) are optional. On success fills only the settings fields of `into`; on error
// leaves `into` unchanged. Cross references (is the fallback a department?) are not checked.
nlohmann::json DistrictSettingsToJson(const District& district);
Status DistrictSettingsFromJson(const nlohmann::json& object, District& into);

// Splits a FeatureCollection into areas (Polygon features) and cameras (Point features), in
// input order. Features of kind "camera_coverage" (as CameraCoverageFeature writes them) are
// derived data and skipped. Any other geometry is an error, as are ids repeated within the
// areas or within the cameras. Errors read "feature 12 (cam-13): …" (0-based index).
Result<std::pair<std::vector<Area>, std::vector<Camera>>> ParseFeatureCollection(const nlohmann::json& collection);
// Areas first, then cameras (without their coverage).
nlohmann::json ToFeatureCollection(const std::vector<Area>& areas, const std::vector<Camera>& cameras);

}  // namespace gb
