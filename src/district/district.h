// The district: every piece of configuration the hub runs on (areas, cameras, departments,
// routing rules, services, sensors and a few settings), and the one place that reads it from
// the three files of a district directory:
//
//   areas.geojson    a GeoJSON FeatureCollection of Polygon features, one per area
//   cameras.geojson  a GeoJSON FeatureCollection of Point features, one per camera
//   district.toml    settings, [[department]], [[service]], [[routing_rule]], [[sensor]],
//                    [[sla]], [[response_template]], [[evidence_purpose]], [retention]
//
// docs/district-format.md describes every key. The JSON shapes live in district/codec.h and
// the store round trip in district/persist.h.
//
// District is a plain value: copy it freely; the finders return pointers into it that stay
// valid until the vector they point into is changed. All functions here are thread-safe
// (they share no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/geo.h"
#include "core/model.h"
#include "core/status.h"

namespace gb {

// How long data is kept, in days (DESIGN.md §4.6). Each must be ≥ 1.
struct Retention {
  int events_days = 30;
  int evidence_days = 14;
  int incidents_days = 365;
  int audit_days = 730;
};

struct District {
  std::string name;
  int utc_offset_minutes = 0;  // local time = UTC + offset; district.toml: timezone_offset_minutes
  std::string fallback_department;  // gets whatever no routing rule matches
  LatLon center;                    // where the map opens
  std::vector<Area> areas;
  std::vector<Camera> cameras;
  std::vector<Department> departments;
  std::vector<RoutingRule> rules;
  std::vector<Service> services;
  std::vector<Sensor> sensors;
  std::vector<Sla> slas;
  std::vector<ResponseTemplate> templates;
  std::vector<EvidencePurpose> purposes;
  Retention retention;

  // nullptr when absent. Linear scans: districts hold tens to a few hundred entries.
  const Area* FindArea(std::string_view id) const;
  const Camera* FindCamera(std::string_view id) const;
  const Department* FindDepartment(std::string_view id) const;
  const RoutingRule* FindRule(std::string_view id) const;
  const Service* FindService(std::string_view code) const;
  const Sensor* FindSensor(std::string_view id) const;
  const Sla* FindSla(std::string_view id) const;
  const ResponseTemplate* FindTemplate(std::string_view id) const;
  const EvidencePurpose* FindPurpose(std::string_view code) const;
};

inline constexpr std::string_view kAreasFile = "areas.geojson";
inline constexpr std::string_view kCamerasFile = "cameras.geojson";
inline constexpr std::string_view kDistrictFile = "district.toml";

// Reads DIR/areas.geojson, DIR/cameras.geojson and DIR/district.toml, then ValidateDistrict.
// Area polygons come back normalised (closed, outer ring clockwise as GeoPolygon wants) and
// every camera has its coverage computed. Errors are Invalid (NotFound for a missing file)
// and name the file and the entry, e.g.
//   "cameras.geojson: feature 12 (cam-13): focal_length_mm must be between 0.5 and 200, got -4"
//   "district.toml:140: routing_rule 5 (parking-night): priority must be an integer, got a string"
// Features are numbered from 0 (their index in "features"); TOML entries too, with the line.
Result<District> LoadDistrictDir(const std::string& dir, Env* env = Env::Default());

// The same from the three texts (for imports and tests).
Result<District> ParseDistrict(std::string_view areas_geojson, std::string_view cameras_geojson,
                               std::string_view district_toml);

// Checks a whole district: every entity on its own (the Validate* functions below) and the
// cross references between them:
//   - ids are unique per kind (service codes among services);
//   - a routing rule's department exists, its category is "*" or a service code, and its
//     area is "*", an area id, or "kind:<k>" where some area has kind k;
//   - a sensor's category is a service code;
//   - an SLA's category is "*" or a service code, its department "*" or a department, and
//     its escalate_to empty or a department other than its own;
//   - a response template's category is "*" or a service code;
//   - fallback_department is a department;
//   - name is set, utc_offset_minutes within ±14 h, center a valid position, retention ≥ 1 day.
// Does not parse routing days/hours: routing's Router::Build owns that grammar.
// The message names the entity: "camera 12 (cam-13): focal_length_mm …".
Status ValidateDistrict(const District& district);

// ---- single entities (no cross references) --------------------------------------------
// Messages name the field only ("focal_length_mm must be …"); callers add where it was.

// Ids, codes, kinds and categories: 1–100 characters of A–Z a–z 0–9 '_' '-' '.', starting
// with a letter or digit. So "*" and "kind:…" can never be ids.
Status ValidateId(std::string_view field, std::string_view value);
// Polygon valid (NormalizePolygon on a copy, every ring's coordinates in range), kind and id
// well-formed, name non-empty.
Status ValidateArea(const Area& area);
// Position valid, focal length 0.5–200 mm, sensor width 1–50 mm, range 1–1000 m, heading
// 0–360°, height 0–500 m, name and purpose non-empty, rules well-formed.
Status ValidateCamera(const Camera& camera);
Status ValidateDepartment(const Department& department);
// Only the shape: non-empty id/category/area/department, days and hours non-empty.
Status ValidateRoutingRule(const RoutingRule& rule);
// retention_days 1–36500.
Status ValidateService(const Service& service);
// Position valid, threshold and clear finite with clear < threshold.
Status ValidateSensor(const Sensor& sensor);
// Ids well-formed (category and department may be "*"), 1 ≤ respond_minutes ≤
// resolve_minutes ≤ 525600 (a year), escalate_to empty or an id other than department.
Status ValidateSla(const Sla& sla);
// Id and category well-formed, title non-empty, state a state name other than new and
// merged, text.en non-empty; texts up to 4,000 bytes.
Status ValidateResponseTemplate(const ResponseTemplate& response_template);
// Code well-formed, label non-empty.
Status ValidateEvidencePurpose(const EvidencePurpose& purpose);
Status ValidateRetention(const Retention& retention);
// The settings alone: name non-empty, utc_offset_minutes within ±840, center valid,
// fallback_department well-formed (not that it exists), retention valid.
Status ValidateDistrictSettings(const District& district);

}  // namespace gb
