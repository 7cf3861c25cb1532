#include "district/codec.h"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "district/json_util.h"

namespace gb {

using nlohmann::json;

// ---- shared helpers ---------------------------------------------------------------------
namespace district_internal {

std::string JsonTypeWord(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

std::string FormatNumber(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return buf;
}

std::string Quoted(std::string_view text, std::size_t max) {
  if (text.size() <= max) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, max)) + "…'";
}

std::string FeatureLabel(const json& feature, std::size_t index) {
  std::string label = "feature " + std::to_string(index);
  if (!feature.is_object()) return label;
  auto props = feature.find("properties");
  if (props == feature.end() || !props->is_object()) return label;
  auto id = props->find("id");
  if (id == props->end() || !id->is_string() || id->get_ref<const std::string&>().empty()) return label;
  const std::string& s = id->get_ref<const std::string&>();
  return label + " (" + (s.size() > 60 ? s.substr(0, 60) + "…" : s) + ")";
}

Result<const json*> FeaturesOf(const json& collection) {
  if (!collection.is_object())
    return Status::Invalid("expected a GeoJSON FeatureCollection object, got " + JsonTypeWord(collection));
  auto type = collection.find("type");
  if (type == collection.end() || !type->is_string() || *type != "FeatureCollection")
    return Status::Invalid("type must be \"FeatureCollection\"");
  auto features = collection.find("features");
  if (features == collection.end()) return Status::Invalid("missing 'features' (an array of Feature objects)");
  if (!features->is_array())
    return Status::Invalid("features must be an array of Feature objects, got " + JsonTypeWord(*features));
  return &*features;
}

std::string JsonErrorMessage(const json::exception& e) {
  std::string m = e.what();
  if (!m.empty() && m[0] == '[') {
    auto close = m.find("] ");
    if (close != std::string::npos) m.erase(0, close + 2);
  }
  return m;
}

Result<json> ParseJsonText(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return Status::Invalid("not valid JSON: " + JsonErrorMessage(e));
  }
}

}  // namespace district_internal

namespace {

using district_internal::FormatNumber;
using district_internal::JsonErrorMessage;
using district_internal::JsonTypeWord;
using district_internal::Quoted;

enum class Need { kRequired, kOptional };

// Reads the members of one JSON object. The first problem wins and later reads are no-ops,
// so a codec reads every field and checks status() once at the end.
class ObjectReader {
 public:
  // `prefix` goes before every field name in messages ("retention." → "retention.events_days").
  ObjectReader(const json& object, std::string what, std::string prefix = "")
      : object_(object), prefix_(std::move(prefix)) {
    if (!object.is_object()) Fail(what + " must be an object, got " + JsonTypeWord(object));
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  void Fail(std::string message) {
    if (status_.ok()) status_ = Status::Invalid(std::move(message));
  }

  std::string String(const char* key, Need need, std::string fallback = "") {
    const json* v = Find(key, need, "a string");
    if (!v) return fallback;
    if (!v->is_string()) {
      Fail(Name(key) + " must be a string, got " + JsonTypeWord(*v));
      return fallback;
    }
    return v->get<std::string>();
  }

  double Number(const char* key, Need need, double fallback = 0) {
    const json* v = Find(key, need, "a number");
    if (!v) return fallback;
    if (!v->is_number()) {
      Fail(Name(key) + " must be a number, got " + JsonTypeWord(*v));
      return fallback;
    }
    return v->get<double>();
  }

  int Integer(const char* key, Need need, int fallback = 0) {
    const json* v = Find(key, need, "an integer");
    if (!v) return fallback;
    constexpr auto kMin = std::numeric_limits<int>::min();
    constexpr auto kMax = std::numeric_limits<int>::max();
    if (v->is_number_unsigned()) {
      auto u = v->get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(kMax)) return static_cast<int>(u);
    } else if (v->is_number_integer()) {
      auto i = v->get<std::int64_t>();
      if (i >= kMin && i <= kMax) return static_cast<int>(i);
    } else if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && d >= kMin && d <= kMax) return static_cast<int>(d);
      Fail(Name(key) + " must be an integer, got " + FormatNumber(d));
      return fallback;
    } else {
      Fail(Name(key) + " must be an integer, got " + JsonTypeWord(*v));
      return fallback;
    }
    Fail(Name(key) + " is out of range for an integer");
    return fallback;
  }

  std::vector<std::string> Strings(const char* key, Need need, std::vector<std::string> fallback = {}) {
    const json* v = Find(key, need, "an array of strings");
    if (!v) return fallback;
    if (!v->is_array()) {
      Fail(Name(key) + " must be an array of strings, got " + JsonTypeWord(*v));
      return {};
    }
    std::vector<std::string> out;
    out.reserve(v->size());
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& item = (*v)[i];
      if (!item.is_string()) {
        Fail(Name(key) + "[" + std::to_string(i) + "] must be a string, got " + JsonTypeWord(item));
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  // Reads `key` into `member` with the reader its type calls for; an absent optional key
  // leaves `member` as it was (so a default-constructed entity supplies the defaults).
  void Read(const char* key, Need need, std::string& member) { member = String(key, need, member); }
  void Read(const char* key, Need need, double& member) { member = Number(key, need, member); }
  void Read(const char* key, Need need, int& member) { member = Integer(key, need, member); }
  void Read(const char* key, Need need, std::vector<std::string>& member) { member = Strings(key, need, member); }

  // A member of any type (marks it known); nullptr when absent or null (after recording a
  // "missing" error when required).
  const json* Raw(const char* key, Need need, const char* expected) { return Find(key, need, expected); }

  // Fails on members no read asked for.
  void RejectUnknown() {
    if (!ok()) return;
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (std::find(known_.begin(), known_.end(), it.key()) != known_.end()) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + prefix_ + k;
      Fail("unknown key " + Quoted(prefix_ + it.key()) + " (known keys: " + list + ")");
      return;
    }
  }

 private:
  std::string Name(const char* key) const { return prefix_ + key; }

  const json* Find(const char* key, Need need, const char* expected) {
    known_.emplace_back(key);
    if (!ok()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (need == Need::kRequired) Fail("missing " + Quoted(Name(key)) + " (" + expected + ")");
      return nullptr;
    }
    return &*it;
  }

  const json& object_;
  std::string prefix_;
  Status status_;
  std::vector<std::string> known_;
};

// Runs `decode` and turns any nlohmann exception into Invalid: codecs never throw.
template <typename F>
auto Guard(F&& decode) -> decltype(decode()) {
  try {
    return decode();
  } catch (const json::exception& e) {
    return Status::Invalid(JsonErrorMessage(e));
  }
}

// ---- field lists ------------------------------------------------------------------------
//
// The plain fields of each entity are listed once, in a Fields() overload that calls
// fn(key, member, need) for each of them. Writing and reading both walk that one list, so a
// key cannot be added, renamed or dropped in one direction only. `Self` is the entity or the
// const entity: writing visits the caller's object, reading a default-constructed one whose
// members are the defaults of absent optional keys. The order is the reading order, which
// decides the first error reported and the order of the "known keys" list.
// Geometry, GeoJSON positions, the computed coverage and the settings stay hand-written.

template <typename Self, typename T>
concept MaybeConst = std::same_as<std::remove_const_t<Self>, T>;

template <MaybeConst<Area> Self, typename Fn>
void Fields(Self& a, Fn&& fn) {  // the properties of the Feature
  fn("id", a.id, Need::kRequired);
  fn("name", a.name, Need::kRequired);
  fn("kind", a.kind, Need::kRequired);
}

template <MaybeConst<Camera> Self, typename Fn>
void Fields(Self& c, Fn&& fn) {  // the properties of the Feature
  fn("id", c.id, Need::kRequired);
  fn("name", c.name, Need::kRequired);
  fn("heading_deg", c.heading_deg, Need::kRequired);
  fn("focal_length_mm", c.focal_length_mm, Need::kRequired);
  fn("sensor_width_mm", c.sensor_width_mm, Need::kRequired);
  fn("range_m", c.range_m, Need::kRequired);
  fn("height_m", c.height_m, Need::kOptional);
  fn("rules", c.rules, Need::kOptional);
  fn("purpose", c.purpose, Need::kRequired);
}

template <MaybeConst<Department> Self, typename Fn>
void Fields(Self& d, Fn&& fn) {
  fn("id", d.id, Need::kRequired);
  fn("name", d.name, Need::kRequired);
  fn("email", d.email, Need::kOptional);
  fn("phone", d.phone, Need::kOptional);
  fn("hours", d.hours, Need::kOptional);
  fn("description", d.description, Need::kOptional);
}

template <MaybeConst<RoutingRule> Self, typename Fn>
void Fields(Self& r, Fn&& fn) {
  fn("id", r.id, Need::kRequired);
  fn("category", r.category, Need::kRequired);
  fn("area", r.area, Need::kRequired);
  fn("days", r.days, Need::kOptional);
  fn("hours", r.hours, Need::kOptional);
  fn("priority", r.priority, Need::kOptional);
  fn("department", r.department, Need::kRequired);
  fn("note", r.note, Need::kOptional);
}

template <MaybeConst<Service> Self, typename Fn>
void Fields(Self& s, Fn&& fn) {
  fn("code", s.code, Need::kRequired);
  fn("name", s.name, Need::kRequired);
  fn("description", s.description, Need::kOptional);
  fn("group", s.group, Need::kOptional);
  fn("keywords", s.keywords, Need::kOptional);
  fn("retention_days", s.retention_days, Need::kOptional);
}

template <MaybeConst<Sensor> Self, typename Fn>
void Fields(Self& s, Fn&& fn) {  // the position as flat "lon" and "lat", as in district.toml
  fn("id", s.id, Need::kRequired);
  fn("name", s.name, Need::kRequired);
  fn("kind", s.kind, Need::kRequired);
  fn("category", s.category, Need::kRequired);
  fn("lon", s.position.lon, Need::kRequired);
  fn("lat", s.position.lat, Need::kRequired);
  fn("unit", s.unit, Need::kOptional);
  fn("threshold", s.threshold, Need::kRequired);
  fn("clear", s.clear, Need::kOptional);
}

template <MaybeConst<Sla> Self, typename Fn>
void Fields(Self& s, Fn&& fn) {
  fn("id", s.id, Need::kRequired);
  fn("category", s.category, Need::kRequired);
  fn("department", s.department, Need::kOptional);
  fn("respond_minutes", s.respond_minutes, Need::kRequired);
  fn("resolve_minutes", s.resolve_minutes, Need::kRequired);
  fn("escalate_to", s.escalate_to, Need::kOptional);
}

template <MaybeConst<ResponseTemplate> Self, typename Fn>
void Fields(Self& t, Fn&& fn) {  // and "text", an object of LocalizedText's fields
  fn("id", t.id, Need::kRequired);
  fn("title", t.title, Need::kRequired);
  fn("state", t.state, Need::kRequired);
  fn("category", t.category, Need::kOptional);
}

template <MaybeConst<LocalizedText> Self, typename Fn>
void Fields(Self& t, Fn&& fn) {
  fn("en", t.en, Need::kRequired);
  fn("de", t.de, Need::kOptional);
}

template <MaybeConst<EvidencePurpose> Self, typename Fn>
void Fields(Self& p, Fn&& fn) {
  fn("code", p.code, Need::kRequired);
  fn("label", p.label, Need::kRequired);
}

template <MaybeConst<Retention> Self, typename Fn>
void Fields(Self& r, Fn&& fn) {
  fn("events_days", r.events_days, Need::kOptional);
  fn("evidence_days", r.evidence_days, Need::kOptional);
  fn("incidents_days", r.incidents_days, Need::kOptional);
  fn("audit_days", r.audit_days, Need::kOptional);
}

template <typename T>
json FieldsToJson(const T& x) {
  json out = json::object();
  Fields(x, [&](const char* key, const auto& member, Need) { out[key] = member; });
  return out;
}

// A default T with every listed field read from `r`; check r.ok() afterwards.
template <typename T>
T FieldsFromJson(ObjectReader& r) {
  T x;
  Fields(x, [&](const char* key, auto& member, Need need) { r.Read(key, need, member); });
  return x;
}

// A plain object: exactly the listed fields (unknown keys are errors), then `validate`.
template <typename T>
Result<T> DecodeObject(const json& object, const char* what, Status (*validate)(const T&),
                       std::string prefix = "") {
  ObjectReader r(object, what, std::move(prefix));
  T x = FieldsFromJson<T>(r);
  r.RejectUnknown();
  if (!r.ok()) return r.status();
  GB_RETURN_IF_ERROR(validate(x));
  return x;
}

Status Prefixed(const std::string& prefix, const Status& s) {
  if (s.ok()) return s;
  return Status(s.code(), prefix + s.message());
}

// ---- geometry ---------------------------------------------------------------------------

// [lon, lat] or [lon, lat, alt].
Result<GeoPoint> ParsePosition(const json& p, const std::string& path) {
  if (!p.is_array() || p.size() < 2 || p.size() > 3 || !p[0].is_number() || !p[1].is_number() ||
      (p.size() == 3 && !p[2].is_number()))
    return Status::Invalid(path + " must be a position [lon, lat], got " +
                           (p.is_array() ? "an array of " + std::to_string(p.size()) + " values" : JsonTypeWord(p)));
  double lon = p[0].get<double>(), lat = p[1].get<double>();
  if (!std::isfinite(lat) || lat < -90 || lat > 90)
    return Status::Invalid(path + ": latitude " + FormatNumber(lat) + " is out of range (-90 to 90)");
  if (!std::isfinite(lon) || lon < -180 || lon > 180)
    return Status::Invalid(path + ": longitude " + FormatNumber(lon) + " is out of range (-180 to 180)");
  return GeoPoint(lon, lat);
}

// Twice the signed area; positive for a counterclockwise ring (x = lon east, y = lat north).
double SignedArea2(const GeoPolygon::ring_type& ring) {
  double sum = 0;
  for (std::size_t i = 0; i + 1 < ring.size(); ++i)
    sum += ring[i].x() * ring[i + 1].y() - ring[i + 1].x() * ring[i].y();
  if (!ring.empty()) sum += ring.back().x() * ring.front().y() - ring.front().x() * ring.back().y();
  return sum;
}

json RingToJson(const GeoPolygon::ring_type& ring, bool counterclockwise) {
  std::vector<GeoPoint> pts(ring.begin(), ring.end());
  if (!pts.empty() && (pts.front().x() != pts.back().x() || pts.front().y() != pts.back().y()))
    pts.push_back(pts.front());
  if ((SignedArea2(ring) > 0) != counterclockwise) std::reverse(pts.begin(), pts.end());
  json out = json::array();
  for (const auto& p : pts) out.push_back(json::array({p.x(), p.y()}));
  return out;
}

const json* FindMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// The properties and geometry of a Feature.
struct FeatureParts {
  const json* properties;
  const json* geometry;
};

Result<FeatureParts> SplitFeature(const json& feature, const char* properties_hint) {
  if (!feature.is_object()) return Status::Invalid("expected a GeoJSON Feature object, got " + JsonTypeWord(feature));
  const json* type = FindMember(feature, "type");
  if (!type || !type->is_string() || *type != "Feature") return Status::Invalid("type must be \"Feature\"");
  const json* geometry = FindMember(feature, "geometry");
  if (!geometry) return Status::Invalid("missing 'geometry'");
  if (!geometry->is_object()) return Status::Invalid("geometry must be an object, got " + JsonTypeWord(*geometry));
  const json* properties = FindMember(feature, "properties");
  if (!properties) return Status::Invalid(std::string("missing 'properties' (an object with ") + properties_hint + ")");
  if (!properties->is_object())
    return Status::Invalid("properties must be an object, got " + JsonTypeWord(*properties));
  return FeatureParts{properties, geometry};
}

Status CheckGeometryType(const json& geometry, const char* want, const char* what) {
  const json* type = FindMember(geometry, "type");
  if (!type || !type->is_string())
    return Status::Invalid(std::string("geometry.type must be \"") + want + "\" for " + what);
  if (*type != want)
    return Status::Invalid(std::string("geometry.type must be \"") + want + "\" for " + what + ", got " +
                           Quoted(type->get_ref<const std::string&>()));
  return Status::Ok();
}

Result<GeoPolygon> DecodePolygon(const json& geometry) {
  GB_RETURN_IF_ERROR(CheckGeometryType(geometry, "Polygon", "an area"));
  const json* coords = FindMember(geometry, "coordinates");
  if (!coords || !coords->is_array() || coords->empty())
    return Status::Invalid("geometry.coordinates must be an array of rings (outer ring first, then holes)");
  GeoPolygon poly;
  poly.inners().resize(coords->size() - 1);
  for (std::size_t r = 0; r < coords->size(); ++r) {
    const json& ring_json = (*coords)[r];
    std::string path = "geometry.coordinates[" + std::to_string(r) + "]";
    if (!ring_json.is_array())
      return Status::Invalid(path + " must be an array of positions, got " + JsonTypeWord(ring_json));
    if (ring_json.size() < 4)
      return Status::Invalid(path + " needs at least 4 positions (a closed ring of 3 corners), got " +
                             std::to_string(ring_json.size()));
    auto& ring = r == 0 ? poly.outer() : poly.inners()[r - 1];
    ring.reserve(ring_json.size());
    for (std::size_t i = 0; i < ring_json.size(); ++i) {
      auto p = ParsePosition(ring_json[i], path + "[" + std::to_string(i) + "]");
      if (!p.ok()) return p.status();
      ring.push_back(*p);
    }
    if (ring.front().x() != ring.back().x() || ring.front().y() != ring.back().y())
      return Status::Invalid(path + " is not closed: its last position must repeat the first");
  }
  Status s = NormalizePolygon(poly);
  if (!s.ok()) return Prefixed("geometry: ", s);
  return poly;
}

json PositionJson(LatLon p) { return json::array({p.lon, p.lat}); }

}  // namespace

// ---- polygons ---------------------------------------------------------------------------

json PolygonToGeoJson(const GeoPolygon& polygon) {
  json rings = json::array();
  rings.push_back(RingToJson(polygon.outer(), true));
  for (const auto& inner : polygon.inners()) rings.push_back(RingToJson(inner, false));
  return {{"type", "Polygon"}, {"coordinates", std::move(rings)}};
}

Result<GeoPolygon> PolygonFromGeoJson(const json& geometry) {
  return Guard([&]() -> Result<GeoPolygon> {
    if (!geometry.is_object()) return Status::Invalid("geometry must be an object, got " + JsonTypeWord(geometry));
    return DecodePolygon(geometry);
  });
}

// ---- areas ------------------------------------------------------------------------------

json AreaToJson(const Area& area) {
  return {{"type", "Feature"},
          {"properties", FieldsToJson(area)},
          {"geometry", PolygonToGeoJson(area.polygon)}};
}

Result<Area> AreaFromJson(const json& feature) {
  return Guard([&]() -> Result<Area> {
    auto parts = SplitFeature(feature, "id, name, kind");
    if (!parts.ok()) return parts.status();
    GB_RETURN_IF_ERROR(CheckGeometryType(*parts->geometry, "Polygon", "an area"));
    ObjectReader r(*parts->properties, "properties");
    Area area = FieldsFromJson<Area>(r);
    if (!r.ok()) return r.status();
    auto poly = DecodePolygon(*parts->geometry);
    if (!poly.ok()) return poly.status();
    area.polygon = std::move(*poly);
    GB_RETURN_IF_ERROR(ValidateArea(area));
    return area;
  });
}

// ---- cameras ----------------------------------------------------------------------------

json CameraToJson(const Camera& c) {
  return {{"type", "Feature"},
          {"properties", FieldsToJson(c)},
          {"geometry", {{"type", "Point"}, {"coordinates", PositionJson(c.position)}}}};
}

Result<Camera> CameraFromJson(const json& feature) {
  return Guard([&]() -> Result<Camera> {
    auto parts = SplitFeature(feature, "id, name, heading_deg, focal_length_mm, …");
    if (!parts.ok()) return parts.status();
    GB_RETURN_IF_ERROR(CheckGeometryType(*parts->geometry, "Point", "a camera"));
    ObjectReader r(*parts->properties, "properties");
    Camera c = FieldsFromJson<Camera>(r);
    if (!r.ok()) return r.status();
    const json* coords = FindMember(*parts->geometry, "coordinates");
    if (!coords) return Status::Invalid("missing 'geometry.coordinates' (a position [lon, lat])");
    auto p = ParsePosition(*coords, "geometry.coordinates");
    if (!p.ok()) return p.status();
    c.position = LatLon{p->y(), p->x()};
    GB_RETURN_IF_ERROR(ValidateCamera(c));
    c.coverage = CameraCoverage(c.position, c.heading_deg, c.focal_length_mm, c.sensor_width_mm, c.range_m);
    return c;
  });
}

json CameraCoverageFeature(const Camera& c) {
  GeoPolygon coverage = c.coverage;
  if (coverage.outer().empty() && c.focal_length_mm > 0 && c.sensor_width_mm > 0 && c.range_m > 0)
    coverage = CameraCoverage(c.position, c.heading_deg, c.focal_length_mm, c.sensor_width_mm, c.range_m);
  double fov = c.focal_length_mm > 0 ? FieldOfViewDeg(c.focal_length_mm, c.sensor_width_mm) : 0;
  return {{"type", "Feature"},
          {"properties",
           {{"id", c.id},
            {"name", c.name},
            {"kind", kCameraCoverageKind},
            {"fov_deg", fov},
            {"range_m", c.range_m},
            {"rules", c.rules},
            {"purpose", c.purpose}}},
          {"geometry", PolygonToGeoJson(coverage)}};
}

// ---- departments, rules, services, sensors ------------------------------------------------

json DepartmentToJson(const Department& d) { return FieldsToJson(d); }

Result<Department> DepartmentFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "a department", ValidateDepartment); });
}

json RoutingRuleToJson(const RoutingRule& rule) { return FieldsToJson(rule); }

Result<RoutingRule> RoutingRuleFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "a routing rule", ValidateRoutingRule); });
}

json ServiceToJson(const Service& s) { return FieldsToJson(s); }

Result<Service> ServiceFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "a service", ValidateService); });
}

json SensorToJson(const Sensor& s) { return FieldsToJson(s); }

Result<Sensor> SensorFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "a sensor", ValidateSensor); });
}

json SlaToJson(const Sla& s) { return FieldsToJson(s); }

Result<Sla> SlaFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "an SLA", ValidateSla); });
}

json ResponseTemplateToJson(const ResponseTemplate& t) {
  json out = FieldsToJson(t);
  out["text"] = FieldsToJson(t.text);
  return out;
}

namespace {
Status AnyText(const LocalizedText&) { return Status::Ok(); }  // ValidateResponseTemplate checks it whole
}  // namespace

Result<ResponseTemplate> ResponseTemplateFromJson(const json& object) {
  return Guard([&]() -> Result<ResponseTemplate> {
    ObjectReader r(object, "a response template");
    ResponseTemplate t = FieldsFromJson<ResponseTemplate>(r);
    const json* text = r.Raw("text", Need::kRequired, "an object {\"en\": …, \"de\": …}");
    r.RejectUnknown();
    if (!r.ok()) return r.status();
    auto decoded = DecodeObject<LocalizedText>(*text, "text", AnyText, "text.");
    if (!decoded.ok()) return decoded.status();
    t.text = std::move(*decoded);
    GB_RETURN_IF_ERROR(ValidateResponseTemplate(t));
    return t;
  });
}

json EvidencePurposeToJson(const EvidencePurpose& p) { return FieldsToJson(p); }

Result<EvidencePurpose> EvidencePurposeFromJson(const json& object) {
  return Guard([&] { return DecodeObject(object, "an evidence purpose", ValidateEvidencePurpose); });
}

// ---- settings ---------------------------------------------------------------------------

json RetentionToJson(const Retention& r) { return FieldsToJson(r); }

namespace {
Result<Retention> DecodeRetention(const json& object) {
  return DecodeObject(object, "retention", ValidateRetention, "retention.");
}
}  // namespace

Result<Retention> RetentionFromJson(const json& object) {
  return Guard([&] { return DecodeRetention(object); });
}

json DistrictSettingsToJson(const District& d) {
  return {{"name", d.name},
          {"timezone_offset_minutes", d.utc_offset_minutes},
          {"fallback_department", d.fallback_department},
          {"center", PositionJson(d.center)},
          {"retention", RetentionToJson(d.retention)}};
}

Status DistrictSettingsFromJson(const json& object, District& into) {
  try {
    ObjectReader r(object, "the district settings");
    std::string name = r.String("name", Need::kRequired);
    const json* offset_new = r.Raw("timezone_offset_minutes", Need::kOptional, "an integer");
    const json* offset_old = r.Raw("utc_offset_minutes", Need::kOptional, "an integer");
    if (offset_new && offset_old)
      r.Fail("give either timezone_offset_minutes or utc_offset_minutes, not both");
    int offset = r.Integer(offset_old ? "utc_offset_minutes" : "timezone_offset_minutes", Need::kOptional, 0);
    std::string fallback = r.String("fallback_department", Need::kRequired);
    const json* center = r.Raw("center", Need::kRequired, "a position [lon, lat]");
    const json* retention = r.Raw("retention", Need::kOptional, "an object of days");
    r.RejectUnknown();
    if (!r.ok()) return r.status();
    auto c = ParsePosition(*center, "center");
    if (!c.ok()) return c.status();
    Retention ret;
    if (retention) {
      auto decoded = DecodeRetention(*retention);
      if (!decoded.ok()) return decoded.status();
      ret = *decoded;
    }
    District settings;
    settings.name = std::move(name);
    settings.utc_offset_minutes = offset;
    settings.fallback_department = std::move(fallback);
    settings.center = LatLon{c->y(), c->x()};
    settings.retention = ret;
    GB_RETURN_IF_ERROR(ValidateDistrictSettings(settings));
    into.name = std::move(settings.name);
    into.utc_offset_minutes = settings.utc_offset_minutes;
    into.fallback_department = std::move(settings.fallback_department);
    into.center = settings.center;
    into.retention = settings.retention;
    return Status::Ok();
  } catch (const json::exception& e) {
    return Status::Invalid(JsonErrorMessage(e));
  }
}

// ---- feature collections ----------------------------------------------------------------

Result<std::pair<std::vector<Area>, std::vector<Camera>>> ParseFeatureCollection(const json& collection) {
  return Guard([&]() -> Result<std::pair<std::vector<Area>, std::vector<Camera>>> {
    auto features = district_internal::FeaturesOf(collection);
    if (!features.ok()) return features.status();
    std::pair<std::vector<Area>, std::vector<Camera>> out;
    std::unordered_map<std::string, std::size_t> area_at, camera_at;
    for (std::size_t i = 0; i < (*features)->size(); ++i) {
      const json& f = (**features)[i];
      std::string label = district_internal::FeatureLabel(f, i) + ": ";
      if (!f.is_object()) return Status::Invalid(label + "expected a Feature object, got " + JsonTypeWord(f));
      const json* props = FindMember(f, "properties");
      if (props && props->is_object()) {
        const json* kind = FindMember(*props, "kind");
        if (kind && kind->is_string() && *kind == kCameraCoverageKind) continue;  // derived data
      }
      const json* geometry = FindMember(f, "geometry");
      const json* type = geometry && geometry->is_object() ? FindMember(*geometry, "type") : nullptr;
      if (!type || !type->is_string())
        return Status::Invalid(label + "missing geometry.type (\"Polygon\" for an area, \"Point\" for a camera)");
      if (*type == "Polygon") {
        auto area = AreaFromJson(f);
        if (!area.ok()) return Prefixed(label, area.status());
        auto [it, fresh] = area_at.emplace(area->id, i);
        if (!fresh)
          return Status::Invalid(label + "duplicate area id " + Quoted(area->id) + ", first used by feature " +
                                 std::to_string(it->second));
        out.first.push_back(std::move(*area));
      } else if (*type == "Point") {
        auto camera = CameraFromJson(f);
        if (!camera.ok()) return Prefixed(label, camera.status());
        auto [it, fresh] = camera_at.emplace(camera->id, i);
        if (!fresh)
          return Status::Invalid(label + "duplicate camera id " + Quoted(camera->id) + ", first used by feature " +
                                 std::to_string(it->second));
        out.second.push_back(std::move(*camera));
      } else {
        return Status::Invalid(label + "geometry.type " + Quoted(type->get_ref<const std::string&>()) +
                               " is not supported (areas are Polygon features, cameras Point features)");
      }
    }
    return out;
  });
}

json ToFeatureCollection(const std::vector<Area>& areas, const std::vector<Camera>& cameras) {
  json features = json::array();
  for (const Area& a : areas) features.push_back(AreaToJson(a));
  for (const Camera& c : cameras) features.push_back(CameraToJson(c));
  return {{"type", "FeatureCollection"}, {"features", std::move(features)}};
}

}  // namespace gb
