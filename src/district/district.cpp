#include "district/district.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "district/codec.h"
#include "district/json_util.h"

namespace gb {

using nlohmann::json;
using district_internal::FormatNumber;
using district_internal::Quoted;

// ---- finders ----------------------------------------------------------------------------
namespace {
template <typename T, typename Key>
const T* FindBy(const std::vector<T>& items, std::string_view id, Key key) {
  for (const T& item : items)
    if (item.*key == id) return &item;
  return nullptr;
}
}  // namespace

const Area* District::FindArea(std::string_view id) const { return FindBy(areas, id, &Area::id); }
const Camera* District::FindCamera(std::string_view id) const { return FindBy(cameras, id, &Camera::id); }
const Department* District::FindDepartment(std::string_view id) const {
  return FindBy(departments, id, &Department::id);
}
const RoutingRule* District::FindRule(std::string_view id) const { return FindBy(rules, id, &RoutingRule::id); }
const Service* District::FindService(std::string_view code) const { return FindBy(services, code, &Service::code); }
const Sensor* District::FindSensor(std::string_view id) const { return FindBy(sensors, id, &Sensor::id); }
const Sla* District::FindSla(std::string_view id) const { return FindBy(slas, id, &Sla::id); }
const ResponseTemplate* District::FindTemplate(std::string_view id) const {
  return FindBy(templates, id, &ResponseTemplate::id);
}
const EvidencePurpose* District::FindPurpose(std::string_view code) const {
  return FindBy(purposes, code, &EvidencePurpose::code);
}

// ---- single entities --------------------------------------------------------------------
namespace {

constexpr std::size_t kMaxId = 100;
constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxText = 4000;

Status CheckText(std::string_view field, std::string_view value, bool required, std::size_t max) {
  if (required && value.empty()) return Status::Invalid(std::string(field) + " must not be empty");
  if (value.size() > max)
    return Status::Invalid(std::string(field) + " is too long (" + std::to_string(value.size()) +
                           " bytes, at most " + std::to_string(max) + ")");
  return Status::Ok();
}

Status CheckRange(std::string_view field, double value, double lo, double hi, std::string_view unit) {
  if (!std::isfinite(value) || value < lo || value > hi)
    return Status::Invalid(std::string(field) + " must be between " + FormatNumber(lo) + " and " + FormatNumber(hi) +
                           " " + std::string(unit) + ", got " + FormatNumber(value));
  return Status::Ok();
}

Status CheckPosition(std::string_view field, LatLon p) {
  if (!std::isfinite(p.lat) || p.lat < -90 || p.lat > 90)
    return Status::Invalid(std::string(field) + ": latitude " + FormatNumber(p.lat) + " is out of range (-90 to 90)");
  if (!std::isfinite(p.lon) || p.lon < -180 || p.lon > 180)
    return Status::Invalid(std::string(field) + ": longitude " + FormatNumber(p.lon) +
                           " is out of range (-180 to 180)");
  return Status::Ok();
}

// "*" or an id.
Status CheckCategory(std::string_view field, std::string_view value) {
  if (value == "*") return Status::Ok();
  return ValidateId(field, value);
}

Status CheckRuleArea(std::string_view value) {
  if (value == "*") return Status::Ok();
  constexpr std::string_view kKind = "kind:";
  if (value.substr(0, kKind.size()) == kKind) return ValidateId("area kind", value.substr(kKind.size()));
  if (value.empty()) return Status::Invalid("area must not be empty (use '*' for anywhere)");
  if (value.find(':') != std::string_view::npos)
    return Status::Invalid("area must be '*', an area id or 'kind:<area kind>', got " + Quoted(value));
  return ValidateId("area", value);
}

Status CheckEmail(std::string_view email) {
  if (email.empty()) return Status::Ok();
  GB_RETURN_IF_ERROR(CheckText("email", email, false, 254));
  auto at = email.find('@');
  bool ok = at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
            email.find('@', at + 1) == std::string_view::npos &&
            std::none_of(email.begin(), email.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
  if (!ok) return Status::Invalid("email must look like name@example.org, got " + Quoted(email));
  return Status::Ok();
}

}  // namespace

Status ValidateId(std::string_view field, std::string_view value) {
  if (value.empty()) return Status::Invalid(std::string(field) + " must not be empty");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  bool ok = value.size() <= kMaxId && alnum(value[0]) &&
            std::all_of(value.begin(), value.end(), [&](char c) { return alnum(c) || c == '_' || c == '-' || c == '.'; });
  if (!ok)
    return Status::Invalid(std::string(field) +
                           " must be 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit, got " +
                           Quoted(value));
  return Status::Ok();
}

Status ValidateArea(const Area& area) {
  GB_RETURN_IF_ERROR(ValidateId("id", area.id));
  GB_RETURN_IF_ERROR(CheckText("name", area.name, true, kMaxName));
  GB_RETURN_IF_ERROR(ValidateId("kind", area.kind));
  auto check_ring = [](const GeoPolygon::ring_type& ring, const std::string& field) -> Status {
    for (const auto& p : ring) GB_RETURN_IF_ERROR(CheckPosition(field, LatLon{p.y(), p.x()}));
    return Status::Ok();
  };
  GB_RETURN_IF_ERROR(check_ring(area.polygon.outer(), "polygon outer ring"));
  for (std::size_t i = 0; i < area.polygon.inners().size(); ++i)
    GB_RETURN_IF_ERROR(check_ring(area.polygon.inners()[i], "polygon hole " + std::to_string(i)));
  GeoPolygon copy = area.polygon;
  Status s = NormalizePolygon(copy);
  if (!s.ok()) return Status::Invalid("polygon: " + s.message());
  return Status::Ok();
}

Status ValidateCamera(const Camera& c) {
  GB_RETURN_IF_ERROR(ValidateId("id", c.id));
  GB_RETURN_IF_ERROR(CheckText("name", c.name, true, kMaxName));
  GB_RETURN_IF_ERROR(CheckPosition("position", c.position));
  GB_RETURN_IF_ERROR(CheckRange("heading_deg", c.heading_deg, 0, 360, "degrees"));
  GB_RETURN_IF_ERROR(CheckRange("focal_length_mm", c.focal_length_mm, 0.5, 200, "mm"));
  GB_RETURN_IF_ERROR(CheckRange("sensor_width_mm", c.sensor_width_mm, 1, 50, "mm"));
  GB_RETURN_IF_ERROR(CheckRange("range_m", c.range_m, 1, 1000, "m"));
  GB_RETURN_IF_ERROR(CheckRange("height_m", c.height_m, 0, 500, "m"));
  for (std::size_t i = 0; i < c.rules.size(); ++i)
    GB_RETURN_IF_ERROR(ValidateId("rules[" + std::to_string(i) + "]", c.rules[i]));
  GB_RETURN_IF_ERROR(CheckText("purpose", c.purpose, true, kMaxText));
  return Status::Ok();
}

Status ValidateDepartment(const Department& d) {
  GB_RETURN_IF_ERROR(ValidateId("id", d.id));
  GB_RETURN_IF_ERROR(CheckText("name", d.name, true, kMaxName));
  GB_RETURN_IF_ERROR(CheckEmail(d.email));
  GB_RETURN_IF_ERROR(CheckText("phone", d.phone, false, 50));
  GB_RETURN_IF_ERROR(CheckText("hours", d.hours, false, kMaxName));
  GB_RETURN_IF_ERROR(CheckText("description", d.description, false, kMaxText));
  return Status::Ok();
}

Status ValidateRoutingRule(const RoutingRule& r) {
  GB_RETURN_IF_ERROR(ValidateId("id", r.id));
  GB_RETURN_IF_ERROR(CheckCategory("category", r.category));
  GB_RETURN_IF_ERROR(CheckRuleArea(r.area));
  GB_RETURN_IF_ERROR(CheckText("days", r.days, true, kMaxName));
  GB_RETURN_IF_ERROR(CheckText("hours", r.hours, true, kMaxName));
  GB_RETURN_IF_ERROR(ValidateId("department", r.department));
  GB_RETURN_IF_ERROR(CheckText("note", r.note, false, kMaxText));
  return Status::Ok();
}

Status ValidateService(const Service& s) {
  GB_RETURN_IF_ERROR(ValidateId("code", s.code));
  GB_RETURN_IF_ERROR(CheckText("name", s.name, true, kMaxName));
  GB_RETURN_IF_ERROR(CheckText("description", s.description, false, kMaxText));
  GB_RETURN_IF_ERROR(CheckText("group", s.group, false, kMaxName));
  GB_RETURN_IF_ERROR(CheckText("keywords", s.keywords, false, kMaxText));
  if (s.retention_days < 1 || s.retention_days > 36500)
    return Status::Invalid("retention_days must be between 1 and 36500, got " + std::to_string(s.retention_days));
  return Status::Ok();
}

Status ValidateSensor(const Sensor& s) {
  GB_RETURN_IF_ERROR(ValidateId("id", s.id));
  GB_RETURN_IF_ERROR(CheckText("name", s.name, true, kMaxName));
  GB_RETURN_IF_ERROR(ValidateId("kind", s.kind));
  GB_RETURN_IF_ERROR(ValidateId("category", s.category));
  if (!std::isfinite(s.position.lat) || s.position.lat < -90 || s.position.lat > 90)
    return Status::Invalid("lat " + FormatNumber(s.position.lat) + " is out of range (-90 to 90)");
  if (!std::isfinite(s.position.lon) || s.position.lon < -180 || s.position.lon > 180)
    return Status::Invalid("lon " + FormatNumber(s.position.lon) + " is out of range (-180 to 180)");
  GB_RETURN_IF_ERROR(CheckText("unit", s.unit, false, 32));
  if (!std::isfinite(s.threshold)) return Status::Invalid("threshold must be a finite number");
  if (!std::isfinite(s.clear)) return Status::Invalid("clear must be a finite number");
  if (!(s.clear < s.threshold))
    return Status::Invalid("clear (" + FormatNumber(s.clear) + ") must be below threshold (" +
                           FormatNumber(s.threshold) + ") so that an alarm can clear");
  return Status::Ok();
}

Status ValidateSla(const Sla& s) {
  constexpr int kYearMinutes = 525600;
  GB_RETURN_IF_ERROR(ValidateId("id", s.id));
  GB_RETURN_IF_ERROR(CheckCategory("category", s.category));
  GB_RETURN_IF_ERROR(CheckCategory("department", s.department));
  if (s.respond_minutes < 1 || s.respond_minutes > kYearMinutes)
    return Status::Invalid("respond_minutes must be between 1 and " + std::to_string(kYearMinutes) + ", got " +
                           std::to_string(s.respond_minutes));
  if (s.resolve_minutes < s.respond_minutes || s.resolve_minutes > kYearMinutes)
    return Status::Invalid("resolve_minutes must be between respond_minutes (" + std::to_string(s.respond_minutes) +
                           ") and " + std::to_string(kYearMinutes) + ", got " + std::to_string(s.resolve_minutes));
  if (!s.escalate_to.empty()) {
    GB_RETURN_IF_ERROR(ValidateId("escalate_to", s.escalate_to));
    if (s.escalate_to == s.department)
      return Status::Invalid("escalate_to names the SLA's own department " + Quoted(s.department));
  }
  return Status::Ok();
}

Status ValidateResponseTemplate(const ResponseTemplate& t) {
  GB_RETURN_IF_ERROR(ValidateId("id", t.id));
  GB_RETURN_IF_ERROR(CheckText("title", t.title, true, kMaxName));
  auto state = ParseState(t.state);
  if (!state || *state == IncidentState::kNew || *state == IncidentState::kMerged)
    return Status::Invalid("state must be the state the template is written for (routed, dispatched, in_progress, "
                           "resolved or rejected), got " + Quoted(t.state));
  GB_RETURN_IF_ERROR(CheckCategory("category", t.category));
  GB_RETURN_IF_ERROR(CheckText("text.en", t.text.en, true, kMaxText));
  GB_RETURN_IF_ERROR(CheckText("text.de", t.text.de, false, kMaxText));
  return Status::Ok();
}

Status ValidateEvidencePurpose(const EvidencePurpose& p) {
  GB_RETURN_IF_ERROR(ValidateId("code", p.code));
  GB_RETURN_IF_ERROR(CheckText("label", p.label, true, kMaxName));
  return Status::Ok();
}

Status ValidateRetention(const Retention& r) {
  for (auto [field, days] : {std::pair<const char*, int>{"retention.events_days", r.events_days},
                             {"retention.evidence_days", r.evidence_days},
                             {"retention.incidents_days", r.incidents_days},
                             {"retention.audit_days", r.audit_days}}) {
    if (days < 1 || days > 36500)
      return Status::Invalid(std::string(field) + " must be between 1 and 36500, got " + std::to_string(days));
  }
  return Status::Ok();
}

Status ValidateDistrictSettings(const District& d) {
  GB_RETURN_IF_ERROR(CheckText("name", d.name, true, kMaxName));
  if (d.utc_offset_minutes < -840 || d.utc_offset_minutes > 840)
    return Status::Invalid("timezone_offset_minutes must be between -840 and 840 (±14 h), got " +
                           std::to_string(d.utc_offset_minutes));
  GB_RETURN_IF_ERROR(ValidateId("fallback_department", d.fallback_department));
  GB_RETURN_IF_ERROR(CheckPosition("center", d.center));
  return ValidateRetention(d.retention);
}

// ---- the whole district -------------------------------------------------------------------
namespace {

enum class Entity { kArea, kCamera, kDepartment, kRule, kService, kSensor, kSla, kTemplate, kPurpose };

const char* EntityWord(Entity e) {
  switch (e) {
    case Entity::kArea: return "area";
    case Entity::kCamera: return "camera";
    case Entity::kDepartment: return "department";
    case Entity::kRule: return "routing rule";
    case Entity::kService: return "service";
    case Entity::kSensor: return "sensor";
    case Entity::kSla: return "sla";
    case Entity::kTemplate: return "response template";
    case Entity::kPurpose: return "evidence purpose";
  }
  return "entry";
}

// Where an entity came from, for messages.
struct Labels {
  // "camera 12 (cam-13)" or "cameras.geojson: feature 12 (cam-13)".
  std::function<std::string(Entity, std::size_t index, const std::string& id)> full;
  // "camera 12" or "feature 12" (for "already used by …").
  std::function<std::string(Entity, std::size_t index)> brief;
  std::string settings;  // prefix for settings problems
};

std::string WithId(std::string label, const std::string& id) {
  if (id.empty()) return label;
  return label + " (" + (id.size() > 60 ? id.substr(0, 60) + "…" : id) + ")";
}

Labels DefaultLabels() {
  Labels l;
  l.brief = [](Entity e, std::size_t i) { return std::string(EntityWord(e)) + " " + std::to_string(i); };
  l.full = [b = l.brief](Entity e, std::size_t i, const std::string& id) { return WithId(b(e, i), id); };
  l.settings = "district settings";
  return l;
}

Status At(const std::string& label, const Status& s) { return WithContext(s, label); }

template <typename T, typename IdOf, typename Check>
Status CheckList(const Labels& labels, Entity e, const std::vector<T>& items, IdOf id_of, Check check,
                 std::unordered_set<std::string>& ids) {
  std::unordered_map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& id = id_of(items[i]);
    GB_RETURN_IF_ERROR(At(labels.full(e, i, id), check(items[i])));
    auto [it, fresh] = first.emplace(id, i);
    if (!fresh)
      return Status::Invalid(labels.full(e, i, id) + ": duplicate " + EntityWord(e) + " id " + Quoted(id) +
                             ", already used by " + labels.brief(e, it->second));
    ids.insert(id);
  }
  return Status::Ok();
}

std::string JoinSorted(const std::unordered_set<std::string>& items) {
  std::set<std::string> sorted(items.begin(), items.end());
  std::string out;
  for (const auto& s : sorted) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Status ValidateWith(const District& d, const Labels& labels) {
  std::unordered_set<std::string> area_ids, camera_ids, department_ids, rule_ids, service_codes, sensor_ids, kinds;
  GB_RETURN_IF_ERROR(CheckList(labels, Entity::kArea, d.areas, [](const Area& a) -> const std::string& { return a.id; },
                               ValidateArea, area_ids));
  for (const Area& a : d.areas) kinds.insert(a.kind);
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kCamera, d.cameras, [](const Camera& c) -> const std::string& { return c.id; }, ValidateCamera,
      camera_ids));
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kDepartment, d.departments, [](const Department& x) -> const std::string& { return x.id; },
      ValidateDepartment, department_ids));
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kService, d.services, [](const Service& s) -> const std::string& { return s.code; },
      ValidateService, service_codes));

  auto check_rule = [&](const RoutingRule& r) -> Status {
    GB_RETURN_IF_ERROR(ValidateRoutingRule(r));
    if (!department_ids.count(r.department))
      return Status::Invalid("department " + Quoted(r.department) + " is not a department of the district (known: " +
                             JoinSorted(department_ids) + ")");
    if (r.category != "*" && !service_codes.count(r.category))
      return Status::Invalid("category " + Quoted(r.category) + " is not a service code or '*' (known: " +
                             JoinSorted(service_codes) + ")");
    constexpr std::string_view kKind = "kind:";
    if (r.area == "*") return Status::Ok();
    if (std::string_view(r.area).substr(0, kKind.size()) == kKind) {
      std::string kind = r.area.substr(kKind.size());
      if (!kinds.count(kind))
        return Status::Invalid("area " + Quoted(r.area) + ": no area has kind " + Quoted(kind) +
                               " (kinds: " + JoinSorted(kinds) + ")");
      return Status::Ok();
    }
    if (!area_ids.count(r.area))
      return Status::Invalid("area " + Quoted(r.area) + " is not an area id (use '*', an area id or 'kind:<kind>')");
    return Status::Ok();
  };
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kRule, d.rules, [](const RoutingRule& r) -> const std::string& { return r.id; }, check_rule,
      rule_ids));

  auto check_sensor = [&](const Sensor& s) -> Status {
    GB_RETURN_IF_ERROR(ValidateSensor(s));
    if (!service_codes.count(s.category))
      return Status::Invalid("category " + Quoted(s.category) + " is not a service code (known: " +
                             JoinSorted(service_codes) + ")");
    return Status::Ok();
  };
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kSensor, d.sensors, [](const Sensor& s) -> const std::string& { return s.id; }, check_sensor,
      sensor_ids));

  auto known = [](const std::unordered_set<std::string>& ids, const char* field, const std::string& value,
                  const char* what) -> Status {
    if (value == "*" || ids.count(value)) return Status::Ok();
    return Status::Invalid(std::string(field) + " " + Quoted(value) + " is not " + what + " or '*' (known: " +
                           JoinSorted(ids) + ")");
  };
  auto check_sla = [&](const Sla& s) -> Status {
    GB_RETURN_IF_ERROR(ValidateSla(s));
    GB_RETURN_IF_ERROR(known(service_codes, "category", s.category, "a service code"));
    GB_RETURN_IF_ERROR(known(department_ids, "department", s.department, "a department"));
    if (!s.escalate_to.empty() && !department_ids.count(s.escalate_to))
      return Status::Invalid("escalate_to " + Quoted(s.escalate_to) + " is not a department (known: " +
                             JoinSorted(department_ids) + ")");
    return Status::Ok();
  };
  std::unordered_set<std::string> sla_ids, template_ids, purpose_codes;
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kSla, d.slas, [](const Sla& s) -> const std::string& { return s.id; }, check_sla, sla_ids));
  auto check_template = [&](const ResponseTemplate& t) -> Status {
    GB_RETURN_IF_ERROR(ValidateResponseTemplate(t));
    return known(service_codes, "category", t.category, "a service code");
  };
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kTemplate, d.templates, [](const ResponseTemplate& t) -> const std::string& { return t.id; },
      check_template, template_ids));
  GB_RETURN_IF_ERROR(CheckList(
      labels, Entity::kPurpose, d.purposes, [](const EvidencePurpose& p) -> const std::string& { return p.code; },
      ValidateEvidencePurpose, purpose_codes));

  GB_RETURN_IF_ERROR(At(labels.settings, ValidateDistrictSettings(d)));
  if (!department_ids.count(d.fallback_department))
    return Status::Invalid(labels.settings + ": fallback_department " + Quoted(d.fallback_department) +
                           " is not a department of the district");
  return Status::Ok();
}

// ---- reading the files ----------------------------------------------------------------

Result<json> TomlToJson(const toml::node& node, const std::string& path) {
  switch (node.type()) {
    case toml::node_type::table: {
      json object = json::object();
      for (auto&& [key, value] : *node.as_table()) {
        std::string k(key.str());
        auto v = TomlToJson(value, path.empty() ? k : path + "." + k);
        if (!v.ok()) return v.status();
        object[k] = std::move(*v);
      }
      return object;
    }
    case toml::node_type::array: {
      json array = json::array();
      const toml::array& a = *node.as_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        auto v = TomlToJson(a[i], path + "[" + std::to_string(i) + "]");
        if (!v.ok()) return v.status();
        array.push_back(std::move(*v));
      }
      return array;
    }
    case toml::node_type::string: return json(node.as_string()->get());
    case toml::node_type::integer: return json(node.as_integer()->get());
    case toml::node_type::floating_point: {
      double v = node.as_floating_point()->get();
      if (!std::isfinite(v))
        return Status::Invalid(path + " must be a finite number (line " + std::to_string(node.source().begin.line) +
                               ")");
      return json(v);
    }
    case toml::node_type::boolean: return json(node.as_boolean()->get());
    default:
      return Status::Invalid(path + ": dates and times are not used in district.toml (line " +
                             std::to_string(node.source().begin.line) + ")");
  }
}

// The middle of the areas' bounding box.
std::optional<LatLon> AreasCenter(const std::vector<Area>& areas) {
  double min_lat = 90, max_lat = -90, min_lon = 180, max_lon = -180;
  bool any = false;
  for (const Area& a : areas)
    for (const auto& p : a.polygon.outer()) {
      any = true;
      min_lon = std::min(min_lon, p.x());
      max_lon = std::max(max_lon, p.x());
      min_lat = std::min(min_lat, p.y());
      max_lat = std::max(max_lat, p.y());
    }
  if (!any) return std::nullopt;
  return LatLon{(min_lat + max_lat) / 2, (min_lon + max_lon) / 2};
}

struct TomlSources {
  // Line of each [[…]] entry, by entity, in order.
  std::vector<std::uint32_t> departments, rules, services, sensors, slas, templates, purposes;
};

template <typename T>
Status ParseFeatures(std::string_view file, std::string_view text, Result<T> (*decode)(const json&),
                     std::vector<T>& out) {
  const std::string where(file);
  auto doc = district_internal::ParseJsonText(text);
  if (!doc.ok()) return At(where, doc.status());
  auto features = district_internal::FeaturesOf(*doc);
  if (!features.ok()) return At(where, features.status());
  out.reserve((*features)->size());
  for (std::size_t i = 0; i < (*features)->size(); ++i) {
    const json& f = (**features)[i];
    auto item = decode(f);
    if (!item.ok()) return At(where + ": " + district_internal::FeatureLabel(f, i), item.status());
    out.push_back(std::move(*item));
  }
  return Status::Ok();
}

Status ParseToml(std::string_view text, District& d, TomlSources& sources) {
  const std::string file(kDistrictFile);
  toml::table table;
  try {
    table = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return Status::Invalid(file + ":" + std::to_string(e.source().begin.line) + ":" +
                           std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }

  static const std::set<std::string, std::less<>> kSettingKeys = {
      "name", "timezone_offset_minutes", "utc_offset_minutes", "fallback_department", "center", "retention"};
  json settings = json::object();

  // One [[section]]: every element a table, decoded by its codec.
  auto section = [&](const std::string& key, const toml::node& node, const char* word, const char* id_key,
                     std::vector<std::uint32_t>& lines, auto decode, auto& out) -> Status {
    std::string at = file + ":" + std::to_string(node.source().begin.line);
    if (!node.is_array_of_tables())
      return Status::Invalid(at + ": " + key + " must be an array of tables, written [[" + key + "]]");
    const toml::array& entries = *node.as_array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::uint32_t line = entries[i].source().begin.line;
      auto object = TomlToJson(entries[i], key);
      std::string id;
      if (object.ok() && object->contains(id_key) && (*object)[id_key].is_string()) id = (*object)[id_key].get<std::string>();
      std::string label = WithId(file + ":" + std::to_string(line) + ": " + word + " " + std::to_string(i), id);
      if (!object.ok()) return At(label, object.status());
      auto item = decode(*object);
      if (!item.ok()) return At(label, item.status());
      out.push_back(std::move(*item));
      lines.push_back(line);
    }
    return Status::Ok();
  };

  for (auto&& [key, node] : table) {
    std::string k(key.str());
    Status s;
    if (kSettingKeys.count(k)) {
      auto value = TomlToJson(node, k);
      if (!value.ok()) return At(file, value.status());
      settings[k] = std::move(*value);
    } else if (k == "department") {
      s = section(k, node, "department", "id", sources.departments, DepartmentFromJson, d.departments);
    } else if (k == "routing_rule") {
      s = section(k, node, "routing_rule", "id", sources.rules, RoutingRuleFromJson, d.rules);
    } else if (k == "service") {
      s = section(k, node, "service", "code", sources.services, ServiceFromJson, d.services);
    } else if (k == "sensor") {
      s = section(k, node, "sensor", "id", sources.sensors, SensorFromJson, d.sensors);
    } else if (k == "sla") {
      s = section(k, node, "sla", "id", sources.slas, SlaFromJson, d.slas);
    } else if (k == "response_template") {
      s = section(k, node, "response_template", "id", sources.templates, ResponseTemplateFromJson, d.templates);
    } else if (k == "evidence_purpose") {
      s = section(k, node, "evidence_purpose", "code", sources.purposes, EvidencePurposeFromJson, d.purposes);
    } else {
      return Status::Invalid(file + ":" + std::to_string(node.source().begin.line) + ": unknown key " + Quoted(k) +
                             " (expected name, timezone_offset_minutes, fallback_department, center, [retention], "
                             "[[department]], [[service]], [[routing_rule]], [[sensor]], [[sla]], [[response_template]], "
                             "[[evidence_purpose]])");
    }
    GB_RETURN_IF_ERROR(s);
  }
  if (!settings.contains("center")) {
    if (auto c = AreasCenter(d.areas)) settings["center"] = json::array({c->lon, c->lat});
  }
  return At(file, DistrictSettingsFromJson(settings, d));
}

}  // namespace

Status ValidateDistrict(const District& district) { return ValidateWith(district, DefaultLabels()); }

Result<District> ParseDistrict(std::string_view areas_geojson, std::string_view cameras_geojson,
                               std::string_view district_toml) {
  District d;
  GB_RETURN_IF_ERROR(ParseFeatures(kAreasFile, areas_geojson, &AreaFromJson, d.areas));
  GB_RETURN_IF_ERROR(ParseFeatures(kCamerasFile, cameras_geojson, &CameraFromJson, d.cameras));
  TomlSources sources;
  GB_RETURN_IF_ERROR(ParseToml(district_toml, d, sources));

  // Cross references, with messages that point into the files.
  Labels labels;
  labels.brief = [](Entity e, std::size_t i) -> std::string {
    if (e == Entity::kArea || e == Entity::kCamera) return "feature " + std::to_string(i);
    return std::string(EntityWord(e)) + " " + std::to_string(i);
  };
  labels.full = [&](Entity e, std::size_t i, const std::string& id) -> std::string {
    auto toml_label = [&](const char* word, const std::vector<std::uint32_t>& lines) {
      std::string line = i < lines.size() ? ":" + std::to_string(lines[i]) : "";
      return WithId(std::string(kDistrictFile) + line + ": " + word + " " + std::to_string(i), id);
    };
    switch (e) {
      case Entity::kArea: return WithId(std::string(kAreasFile) + ": feature " + std::to_string(i), id);
      case Entity::kCamera: return WithId(std::string(kCamerasFile) + ": feature " + std::to_string(i), id);
      case Entity::kDepartment: return toml_label("department", sources.departments);
      case Entity::kRule: return toml_label("routing_rule", sources.rules);
      case Entity::kService: return toml_label("service", sources.services);
      case Entity::kSensor: return toml_label("sensor", sources.sensors);
      case Entity::kSla: return toml_label("sla", sources.slas);
      case Entity::kTemplate: return toml_label("response_template", sources.templates);
      case Entity::kPurpose: return toml_label("evidence_purpose", sources.purposes);
    }
    return std::string();
  };
  labels.settings = std::string(kDistrictFile);
  GB_RETURN_IF_ERROR(ValidateWith(d, labels));
  return d;
}

Result<District> LoadDistrictDir(const std::string& dir, Env* env) {
  std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  auto areas = env->ReadFile(base + std::string(kAreasFile));
  if (!areas.ok()) return areas.status();
  auto cameras = env->ReadFile(base + std::string(kCamerasFile));
  if (!cameras.ok()) return cameras.status();
  auto toml_text = env->ReadFile(base + std::string(kDistrictFile));
  if (!toml_text.ok()) return toml_text.status();
  return ParseDistrict(*areas, *cameras, *toml_text);
}

}  // namespace gb
