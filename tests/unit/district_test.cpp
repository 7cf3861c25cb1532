#include <gtest/gtest.h>

#include <algorithm>
#include <boost/geometry/algorithms/area.hpp>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/algorithms/is_valid.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "district/codec.h"
#include "district/district.h"
#include "district/persist.h"
#include "store/store.h"
#include "test_store.h"

namespace gb {
namespace {

using nlohmann::json;

const std::string kDemoDir = std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct DemoTexts {
  std::string areas = ReadText(kDemoDir + "/areas.geojson");
  std::string cameras = ReadText(kDemoDir + "/cameras.geojson");
  std::string toml = ReadText(kDemoDir + "/district.toml");
};

const District& Demo() {
  static const District* demo = [] {
    auto d = LoadDistrictDir(kDemoDir);
    if (!d.ok()) {
      ADD_FAILURE() << d.status().message();
      return new District();
    }
    return new District(std::move(d).value());
  }();
  return *demo;
}

// Exact comparisons: a round trip must not move a single coordinate.
void ExpectSameRing(const GeoPolygon::ring_type& a, const GeoPolygon::ring_type& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].x(), b[i].x()) << "point " << i;
    EXPECT_EQ(a[i].y(), b[i].y()) << "point " << i;
  }
}

void ExpectSamePolygon(const GeoPolygon& a, const GeoPolygon& b) {
  ExpectSameRing(a.outer(), b.outer());
  ASSERT_EQ(a.inners().size(), b.inners().size());
  for (std::size_t i = 0; i < a.inners().size(); ++i) ExpectSameRing(a.inners()[i], b.inners()[i]);
}

void ExpectSame(const Area& a, const Area& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  ExpectSamePolygon(a.polygon, b.polygon);
}

void ExpectSame(const Camera& a, const Camera& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.position.lat, b.position.lat);
  EXPECT_EQ(a.position.lon, b.position.lon);
  EXPECT_EQ(a.heading_deg, b.heading_deg);
  EXPECT_EQ(a.focal_length_mm, b.focal_length_mm);
  EXPECT_EQ(a.sensor_width_mm, b.sensor_width_mm);
  EXPECT_EQ(a.range_m, b.range_m);
  EXPECT_EQ(a.height_m, b.height_m);
  EXPECT_EQ(a.rules, b.rules);
  EXPECT_EQ(a.purpose, b.purpose);
  ExpectSamePolygon(a.coverage, b.coverage);
}

void ExpectSame(const Department& a, const Department& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.phone, b.phone);
  EXPECT_EQ(a.hours, b.hours);
  EXPECT_EQ(a.description, b.description);
}

void ExpectSame(const RoutingRule& a, const RoutingRule& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.area, b.area);
  EXPECT_EQ(a.days, b.days);
  EXPECT_EQ(a.hours, b.hours);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.department, b.department);
  EXPECT_EQ(a.note, b.note);
}

void ExpectSame(const Service& a, const Service& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.keywords, b.keywords);
  EXPECT_EQ(a.retention_days, b.retention_days);
}

void ExpectSame(const Sensor& a, const Sensor& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.position.lat, b.position.lat);
  EXPECT_EQ(a.position.lon, b.position.lon);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.threshold, b.threshold);
  EXPECT_EQ(a.clear, b.clear);
}

void ExpectSame(const Sla& a, const Sla& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.department, b.department);
  EXPECT_EQ(a.respond_minutes, b.respond_minutes);
  EXPECT_EQ(a.resolve_minutes, b.resolve_minutes);
  EXPECT_EQ(a.escalate_to, b.escalate_to);
}

void ExpectSame(const ResponseTemplate& a, const ResponseTemplate& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.text.en, b.text.en);
  EXPECT_EQ(a.text.de, b.text.de);
}

void ExpectSame(const EvidencePurpose& a, const EvidencePurpose& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.label, b.label);
}

template <typename T>
void ExpectSameList(const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSame(a[i], b[i]);
  }
}

void ExpectSameDistrict(const District& a, const District& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.utc_offset_minutes, b.utc_offset_minutes);
  EXPECT_EQ(a.fallback_department, b.fallback_department);
  EXPECT_EQ(a.center.lat, b.center.lat);
  EXPECT_EQ(a.center.lon, b.center.lon);
  EXPECT_EQ(a.retention.events_days, b.retention.events_days);
  EXPECT_EQ(a.retention.evidence_days, b.retention.evidence_days);
  EXPECT_EQ(a.retention.incidents_days, b.retention.incidents_days);
  EXPECT_EQ(a.retention.audit_days, b.retention.audit_days);
  ExpectSameList(a.areas, b.areas);
  ExpectSameList(a.cameras, b.cameras);
  ExpectSameList(a.departments, b.departments);
  ExpectSameList(a.rules, b.rules);
  ExpectSameList(a.services, b.services);
  ExpectSameList(a.sensors, b.sensors);
  ExpectSameList(a.slas, b.slas);
  ExpectSameList(a.templates, b.templates);
  ExpectSameList(a.purposes, b.purposes);
}

// Expects an Invalid status whose message contains every one of `parts`.
template <typename R>
void ExpectInvalid(const R& result, std::initializer_list<std::string_view> parts) {
  Status s = ToStatus(result);
  ASSERT_FALSE(s.ok()) << "expected an error mentioning " << *parts.begin();
  EXPECT_EQ(s.code(), Code::kInvalid) << s.message();
  for (auto part : parts) EXPECT_NE(s.message().find(part), std::string::npos) << "'" << part << "' not in: " << s.message();
}

json SquareFeature(const std::string& id = "sq") {
  return json::parse(R"({"type": "Feature", "properties": {"id": ")" + id +
                     R"(", "name": "Square", "kind": "ward"},
    "geometry": {"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01], [121.0, 31.0]]]}})");
}

json CameraFeature(const std::string& id = "cam-x") {
  return json::parse(R"({"type": "Feature", "properties": {"id": ")" + id +
                     R"(", "name": "Test camera", "heading_deg": 90, "focal_length_mm": 4.0,
    "sensor_width_mm": 5.6, "range_m": 60, "height_m": 6, "rules": ["dumped_object"], "purpose": "Testing."},
    "geometry": {"type": "Point", "coordinates": [121.005, 31.005]}})");
}

// ---- the demo district ----------------------------------------------------------------------

TEST(DemoDistrict, LoadsWithTheIssueMinimums) {
  const District& d = Demo();
  EXPECT_EQ(d.name, "Riverside District");
  EXPECT_EQ(d.utc_offset_minutes, 480);
  EXPECT_EQ(d.fallback_department, "operations");
  EXPECT_DOUBLE_EQ(d.center.lon, 121.4737);
  EXPECT_DOUBLE_EQ(d.center.lat, 31.2304);
  EXPECT_EQ(d.retention.events_days, 30);
  EXPECT_EQ(d.retention.evidence_days, 14);
  EXPECT_EQ(d.retention.incidents_days, 365);
  EXPECT_EQ(d.retention.audit_days, 730);

  EXPECT_GE(d.areas.size(), 30u);
  std::map<std::string, int> kinds;
  for (const Area& a : d.areas) ++kinds[a.kind];
  for (const char* kind : {"ward", "construction_site", "no_parking", "poster_wall", "waste_point"})
    EXPECT_GT(kinds[kind], 0) << kind;
  for (const Area& a : d.areas) {
    std::string reason;
    EXPECT_TRUE(boost::geometry::is_valid(a.polygon, reason)) << a.id << ": " << reason;
    EXPECT_GT(boost::geometry::area(a.polygon), 0) << a.id;
  }

  EXPECT_GE(d.cameras.size(), 40u);
  for (const Camera& c : d.cameras) {
    SCOPED_TRACE(c.id);
    EXPECT_GE(c.coverage.outer().size(), 4u);
    std::string reason;
    EXPECT_TRUE(boost::geometry::is_valid(c.coverage, reason)) << reason;
    EXPECT_GT(boost::geometry::area(c.coverage), 0);
    EXPECT_TRUE(boost::geometry::covered_by(ToPoint(c.position), c.coverage));
    EXPECT_FALSE(c.purpose.empty());
  }

  EXPECT_GE(d.departments.size(), 8u);
  EXPECT_GE(d.rules.size(), 25u);
  for (const char* code : {"illegal_parking", "dumped_rubbish", "unauthorized_poster", "no_helmet", "overflowing_bin",
                           "flooding", "broken_streetlight", "graffiti", "pothole", "noise"})
    EXPECT_NE(d.FindService(code), nullptr) << code;
  EXPECT_FALSE(d.sensors.empty());
  EXPECT_TRUE(ValidateDistrict(d).ok());
}

TEST(DemoDistrict, FindersReturnTheEntityOrNull) {
  const District& d = Demo();
  ASSERT_NE(d.FindArea("ward-tannery-row"), nullptr);
  EXPECT_EQ(d.FindArea("ward-tannery-row")->kind, "ward");
  ASSERT_NE(d.FindCamera("cam-01"), nullptr);
  EXPECT_EQ(d.FindCamera("cam-01")->heading_deg, 193);
  ASSERT_NE(d.FindDepartment("operations"), nullptr);
  EXPECT_EQ(d.FindDepartment("operations")->hours, "24/7");
  ASSERT_NE(d.FindRule("parking-night"), nullptr);
  EXPECT_EQ(d.FindRule("parking-night")->hours, "22:00-07:00");
  EXPECT_EQ(d.FindRule("parking-night")->priority, 15);
  ASSERT_NE(d.FindService("flooding"), nullptr);
  EXPECT_EQ(d.FindService("flooding")->retention_days, 365);
  ASSERT_NE(d.FindSensor("bin-01"), nullptr);
  EXPECT_EQ(d.FindSensor("bin-01")->threshold, 0.85);
  EXPECT_EQ(d.FindSensor("bin-01")->clear, 0.6);
  EXPECT_EQ(d.FindSensor("bin-01")->position.lon, 121.474961);
  EXPECT_EQ(d.FindArea("nowhere"), nullptr);
  EXPECT_EQ(d.FindCamera(""), nullptr);
  EXPECT_EQ(d.FindService("operations"), nullptr);
}

TEST(DemoDistrict, MissingFileIsNotFound) {
  auto d = LoadDistrictDir(kDemoDir + "/no-such-dir");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kNotFound);
  EXPECT_NE(d.status().message().find("areas.geojson"), std::string::npos) << d.status().message();
}

// ---- codec round trips --------------------------------------------------------------------

// Through the JSON value and through its text, so that numbers survive serialisation too.
template <typename T, typename ToJ, typename FromJ>
void RoundTripAll(const std::vector<T>& items, ToJ to_json, FromJ from_json) {
  ASSERT_FALSE(items.empty());
  for (const T& item : items) {
    json j = to_json(item);
    auto back = from_json(j);
    ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << j.dump();
    ExpectSame(item, *back);
    auto again = from_json(json::parse(j.dump()));
    ASSERT_TRUE(again.ok()) << again.status().message();
    ExpectSame(item, *again);
    EXPECT_EQ(to_json(*back), j);
  }
}

TEST(Codec, EveryDemoEntityRoundTrips) {
  const District& d = Demo();
  RoundTripAll(d.areas, AreaToJson, AreaFromJson);
  RoundTripAll(d.cameras, CameraToJson, CameraFromJson);
  RoundTripAll(d.departments, DepartmentToJson, DepartmentFromJson);
  RoundTripAll(d.rules, RoutingRuleToJson, RoutingRuleFromJson);
  RoundTripAll(d.services, ServiceToJson, ServiceFromJson);
  RoundTripAll(d.sensors, SensorToJson, SensorFromJson);
  RoundTripAll(d.slas, SlaToJson, SlaFromJson);
  RoundTripAll(d.templates, ResponseTemplateToJson, ResponseTemplateFromJson);
  RoundTripAll(d.purposes, EvidencePurposeToJson, EvidencePurposeFromJson);
}

// Every field set away from its default, so that a field written but not read back (or read
// under another key) shows up as a difference.
TEST(Codec, EveryFieldRoundTripsAwayFromItsDefault) {
  Area area;
  area.id = "ward-x";
  area.name = "Ward X";
  area.kind = "park";
  area.polygon = *PolygonFromGeoJson(SquareFeature()["geometry"]);
  RoundTripAll(std::vector<Area>{area}, AreaToJson, AreaFromJson);

  Camera cam;
  cam.id = "cam-x";
  cam.name = "Camera X";
  cam.position = LatLon{31.005, 121.005};
  cam.heading_deg = 135.5;
  cam.focal_length_mm = 8;
  cam.sensor_width_mm = 6.4;
  cam.range_m = 80;
  cam.height_m = 9.5;
  cam.rules = {"dumped_object", "illegal_parking"};
  cam.purpose = "Watches the bins.";
  cam.coverage = CameraCoverage(cam.position, cam.heading_deg, cam.focal_length_mm, cam.sensor_width_mm, cam.range_m);
  RoundTripAll(std::vector<Camera>{cam}, CameraToJson, CameraFromJson);

  Department dept{"dept-x", "Department X", "x@example.org", "+1 555 0100", "Mon-Fri 07:00-19:00", "Does X."};
  RoundTripAll(std::vector<Department>{dept}, DepartmentToJson, DepartmentFromJson);

  RoutingRule rule{"rule-x", "noise", "kind:park", "Mon-Fri", "07:30-09:00", 25, "dept-x", "A note."};
  ASSERT_NE(rule.days, RoutingRule{}.days);
  ASSERT_NE(rule.priority, RoutingRule{}.priority);
  RoundTripAll(std::vector<RoutingRule>{rule}, RoutingRuleToJson, RoutingRuleFromJson);

  Service service{"svc-x", "Service X", "About X.", "Streets", "x, ex", 45};
  ASSERT_NE(service.retention_days, Service{}.retention_days);
  RoundTripAll(std::vector<Service>{service}, ServiceToJson, ServiceFromJson);

  Sensor sensor{"sensor-x", "Sensor X", "noise", "noise", LatLon{31.2, 121.4}, "dB", 70.5, 55.25};
  ASSERT_NE(sensor.threshold, Sensor{}.threshold);
  ASSERT_NE(sensor.clear, Sensor{}.clear);
  RoundTripAll(std::vector<Sensor>{sensor}, SensorToJson, SensorFromJson);
  EXPECT_EQ(SensorToJson(sensor)["lon"], 121.4);
  EXPECT_EQ(SensorToJson(sensor)["lat"], 31.2);

  Sla sla{"sla-x", "noise", "dept-x", 15, 90, "ops-x"};
  ASSERT_NE(sla.department, Sla{}.department);
  RoundTripAll(std::vector<Sla>{sla}, SlaToJson, SlaFromJson);
  ResponseTemplate tmpl{"tmpl-x", "Fixed", "resolved", "noise", {"Fixed.", "Behoben."}};
  ASSERT_NE(tmpl.category, ResponseTemplate{}.category);
  RoundTripAll(std::vector<ResponseTemplate>{tmpl}, ResponseTemplateToJson, ResponseTemplateFromJson);
  EXPECT_EQ(ResponseTemplateToJson(tmpl)["text"], json({{"en", "Fixed."}, {"de", "Behoben."}}));
  RoundTripAll(std::vector<EvidencePurpose>{{"purpose-x", "Purpose X"}}, EvidencePurposeToJson,
               EvidencePurposeFromJson);

  Retention retention{7, 3, 100, 1000};
  json j = RetentionToJson(retention);
  EXPECT_EQ(j, json({{"events_days", 7}, {"evidence_days", 3}, {"incidents_days", 100}, {"audit_days", 1000}}));
  auto back = RetentionFromJson(json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->events_days, 7);
  EXPECT_EQ(back->evidence_days, 3);
  EXPECT_EQ(back->incidents_days, 100);
  EXPECT_EQ(back->audit_days, 1000);
}

TEST(Codec, SettingsRoundTrip) {
  const District& d = Demo();
  json j = DistrictSettingsToJson(d);
  EXPECT_EQ(j["timezone_offset_minutes"], 480);
  EXPECT_EQ(j["center"], json::array({121.4737, 31.2304}));
  District back;
  ASSERT_TRUE(DistrictSettingsFromJson(json::parse(j.dump()), back).ok());
  EXPECT_EQ(back.name, d.name);
  EXPECT_EQ(back.utc_offset_minutes, d.utc_offset_minutes);
  EXPECT_EQ(back.fallback_department, d.fallback_department);
  EXPECT_EQ(back.center.lat, d.center.lat);
  EXPECT_EQ(back.center.lon, d.center.lon);
  EXPECT_EQ(back.retention.audit_days, d.retention.audit_days);

  // The alternative spelling of the offset; retention keys default.
  json alt = {{"name", "X"}, {"utc_offset_minutes", -300}, {"fallback_department", "ops"},
              {"center", {10.0, 50.0}}, {"retention", {{"events_days", 7}}}};
  District other;
  ASSERT_TRUE(DistrictSettingsFromJson(alt, other).ok());
  EXPECT_EQ(other.utc_offset_minutes, -300);
  EXPECT_EQ(other.retention.events_days, 7);
  EXPECT_EQ(other.retention.audit_days, Retention{}.audit_days);
  alt["timezone_offset_minutes"] = -300;
  ExpectInvalid(DistrictSettingsFromJson(alt, other), {"not both"});
  ExpectInvalid(RetentionFromJson(json{{"events_days", 0}}), {"retention.events_days", "between 1 and 36500"});
  ExpectInvalid(RetentionFromJson(json{{"event_days", 3}}), {"unknown key", "retention.event_days"});
}

TEST(Codec, AreaOutputIsRfc7946AndHolesRoundTrip) {
  json feature = SquareFeature();
  // A hole, written counterclockwise on purpose: orientation on input does not matter.
  feature["geometry"]["coordinates"].push_back(
      json::parse("[[121.002, 31.002], [121.004, 31.002], [121.004, 31.004], [121.002, 31.004], [121.002, 31.002]]"));
  auto area = AreaFromJson(feature);
  ASSERT_TRUE(area.ok()) << area.status().message();
  ASSERT_EQ(area->polygon.inners().size(), 1u);
  EXPECT_NEAR(boost::geometry::area(area->polygon), 0.01 * 0.01 - 0.002 * 0.002, 1e-12);

  json out = AreaToJson(*area);
  const json& rings = out["geometry"]["coordinates"];
  ASSERT_EQ(rings.size(), 2u);
  auto signed_area = [](const json& ring) {
    double s = 0;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i)
      s += ring[i][0].get<double>() * ring[i + 1][1].get<double>() - ring[i + 1][0].get<double>() * ring[i][1].get<double>();
    return s;
  };
  for (const json& ring : rings) EXPECT_EQ(ring.front(), ring.back()) << "rings are closed";
  EXPECT_GT(signed_area(rings[0]), 0) << "outer ring counterclockwise";
  EXPECT_LT(signed_area(rings[1]), 0) << "holes clockwise";

  auto back = AreaFromJson(out);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSame(*area, *back);

  // Altitude in a position is accepted and ignored.
  json with_alt = SquareFeature();
  for (json& p : with_alt["geometry"]["coordinates"][0]) p.push_back(12.5);
  ASSERT_TRUE(AreaFromJson(with_alt).ok());
}

TEST(Codec, CameraComputesCoverageAndCoverageFeature) {
  auto cam = CameraFromJson(CameraFeature());
  ASSERT_TRUE(cam.ok()) << cam.status().message();
  EXPECT_GE(cam->coverage.outer().size(), 4u);
  EXPECT_TRUE(boost::geometry::is_valid(cam->coverage));

  json cov = CameraCoverageFeature(*cam);
  EXPECT_EQ(cov["type"], "Feature");
  EXPECT_EQ(cov["geometry"]["type"], "Polygon");
  EXPECT_EQ(cov["properties"]["id"], "cam-x");
  EXPECT_EQ(cov["properties"]["name"], "Test camera");
  EXPECT_EQ(cov["properties"]["kind"], "camera_coverage");
  EXPECT_NEAR(cov["properties"]["fov_deg"].get<double>(), FieldOfViewDeg(4.0, 5.6), 1e-9);
  EXPECT_EQ(cov["properties"]["range_m"], 60);
  EXPECT_EQ(cov["properties"]["rules"], json::array({"dumped_object"}));
  EXPECT_EQ(cov["properties"]["purpose"], "Testing.");
  const json& ring = cov["geometry"]["coordinates"][0];
  EXPECT_EQ(ring.front(), ring.back());
  auto poly = PolygonFromGeoJson(cov["geometry"]);
  ASSERT_TRUE(poly.ok()) << poly.status().message();
  EXPECT_NEAR(boost::geometry::area(*poly), boost::geometry::area(cam->coverage), 1e-15);

  // A camera built in code without coverage still gets its sector drawn.
  Camera bare = *cam;
  bare.coverage = GeoPolygon();
  EXPECT_EQ(CameraCoverageFeature(bare)["geometry"], cov["geometry"]);

  // Optional properties take their defaults.
  json minimal = CameraFeature();
  minimal["properties"].erase("height_m");
  minimal["properties"].erase("rules");
  auto m = CameraFromJson(minimal);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->height_m, Camera{}.height_m);
  EXPECT_TRUE(m->rules.empty());
}

// ---- bad input ------------------------------------------------------------------------------

TEST(CodecErrors, WrongTypesNameTheField) {
  json cam = CameraFeature();
  cam["properties"]["focal_length_mm"] = "4mm";
  ExpectInvalid(CameraFromJson(cam), {"focal_length_mm", "must be a number", "got a string"});
  cam = CameraFeature();
  cam["properties"]["rules"] = "dumped_object";
  ExpectInvalid(CameraFromJson(cam), {"rules", "array of strings"});
  cam = CameraFeature();
  cam["properties"]["rules"] = json::array({"poster", 3});
  ExpectInvalid(CameraFromJson(cam), {"rules[1]", "must be a string"});
  cam = CameraFeature();
  cam["geometry"]["coordinates"] = json::array({"121", "31"});
  ExpectInvalid(CameraFromJson(cam), {"geometry.coordinates", "position [lon, lat]"});

  ExpectInvalid(DepartmentFromJson(json{{"id", "d"}, {"name", 5}}), {"name", "must be a string", "got a number"});
  ExpectInvalid(RoutingRuleFromJson(json{{"id", "r"}, {"category", "*"}, {"area", "*"}, {"department", "d"},
                                         {"priority", "high"}}),
                {"priority", "must be an integer", "got a string"});
  ExpectInvalid(RoutingRuleFromJson(json{{"id", "r"}, {"category", "*"}, {"area", "*"}, {"department", "d"},
                                         {"priority", 10.5}}),
                {"priority", "must be an integer", "10.5"});
  ExpectInvalid(ServiceFromJson(json{{"code", "c"}, {"name", "C"}, {"retention_days", true}}),
                {"retention_days", "must be an integer", "got a boolean"});
  ExpectInvalid(SensorFromJson(json{{"id", "s"}, {"name", "S"}, {"kind", "noise"}, {"category", "noise"},
                                    {"lon", 121.0}, {"lat", "31"}, {"threshold", 1}}),
                {"lat", "must be a number"});
  json area = SquareFeature();
  area["geometry"]["coordinates"][0][1] = json::array({"121.01", 31.0});
  ExpectInvalid(AreaFromJson(area), {"geometry.coordinates[0][1]", "position"});
  area = SquareFeature();
  area["properties"] = json::array();
  ExpectInvalid(AreaFromJson(area), {"properties", "must be an object"});

  // Not objects at all.
  for (const json& junk : {json(nullptr), json(3), json("x"), json::array(), json::object()}) {
    EXPECT_FALSE(AreaFromJson(junk).ok());
    EXPECT_FALSE(CameraFromJson(junk).ok());
    EXPECT_FALSE(DepartmentFromJson(junk).ok());
    EXPECT_FALSE(RoutingRuleFromJson(junk).ok());
    EXPECT_FALSE(ServiceFromJson(junk).ok());
    EXPECT_FALSE(SensorFromJson(junk).ok());
    EXPECT_FALSE(ParseFeatureCollection(junk).ok());
    EXPECT_FALSE(PolygonFromGeoJson(junk).ok());
    District d;
    EXPECT_FALSE(DistrictSettingsFromJson(junk, d).ok());
  }
  ExpectInvalid(DepartmentFromJson(json::array()), {"must be an object", "got an array"});
}

TEST(CodecErrors, MissingIdAndUnknownKeys) {
  json area = SquareFeature();
  area["properties"].erase("id");
  ExpectInvalid(AreaFromJson(area), {"missing 'id'"});
  json cam = CameraFeature();
  cam["properties"].erase("id");
  ExpectInvalid(CameraFromJson(cam), {"missing 'id'"});
  cam = CameraFeature();
  cam["properties"]["id"] = "";
  ExpectInvalid(CameraFromJson(cam), {"id must not be empty"});
  cam = CameraFeature();
  cam["properties"]["id"] = "cam 1/../x";
  ExpectInvalid(CameraFromJson(cam), {"id must be", "'cam 1/../x'"});
  ExpectInvalid(DepartmentFromJson(json{{"name", "N"}}), {"missing 'id'"});
  ExpectInvalid(ServiceFromJson(json{{"name", "N"}}), {"missing 'code'"});
  ExpectInvalid(RoutingRuleFromJson(json{{"id", "r"}, {"category", "*"}, {"area", "*"}}), {"missing 'department'"});
  ExpectInvalid(SensorFromJson(json{{"id", "s"}, {"name", "S"}, {"kind", "noise"}, {"category", "noise"}, {"lon", 1.0},
                                    {"lat", 1.0}}),
                {"missing 'threshold'"});
  ExpectInvalid(DepartmentFromJson(json{{"id", "d"}, {"name", "N"}, {"emial", "x@y.z"}}), {"unknown key 'emial'", "email"});
  ExpectInvalid(DepartmentFromJson(json{{"id", "d"}, {"name", "N"}, {"email", "not-an-address"}}), {"email"});
  ExpectInvalid(RoutingRuleFromJson(json{{"id", "r"}, {"category", "*"}, {"area", "kind:"}, {"department", "d"}}),
                {"area kind"});
  ExpectInvalid(RoutingRuleFromJson(json{{"id", "r"}, {"category", "*"}, {"area", "*"}, {"department", "d"},
                                         {"hours", ""}}),
                {"hours must not be empty"});

  auto rule = RoutingRuleFromJson(json{{"id", "r"}, {"category", "noise"}, {"area", "kind:park"}, {"department", "d"}});
  ASSERT_TRUE(rule.ok()) << rule.status().message();
  EXPECT_EQ(rule->days, "*");
  EXPECT_EQ(rule->hours, "*");
  EXPECT_EQ(rule->priority, 0);
}

TEST(CodecErrors, BadPolygons) {
  json open = SquareFeature();
  open["geometry"]["coordinates"][0].erase(4);
  open["geometry"]["coordinates"][0].push_back(json::array({121.0, 31.005}));
  ExpectInvalid(AreaFromJson(open), {"geometry.coordinates[0]", "not closed"});

  json few = SquareFeature();
  few["geometry"]["coordinates"][0] = json::parse("[[121.0, 31.0], [121.01, 31.0], [121.0, 31.0]]");
  ExpectInvalid(AreaFromJson(few), {"geometry.coordinates[0]", "at least 4 positions"});

  json bowtie = SquareFeature();
  bowtie["geometry"]["coordinates"][0] =
      json::parse("[[121.0, 31.0], [121.01, 31.01], [121.01, 31.0], [121.0, 31.01], [121.0, 31.0]]");
  ExpectInvalid(AreaFromJson(bowtie), {"geometry", "self-intersection"});

  json north = SquareFeature();
  north["geometry"]["coordinates"][0][2] = json::array({121.01, 95});
  ExpectInvalid(AreaFromJson(north), {"geometry.coordinates[0][2]", "latitude 95", "-90 to 90"});

  json multi = SquareFeature();
  multi["geometry"]["type"] = "MultiPolygon";
  ExpectInvalid(AreaFromJson(multi), {"geometry.type", "\"Polygon\"", "'MultiPolygon'"});

  json empty = SquareFeature();
  empty["geometry"]["coordinates"] = json::array();
  ExpectInvalid(AreaFromJson(empty), {"geometry.coordinates", "rings"});

  json not_feature = SquareFeature();
  not_feature["type"] = "Polygon";
  ExpectInvalid(AreaFromJson(not_feature), {"type must be \"Feature\""});

  // A hole outside its outer ring.
  json stray = SquareFeature();
  stray["geometry"]["coordinates"].push_back(
      json::parse("[[122.0, 31.0], [122.01, 31.0], [122.01, 31.01], [122.0, 31.01], [122.0, 31.0]]"));
  ExpectInvalid(AreaFromJson(stray), {"geometry", "invalid polygon"});
}

TEST(CodecErrors, ImplausibleCameraAndSensorNumbers) {
  auto with = [](const char* key, json value) {
    json cam = CameraFeature();
    cam["properties"][key] = std::move(value);
    return CameraFromJson(cam);
  };
  ExpectInvalid(with("focal_length_mm", -4), {"focal_length_mm", "between 0.5 and 200", "got -4"});
  ExpectInvalid(with("focal_length_mm", 0), {"focal_length_mm"});
  ExpectInvalid(with("focal_length_mm", 500), {"focal_length_mm"});
  ExpectInvalid(with("sensor_width_mm", 0.2), {"sensor_width_mm", "between 1 and 50"});
  ExpectInvalid(with("range_m", 5000), {"range_m", "between 1 and 1000"});
  ExpectInvalid(with("heading_deg", 361), {"heading_deg", "between 0 and 360"});
  ExpectInvalid(with("heading_deg", -1), {"heading_deg"});
  ExpectInvalid(with("height_m", -3), {"height_m"});
  ExpectInvalid(with("purpose", ""), {"purpose must not be empty"});
  EXPECT_TRUE(with("heading_deg", 360).ok());
  EXPECT_TRUE(with("focal_length_mm", 0.5).ok());

  json cam = CameraFeature();
  cam["geometry"]["coordinates"] = json::array({121.0, 95});
  ExpectInvalid(CameraFromJson(cam), {"geometry.coordinates", "latitude 95"});
  cam["geometry"]["coordinates"] = json::array({181, 31.0});
  ExpectInvalid(CameraFromJson(cam), {"geometry.coordinates", "longitude 181"});
  cam = CameraFeature();
  cam["geometry"]["type"] = "Polygon";
  ExpectInvalid(CameraFromJson(cam), {"geometry.type must be \"Point\""});

  json sensor = {{"id", "s"},  {"name", "S"},       {"kind", "noise"}, {"category", "noise"},
                 {"lon", 1.0}, {"lat", 95.0},       {"threshold", 70}, {"clear", 60}};
  ExpectInvalid(SensorFromJson(sensor), {"lat 95", "-90 to 90"});
  sensor["lat"] = 31.0;
  ASSERT_TRUE(SensorFromJson(sensor).ok());
  sensor["clear"] = 70;
  ExpectInvalid(SensorFromJson(sensor), {"clear", "below threshold"});
  ExpectInvalid(ServiceFromJson(json{{"code", "c"}, {"name", "C"}, {"retention_days", 0}}), {"retention_days"});
}

// A district small enough to read in one glance; valid as built.
District Tiny() {
  District d;
  d.name = "Tiny";
  d.fallback_department = "ops";
  d.center = {31.005, 121.005};
  d.areas.push_back(*AreaFromJson(SquareFeature("ward-a")));
  d.cameras.push_back(*CameraFromJson(CameraFeature("cam-a")));
  d.departments.push_back(Department{"ops", "Operations", "", "", "24/7", ""});
  d.departments.push_back(Department{"clean", "Cleansing", "clean@example.org", "", "Mon-Fri 07:00-19:00", ""});
  d.services.push_back(Service{"dumped_rubbish", "Dumped rubbish", "", "Waste", "", 30});
  d.services.push_back(Service{"noise", "Noise", "", "", "", 90});
  d.rules.push_back(RoutingRule{"r1", "dumped_rubbish", "ward-a", "Mon-Fri", "07:00-19:00", 10, "clean", ""});
  d.rules.push_back(RoutingRule{"r2", "*", "kind:ward", "*", "*", 1, "ops", ""});
  d.sensors.push_back(Sensor{"n1", "Noise 1", "noise", "noise", {31.005, 121.005}, "dB", 70, 60});
  return d;
}

TEST(ValidateDistrict, CrossReferences) {
  ASSERT_TRUE(ValidateDistrict(Tiny()).ok()) << ValidateDistrict(Tiny()).message();

  District d = Tiny();
  d.rules[0].department = "nobody";
  ExpectInvalid(ValidateDistrict(d), {"routing rule 0 (r1)", "department 'nobody'", "not a department"});
  d = Tiny();
  d.rules[0].area = "ward-b";
  ExpectInvalid(ValidateDistrict(d), {"routing rule 0 (r1)", "area 'ward-b'", "not an area id"});
  d = Tiny();
  d.rules[1].area = "kind:park";
  ExpectInvalid(ValidateDistrict(d), {"routing rule 1 (r2)", "no area has kind 'park'"});
  d = Tiny();
  d.rules[0].category = "potholes";
  ExpectInvalid(ValidateDistrict(d), {"category 'potholes'", "not a service code"});
  d = Tiny();
  d.sensors[0].category = "air";
  ExpectInvalid(ValidateDistrict(d), {"sensor 0 (n1)", "category 'air'"});
  d = Tiny();
  d.fallback_department = "night-desk";
  ExpectInvalid(ValidateDistrict(d), {"fallback_department 'night-desk'"});
  d = Tiny();
  d.fallback_department.clear();
  ExpectInvalid(ValidateDistrict(d), {"fallback_department must not be empty"});

  d = Tiny();
  d.departments.push_back(d.departments[0]);
  ExpectInvalid(ValidateDistrict(d), {"department 2 (ops)", "duplicate department id 'ops'", "department 0"});
  d = Tiny();
  d.cameras.push_back(d.cameras[0]);
  ExpectInvalid(ValidateDistrict(d), {"duplicate camera id 'cam-a'"});
  d = Tiny();
  d.areas.push_back(d.areas[0]);
  ExpectInvalid(ValidateDistrict(d), {"duplicate area id 'ward-a'"});
  d = Tiny();
  d.services.push_back(d.services[1]);
  ExpectInvalid(ValidateDistrict(d), {"duplicate service id 'noise'"});
  d = Tiny();
  d.rules.push_back(d.rules[1]);
  ExpectInvalid(ValidateDistrict(d), {"duplicate routing rule id 'r2'"});
  d = Tiny();
  d.sensors.push_back(d.sensors[0]);
  ExpectInvalid(ValidateDistrict(d), {"duplicate sensor id 'n1'"});

  // Entity values are checked too, for districts built in code.
  d = Tiny();
  d.cameras[0].focal_length_mm = -1;
  ExpectInvalid(ValidateDistrict(d), {"camera 0 (cam-a)", "focal_length_mm"});
  d = Tiny();
  d.cameras[0].position.lat = 95;
  ExpectInvalid(ValidateDistrict(d), {"camera 0 (cam-a)", "latitude 95"});
  d = Tiny();
  std::swap(d.areas[0].polygon.outer()[1], d.areas[0].polygon.outer()[2]);
  ExpectInvalid(ValidateDistrict(d), {"area 0 (ward-a)", "polygon"});
  d = Tiny();
  d.center.lat = 95;
  ExpectInvalid(ValidateDistrict(d), {"district settings", "center", "latitude 95"});
  d = Tiny();
  d.utc_offset_minutes = 900;
  ExpectInvalid(ValidateDistrict(d), {"timezone_offset_minutes"});
  d = Tiny();
  d.retention.audit_days = 0;
  ExpectInvalid(ValidateDistrict(d), {"retention.audit_days"});
  d = Tiny();
  d.name.clear();
  ExpectInvalid(ValidateDistrict(d), {"name must not be empty"});
}

// ---- the files ------------------------------------------------------------------------------

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

int LineOf(const std::string& text, const std::string& needle) {
  auto at = text.find(needle);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

TEST(DistrictFiles, ErrorsNameTheFileAndTheEntry) {
  DemoTexts t;
  ASSERT_TRUE(ParseDistrict(t.areas, t.cameras, t.toml).ok());

  json cams = json::parse(t.cameras);
  cams["features"][12]["properties"]["focal_length_mm"] = -4;
  ExpectInvalid(ParseDistrict(t.areas, cams.dump(), t.toml),
                {"cameras.geojson: feature 12 (cam-13): focal_length_mm must be between 0.5 and 200"});

  json areas = json::parse(t.areas);
  areas["features"][3]["geometry"]["coordinates"][0][1][1] = 95;
  ExpectInvalid(ParseDistrict(areas.dump(), t.cameras, t.toml),
                {"areas.geojson: feature 3 (ward-quarry-hill): geometry.coordinates[0][1]: latitude 95"});

  areas = json::parse(t.areas);
  areas["features"][7] = CameraFeature();
  ExpectInvalid(ParseDistrict(areas.dump(), t.cameras, t.toml),
                {"areas.geojson: feature 7 (cam-x): geometry.type must be \"Polygon\""});

  areas = json::parse(t.areas);
  areas["features"][9]["properties"]["id"] = areas["features"][2]["properties"]["id"];
  ExpectInvalid(ParseDistrict(areas.dump(), t.cameras, t.toml),
                {"areas.geojson: feature 9 (ward-harbourside): duplicate area id", "feature 2"});

  cams = json::parse(t.cameras);
  cams["features"][5]["properties"]["id"] = "cam-01";
  ExpectInvalid(ParseDistrict(t.areas, cams.dump(), t.toml),
                {"cameras.geojson: feature 5 (cam-01): duplicate camera id 'cam-01'", "feature 0"});

  ExpectInvalid(ParseDistrict("{\"type\": \"FeatureCollection\", \"features\": [", t.cameras, t.toml),
                {"areas.geojson: not valid JSON", "line 1"});
  ExpectInvalid(ParseDistrict(t.areas, "{\"type\": \"Feature\"}", t.toml),
                {"cameras.geojson: type must be \"FeatureCollection\""});

  // district.toml: the entry's line, its index among its kind and its id.
  std::string rule_line = "priority = 15\ndepartment = \"operations\"";
  std::string bad = Replace(t.toml, rule_line, "priority = \"high\"\ndepartment = \"operations\"");
  int line = LineOf(t.toml, "id = \"parking-night\"") - 1;
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad),
                {"district.toml:" + std::to_string(line) + ": routing_rule 1 (parking-night): priority must be an integer"});

  bad = Replace(t.toml, "department = \"traffic\"\nnote = \"Parking wardens handle",
                "department = \"wardens\"\nnote = \"Parking wardens handle");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad),
                {"district.toml:", "routing_rule 0 (parking-default): department 'wardens' is not a department"});

  bad = Replace(t.toml, "fallback_department = \"operations\"", "fallback_department = \"night\"");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"district.toml: fallback_department 'night'"});

  bad = Replace(t.toml, "id = \"bin-02\"", "id = \"bin-01\"");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"sensor 1 (bin-01): duplicate sensor id 'bin-01'", "sensor 0"});

  bad = Replace(t.toml, "lat = 31.233679", "lat = 95.0");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"sensor 0 (bin-01): lat 95"});

  bad = Replace(t.toml, "name = \"Riverside District\"", "name = \"Riverside District\"\ncolour = \"blue\"");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"district.toml:", "unknown key 'colour'"});

  bad = Replace(t.toml, "[[department]]\nid = \"operations\"", "[[department]]\nid = \"operations\"\nfax = \"1\"");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"department 0 (operations): unknown key 'fax'"});

  bad = Replace(t.toml, "name = \"Riverside District\"", "name = \"Riverside District");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"district.toml:5:"});

  bad = Replace(t.toml, "audit_days = 730", "audit_days = -1");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"district.toml: retention.audit_days"});

  bad = Replace(t.toml, "threshold = 0.85", "threshold = nan");
  ExpectInvalid(ParseDistrict(t.areas, t.cameras, bad), {"threshold", "finite"});

  bad = Replace(t.toml, "[retention]", "[department]\nid = \"x\"\n[retention]");
  EXPECT_FALSE(ParseDistrict(t.areas, t.cameras, bad).ok());
}

TEST(DistrictFiles, CenterDefaultsToTheMiddleOfTheAreas) {
  DemoTexts t;
  auto d = ParseDistrict(t.areas, t.cameras, Replace(t.toml, "center = [121.4737, 31.2304]", ""));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_GT(d->center.lat, 31.22);
  EXPECT_LT(d->center.lat, 31.24);
  EXPECT_GT(d->center.lon, 121.46);
  EXPECT_LT(d->center.lon, 121.49);
}

// ---- feature collections --------------------------------------------------------------------

TEST(FeatureCollection, RoundTripsAreasAndCameras) {
  const District& d = Demo();
  json fc = ToFeatureCollection(d.areas, d.cameras);
  EXPECT_EQ(fc["type"], "FeatureCollection");
  EXPECT_EQ(fc["features"].size(), d.areas.size() + d.cameras.size());
  auto back = ParseFeatureCollection(json::parse(fc.dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameList(d.areas, back->first);
  ExpectSameList(d.cameras, back->second);

  // Mixed order in, split by geometry; coverage features are derived and skipped.
  json mixed = {{"type", "FeatureCollection"},
                {"features", {CameraFeature("c1"), SquareFeature("a1"), CameraCoverageFeature(d.cameras[0]),
                              CameraFeature("c2")}}};
  auto split = ParseFeatureCollection(mixed);
  ASSERT_TRUE(split.ok()) << split.status().message();
  ASSERT_EQ(split->first.size(), 1u);
  EXPECT_EQ(split->first[0].id, "a1");
  ASSERT_EQ(split->second.size(), 2u);
  EXPECT_EQ(split->second[0].id, "c1");
  EXPECT_EQ(split->second[1].id, "c2");

  json empty = {{"type", "FeatureCollection"}, {"features", json::array()}};
  ASSERT_TRUE(ParseFeatureCollection(empty).ok());
  EXPECT_TRUE(ParseFeatureCollection(empty)->first.empty());
}

TEST(FeatureCollection, Errors) {
  json line = SquareFeature("l1");
  line["geometry"] = json::parse(R"({"type": "LineString", "coordinates": [[121, 31], [121.1, 31.1]]})");
  json fc = {{"type", "FeatureCollection"}, {"features", {SquareFeature("a1"), line}}};
  ExpectInvalid(ParseFeatureCollection(fc), {"feature 1 (l1)", "'LineString' is not supported"});

  fc = {{"type", "FeatureCollection"}, {"features", {SquareFeature("a1"), SquareFeature("a1")}}};
  ExpectInvalid(ParseFeatureCollection(fc), {"feature 1 (a1): duplicate area id 'a1', first used by feature 0"});

  json bad_cam = CameraFeature("c9");
  bad_cam["properties"]["range_m"] = "far";
  fc = {{"type", "FeatureCollection"}, {"features", {SquareFeature("a1"), bad_cam}}};
  ExpectInvalid(ParseFeatureCollection(fc), {"feature 1 (c9): range_m must be a number"});

  fc = {{"type", "FeatureCollection"}, {"features", {SquareFeature("a1"), 7}}};
  ExpectInvalid(ParseFeatureCollection(fc), {"feature 1", "Feature object"});
  ExpectInvalid(ParseFeatureCollection(json{{"type", "FeatureCollection"}}), {"features"});
  ExpectInvalid(ParseFeatureCollection(json{{"type", "FeatureCollection"}, {"features", json::array({json{{"a", 1}}})}}),
                {"feature 0", "geometry.type"});
}

// ---- the store --------------------------------------------------------------------------

constexpr ConfigKind kAllConfigKinds[] = {
    ConfigKind::kArea,    ConfigKind::kCamera, ConfigKind::kDepartment,       ConfigKind::kRoutingRule,
    ConfigKind::kService, ConfigKind::kSensor, ConfigKind::kSetting,          ConfigKind::kSla,
    ConfigKind::kResponseTemplate,             ConfigKind::kEvidencePurpose};

// Every stored configuration document, of every kind.
std::size_t CountConfigDocs(Store& store) {
  std::size_t n = 0;
  for (ConfigKind kind : kAllConfigKinds) n += store.ListConfig(kind).value().size();
  return n;
}

// A real store for the district module. ListConfig answers in reverse: the loader must not
// rely on the store's order.
struct PersistStore {
  PersistStore() { store.SetReverseConfigLists(true); }
  test::TempStore db;
  test::FailableStore store{db.store()};
};

template <typename T, typename Id>
void SortBy(std::vector<T>& v, Id id) {
  std::sort(v.begin(), v.end(), [&](const T& a, const T& b) { return a.*id < b.*id; });
}

District SortedById(District d) {
  SortBy(d.areas, &Area::id);
  SortBy(d.cameras, &Camera::id);
  SortBy(d.departments, &Department::id);
  SortBy(d.rules, &RoutingRule::id);
  SortBy(d.services, &Service::code);
  SortBy(d.sensors, &Sensor::id);
  SortBy(d.slas, &Sla::id);
  SortBy(d.templates, &ResponseTemplate::id);
  SortBy(d.purposes, &EvidencePurpose::code);
  return d;
}

TEST(Persist, SaveThenLoadRoundTripsTheDemo) {
  const District& d = Demo();
  PersistStore p;
  test::FailableStore& store = p.store;
  ASSERT_TRUE(store.Write([&](WriteTxn& txn) { return SaveDistrict(txn, d); }).ok());
  std::size_t entities = d.areas.size() + d.cameras.size() + d.departments.size() + d.rules.size() +
                         d.services.size() + d.sensors.size() + d.slas.size() + d.templates.size() +
                         d.purposes.size();
  ASSERT_FALSE(d.slas.empty() || d.templates.empty() || d.purposes.empty()) << "the demo has all three";
  EXPECT_EQ(CountConfigDocs(store), entities + 1);

  auto settings = store.GetConfig(ConfigKind::kSetting, "district").value();
  ASSERT_TRUE(settings);
  EXPECT_EQ(ConfigDocToJson(*settings)["fallback_department"], "operations");
  auto cam = store.GetConfig(ConfigKind::kCamera, "cam-13").value();
  ASSERT_TRUE(cam);
  EXPECT_EQ(ConfigDocToJson(*cam), CameraToJson(*d.FindCamera("cam-13")));
  ASSERT_TRUE(store.GetConfig(ConfigKind::kService, "noise").value());

  auto loaded = LoadDistrictFromStore(store);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSameDistrict(SortedById(d), *loaded);
}

TEST(Persist, LoadErrors) {
  {
    PersistStore p;
    auto none = LoadDistrictFromStore(p.store);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.status().code(), Code::kNotFound);
  }

  // Each case damages a store of its own that holds the tiny district.
  auto tiny_store = [] {
    auto p = std::make_unique<PersistStore>();
    EXPECT_TRUE(p->store.Write([&](WriteTxn& txn) { return SaveDistrict(txn, Tiny()); }).ok());
    EXPECT_TRUE(LoadDistrictFromStore(p->store).ok());
    return p;
  };

  auto corrupt = tiny_store();
  ASSERT_TRUE(corrupt->store
                  .Write([](WriteTxn& txn) { return txn.PutConfig({ConfigKind::kCamera, "cam-a", "{not json"}); })
                  .ok());
  ExpectInvalid(LoadDistrictFromStore(corrupt->store), {"stored camera 'cam-a'", "not valid JSON"});

  // The department "clean" stored under another id.
  auto renamed = tiny_store();
  auto clean = renamed->store.GetConfig(ConfigKind::kDepartment, "clean").value();
  ASSERT_TRUE(clean);
  ASSERT_TRUE(renamed->store
                  .Write([&](WriteTxn& txn) {
                    GB_RETURN_IF_ERROR(txn.DeleteConfig(ConfigKind::kDepartment, "clean"));
                    return txn.PutConfig({ConfigKind::kDepartment, "cleaning", clean->json});
                  })
                  .ok());
  ExpectInvalid(LoadDistrictFromStore(renamed->store), {"stored department 'cleaning'", "differs"});

  auto dangling = tiny_store();
  ASSERT_TRUE(dangling->store
                  .Write([](WriteTxn& txn) { return txn.DeleteConfig(ConfigKind::kDepartment, "clean"); })
                  .ok());
  ExpectInvalid(LoadDistrictFromStore(dangling->store), {"stored district", "department 'clean'"});
}

TEST(Persist, SaveRejectsAnInvalidDistrictAndWritesNothing) {
  PersistStore p;
  test::FailableStore& store = p.store;
  District d = Tiny();
  d.rules[0].department = "nobody";
  ExpectInvalid(store.Write([&](WriteTxn& txn) { return SaveDistrict(txn, d); }), {"department 'nobody'"});
  EXPECT_EQ(store.last_write_mutations(), 0);
  EXPECT_EQ(CountConfigDocs(store), 0u);

  d = Tiny();
  d.departments[1].name = "Bad \xff name";
  ExpectInvalid(store.Write([&](WriteTxn& txn) { return SaveDistrict(txn, d); }), {"department 'clean'", "UTF-8"});
  EXPECT_EQ(store.last_write_mutations(), 0);
  EXPECT_EQ(CountConfigDocs(store), 0u);
}

TEST(Persist, ReplaceDistrictDropsStaleDocuments) {
  PersistStore p;
  test::FailableStore& store = p.store;
  ASSERT_TRUE(ReplaceDistrict(store, Tiny()).ok());
  District smaller = Tiny();
  smaller.sensors.clear();
  smaller.cameras.clear();
  ASSERT_TRUE(ReplaceDistrict(store, smaller).ok());
  EXPECT_FALSE(store.GetConfig(ConfigKind::kSensor, "n1").value());
  EXPECT_FALSE(store.GetConfig(ConfigKind::kCamera, "cam-a").value());
  auto loaded = LoadDistrictFromStore(store);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->sensors.empty());
  EXPECT_EQ(loaded->departments.size(), 2u);
}

TEST(Persist, ConfigDocsForTheAdminApi) {
  // Normalised: defaults filled in, unknown input rejected, id from the body.
  auto rule = ToConfigDoc(ConfigKind::kRoutingRule,
                          json{{"id", "r9"}, {"category", "noise"}, {"area", "*"}, {"department", "ops"}});
  ASSERT_TRUE(rule.ok()) << rule.status().message();
  EXPECT_EQ(rule->kind, ConfigKind::kRoutingRule);
  EXPECT_EQ(rule->id, "r9");
  json stored = ConfigDocToJson(*rule);
  EXPECT_EQ(stored["days"], "*");
  EXPECT_EQ(stored["priority"], 0);
  EXPECT_EQ(stored, RoutingRuleToJson(*RoutingRuleFromJson(stored)));

  auto service = ToConfigDoc(ConfigKind::kService, json{{"code", "potholes"}, {"name", "Potholes"}});
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->id, "potholes");
  auto area = ToConfigDoc(ConfigKind::kArea, SquareFeature("a7"));
  ASSERT_TRUE(area.ok());
  EXPECT_EQ(area->id, "a7");
  auto camera = ToConfigDoc(ConfigKind::kCamera, CameraFeature("c7"));
  ASSERT_TRUE(camera.ok());
  EXPECT_EQ(ConfigDocToJson(*camera)["properties"]["range_m"], 60);
  auto settings = ToConfigDoc(ConfigKind::kSetting, DistrictSettingsToJson(Tiny()));
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->id, "district");
  auto sensor = ToConfigDoc(ConfigKind::kSensor, SensorToJson(Tiny().sensors[0]));
  ASSERT_TRUE(sensor.ok());
  auto department = ToConfigDoc(ConfigKind::kDepartment, json{{"id", "parks"}, {"name", "Parks"}});
  ASSERT_TRUE(department.ok());

  ExpectInvalid(ToConfigDoc(ConfigKind::kDepartment, json{{"id", "x"}}), {"missing 'name'"});
  ExpectInvalid(ToConfigDoc(ConfigKind::kCamera, SquareFeature()), {"geometry.type must be \"Point\""});
  EXPECT_TRUE(ConfigDocToJson(ConfigDoc{ConfigKind::kArea, "x", "{oops"}).is_null());

  // Apply to a district, then validate the whole before writing.
  District d = Tiny();
  ASSERT_TRUE(ApplyConfigDoc(d, *rule).ok());
  ASSERT_TRUE(ApplyConfigDoc(d, *department).ok());
  EXPECT_EQ(d.rules.size(), 3u);
  EXPECT_TRUE(ValidateDistrict(d).ok()) << ValidateDistrict(d).message();
  ASSERT_TRUE(ApplyConfigDoc(d, *ToConfigDoc(ConfigKind::kRoutingRule, json{{"id", "r9"},
                                                                           {"category", "noise"},
                                                                           {"area", "*"},
                                                                           {"department", "parks"}}))
                  .ok());
  EXPECT_EQ(d.rules.size(), 3u);
  EXPECT_EQ(d.FindRule("r9")->department, "parks");
  ASSERT_TRUE(RemoveConfigDoc(d, ConfigKind::kDepartment, "parks").ok());
  ExpectInvalid(ValidateDistrict(d), {"department 'parks'"});
  EXPECT_EQ(RemoveConfigDoc(d, ConfigKind::kDepartment, "parks").code(), Code::kNotFound);
  EXPECT_EQ(RemoveConfigDoc(d, ConfigKind::kSetting, "district").code(), Code::kInvalid);
  ExpectInvalid(ApplyConfigDoc(d, ConfigDoc{ConfigKind::kSetting, "other", settings->json}), {"'district'"});
}

// SLAs, response templates and evidence purposes: checked alone and against the district.
TEST(ValidateDistrict, SlasTemplatesAndPurposes) {
  auto with = [](auto change) {
    District d = Demo();
    change(d);
    return ValidateDistrict(d);
  };
  ExpectInvalid(with([](District& d) { d.slas[0].department = "nobody"; }), {"sla 0", "department 'nobody'"});
  ExpectInvalid(with([](District& d) { d.slas[0].category = "unicorns"; }), {"category 'unicorns'"});
  ExpectInvalid(with([](District& d) { d.slas[0].escalate_to = "nowhere"; }), {"escalate_to 'nowhere'"});
  ExpectInvalid(with([](District& d) {
                  d.slas[0].department = "traffic";
                  d.slas[0].escalate_to = "traffic";
                }),
                {"own department"});
  ExpectInvalid(with([](District& d) { d.slas[0].respond_minutes = 0; }), {"respond_minutes"});
  ExpectInvalid(with([](District& d) { d.slas[0].resolve_minutes = d.slas[0].respond_minutes - 1; }),
                {"resolve_minutes"});
  ExpectInvalid(with([](District& d) { d.slas.push_back(d.slas[0]); }), {"duplicate sla id"});
  ExpectInvalid(with([](District& d) { d.templates[0].category = "unicorns"; }),
                {"response template 0", "category 'unicorns'"});
  ExpectInvalid(with([](District& d) { d.templates[0].state = "merged"; }), {"state must be"});
  ExpectInvalid(with([](District& d) { d.templates[0].text.en.clear(); }), {"text.en"});
  ExpectInvalid(with([](District& d) { d.purposes.push_back(d.purposes[0]); }), {"duplicate evidence purpose id"});
  ExpectInvalid(with([](District& d) { d.purposes[0].label.clear(); }), {"label"});
  EXPECT_TRUE(with([](District&) {}).ok());
}

TEST(CodecErrors, TemplateTextsAreAnObjectOfKnownLanguages) {
  json t = ResponseTemplateToJson(Demo().templates[0]);
  t["text"] = "Fixed.";
  ExpectInvalid(ResponseTemplateFromJson(t), {"text must be an object"});
  t["text"] = {{"en", "Fixed."}, {"fr", "Réparé."}};
  ExpectInvalid(ResponseTemplateFromJson(t), {"unknown key 'text.fr'"});
  t.erase("text");
  ExpectInvalid(ResponseTemplateFromJson(t), {"missing 'text'"});
  ExpectInvalid(SlaFromJson(json{{"id", "s"}, {"category", "*"}, {"respond_minutes", 5}}), {"resolve_minutes"});
  ExpectInvalid(EvidencePurposeFromJson(json{{"code", "c"}, {"label", "L"}, {"colour", "red"}}), {"unknown key"});
}

TEST(DistrictFiles, SlaTemplateAndPurposeSectionsNameTheirLine) {
  DemoTexts t;
  std::string toml = t.toml + "\n[[sla]]\nid = \"late\"\ncategory = \"noise\"\nrespond_minutes = \"soon\"\nresolve_minutes = 5\n";
  auto d = ParseDistrict(t.areas, t.cameras, toml);
  ExpectInvalid(d, {"district.toml:", "sla", "(late)", "respond_minutes must be an integer"});
}

TEST(Persist, SlasAreEditedThroughConfigDocs) {
  District d = Demo();
  auto doc = ToConfigDoc(ConfigKind::kSla, json{{"id", "night"}, {"category", "noise"}, {"respond_minutes", 10},
                                                {"resolve_minutes", 60}});
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(ConfigDocToJson(*doc)["department"], "*") << "the default is filled in";
  ASSERT_TRUE(ApplyConfigDoc(d, *doc).ok());
  ASSERT_NE(d.FindSla("night"), nullptr);
  EXPECT_TRUE(ValidateDistrict(d).ok());
  ASSERT_TRUE(RemoveConfigDoc(d, ConfigKind::kSla, "night").ok());
  EXPECT_EQ(d.FindSla("night"), nullptr);
  EXPECT_EQ(RemoveConfigDoc(d, ConfigKind::kEvidencePurpose, "nope").code(), Code::kNotFound);
  auto purpose = ToConfigDoc(ConfigKind::kEvidencePurpose, json{{"code", "insurance"}, {"label", "A claim"}});
  ASSERT_TRUE(purpose.ok());
  EXPECT_EQ(purpose->id, "insurance");
}

}  // namespace
}  // namespace gb
