#include "district/persist.h"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>

#include "district/codec.h"
#include "district/json_util.h"

namespace gb {

using nlohmann::json;
using district_internal::JsonErrorMessage;
using district_internal::Quoted;

namespace {

constexpr std::array<ConfigKind, 6> kEntityKinds = {ConfigKind::kArea,        ConfigKind::kCamera,
                                                    ConfigKind::kDepartment,  ConfigKind::kRoutingRule,
                                                    ConfigKind::kService,     ConfigKind::kSensor};

// For messages; the store's own ConfigKindName lives in the store library, which this
// module does not link against.
const char* KindWord(ConfigKind k) {
  switch (k) {
    case ConfigKind::kArea: return "area";
    case ConfigKind::kCamera: return "camera";
    case ConfigKind::kDepartment: return "department";
    case ConfigKind::kRoutingRule: return "routing rule";
    case ConfigKind::kService: return "service";
    case ConfigKind::kSensor: return "sensor";
    case ConfigKind::kSetting: return "setting";
  }
  return "config";
}

// Serialises strictly: a string that is not UTF-8 is an error, not a silent replacement.
Result<std::string> Dump(const json& j) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    return Status::Invalid(JsonErrorMessage(e));
  }
}

// The entity of a document, decoded and re-encoded, with its id; or why not.
struct Decoded {
  std::string id;
  json normalised;
};

Result<Decoded> Decode(ConfigKind kind, const json& body) {
  switch (kind) {
    case ConfigKind::kArea: {
      auto a = AreaFromJson(body);
      if (!a.ok()) return a.status();
      return Decoded{a->id, AreaToJson(*a)};
    }
    case ConfigKind::kCamera: {
      auto c = CameraFromJson(body);
      if (!c.ok()) return c.status();
      return Decoded{c->id, CameraToJson(*c)};
    }
    case ConfigKind::kDepartment: {
      auto d = DepartmentFromJson(body);
      if (!d.ok()) return d.status();
      return Decoded{d->id, DepartmentToJson(*d)};
    }
    case ConfigKind::kRoutingRule: {
      auto r = RoutingRuleFromJson(body);
      if (!r.ok()) return r.status();
      return Decoded{r->id, RoutingRuleToJson(*r)};
    }
    case ConfigKind::kService: {
      auto s = ServiceFromJson(body);
      if (!s.ok()) return s.status();
      return Decoded{s->code, ServiceToJson(*s)};
    }
    case ConfigKind::kSensor: {
      auto s = SensorFromJson(body);
      if (!s.ok()) return s.status();
      return Decoded{s->id, SensorToJson(*s)};
    }
    case ConfigKind::kSetting: {
      District settings;
      GB_RETURN_IF_ERROR(DistrictSettingsFromJson(body, settings));
      return Decoded{std::string(kDistrictSettingId), DistrictSettingsToJson(settings)};
    }
  }
  return Status::Invalid("unknown config kind");
}

// Inserts or replaces by id.
template <typename T, typename IdOf>
void Upsert(std::vector<T>& items, T item, IdOf id_of) {
  for (T& existing : items)
    if (id_of(existing) == id_of(item)) {
      existing = std::move(item);
      return;
    }
  items.push_back(std::move(item));
}

template <typename T, typename IdOf>
Status Erase(std::vector<T>& items, const std::string& id, IdOf id_of, const char* word) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return id_of(x) == id; });
  if (it == items.end()) return Status::NotFound(std::string("no ") + word + " " + Quoted(id));
  items.erase(it);
  return Status::Ok();
}

const std::string& IdOfArea(const Area& x) { return x.id; }
const std::string& IdOfCamera(const Camera& x) { return x.id; }
const std::string& IdOfDepartment(const Department& x) { return x.id; }
const std::string& IdOfRule(const RoutingRule& x) { return x.id; }
const std::string& IdOfService(const Service& x) { return x.code; }
const std::string& IdOfSensor(const Sensor& x) { return x.id; }

template <typename T, typename IdOf>
void SortById(std::vector<T>& items, IdOf id_of) {
  std::sort(items.begin(), items.end(), [&](const T& a, const T& b) { return id_of(a) < id_of(b); });
}

// Every (kind, id) the district holds.
std::set<std::pair<ConfigKind, std::string>> DocIds(const District& d) {
  std::set<std::pair<ConfigKind, std::string>> ids;
  for (const auto& x : d.areas) ids.emplace(ConfigKind::kArea, x.id);
  for (const auto& x : d.cameras) ids.emplace(ConfigKind::kCamera, x.id);
  for (const auto& x : d.departments) ids.emplace(ConfigKind::kDepartment, x.id);
  for (const auto& x : d.rules) ids.emplace(ConfigKind::kRoutingRule, x.id);
  for (const auto& x : d.services) ids.emplace(ConfigKind::kService, x.code);
  for (const auto& x : d.sensors) ids.emplace(ConfigKind::kSensor, x.id);
  return ids;
}

}  // namespace

Status SaveDistrict(WriteTxn& txn, const District& d) {
  GB_RETURN_IF_ERROR(ValidateDistrict(d));
  // Serialise everything first so that a bad string fails before the first write.
  std::vector<ConfigDoc> docs;
  docs.reserve(d.areas.size() + d.cameras.size() + d.departments.size() + d.rules.size() + d.services.size() +
               d.sensors.size() + 1);
  auto add = [&](ConfigKind kind, const std::string& id, const json& j) -> Status {
    auto text = Dump(j);
    if (!text.ok()) return Status::Invalid(std::string(KindWord(kind)) + " " + Quoted(id) + ": " + text.status().message());
    docs.push_back(ConfigDoc{kind, id, std::move(*text)});
    return Status::Ok();
  };
  for (const auto& x : d.areas) GB_RETURN_IF_ERROR(add(ConfigKind::kArea, x.id, AreaToJson(x)));
  for (const auto& x : d.cameras) GB_RETURN_IF_ERROR(add(ConfigKind::kCamera, x.id, CameraToJson(x)));
  for (const auto& x : d.departments) GB_RETURN_IF_ERROR(add(ConfigKind::kDepartment, x.id, DepartmentToJson(x)));
  for (const auto& x : d.rules) GB_RETURN_IF_ERROR(add(ConfigKind::kRoutingRule, x.id, RoutingRuleToJson(x)));
  for (const auto& x : d.services) GB_RETURN_IF_ERROR(add(ConfigKind::kService, x.code, ServiceToJson(x)));
  for (const auto& x : d.sensors) GB_RETURN_IF_ERROR(add(ConfigKind::kSensor, x.id, SensorToJson(x)));
  GB_RETURN_IF_ERROR(add(ConfigKind::kSetting, std::string(kDistrictSettingId), DistrictSettingsToJson(d)));
  for (const ConfigDoc& doc : docs) GB_RETURN_IF_ERROR(txn.PutConfig(doc));
  return Status::Ok();
}

Status ReplaceDistrict(Store& store, const District& d) {
  GB_RETURN_IF_ERROR(ValidateDistrict(d));
  auto keep = DocIds(d);
  std::vector<std::pair<ConfigKind, std::string>> stale;
  for (ConfigKind kind : kEntityKinds)
    for (const ConfigDoc& doc : store.ListConfig(kind))
      if (!keep.count({kind, doc.id})) stale.emplace_back(kind, doc.id);
  return store.Write([&](WriteTxn& txn) -> Status {
    for (const auto& [kind, id] : stale) {
      Status s = txn.DeleteConfig(kind, id);
      if (!s.ok() && s.code() != Code::kNotFound) return s;  // already gone is fine
    }
    return SaveDistrict(txn, d);
  });
}

Result<District> LoadDistrictFromStore(Store& store) {
  auto settings_doc = store.GetConfig(ConfigKind::kSetting, std::string(kDistrictSettingId));
  if (!settings_doc)
    return Status::NotFound("no district is stored (the setting 'district' is missing); import a district first");

  District d;
  for (ConfigKind kind : kEntityKinds) {
    for (const ConfigDoc& doc : store.ListConfig(kind)) {
      Status s = ApplyConfigDoc(d, doc);
      if (!s.ok()) return Status::Invalid("stored " + std::string(KindWord(kind)) + " " + Quoted(doc.id) + ": " + s.message());
    }
  }
  SortById(d.areas, IdOfArea);
  SortById(d.cameras, IdOfCamera);
  SortById(d.departments, IdOfDepartment);
  SortById(d.rules, IdOfRule);
  SortById(d.services, IdOfService);
  SortById(d.sensors, IdOfSensor);
  Status s = ApplyConfigDoc(d, *settings_doc);
  if (!s.ok()) return Status::Invalid("stored district settings: " + s.message());
  s = ValidateDistrict(d);
  if (!s.ok()) return Status::Invalid("stored district: " + s.message());
  return d;
}

Result<ConfigDoc> ToConfigDoc(ConfigKind kind, const json& body) {
  auto decoded = Decode(kind, body);
  if (!decoded.ok()) return decoded.status();
  auto text = Dump(decoded->normalised);
  if (!text.ok()) return text.status();
  return ConfigDoc{kind, std::move(decoded->id), std::move(*text)};
}

json ConfigDocToJson(const ConfigDoc& doc) {
  json j = json::parse(doc.json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return nullptr;
  return j;
}

Status ApplyConfigDoc(District& d, const ConfigDoc& doc) {
  json body = ConfigDocToJson(doc);
  if (body.is_null()) return Status::Invalid("the document is not valid JSON");
  auto check_id = [&](const std::string& id) -> Status {
    if (id != doc.id)
      return Status::Invalid("the document's id " + Quoted(doc.id) + " differs from the id in its JSON " + Quoted(id));
    return Status::Ok();
  };
  switch (doc.kind) {
    case ConfigKind::kArea: {
      auto x = AreaFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->id));
      Upsert(d.areas, std::move(*x), IdOfArea);
      return Status::Ok();
    }
    case ConfigKind::kCamera: {
      auto x = CameraFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->id));
      Upsert(d.cameras, std::move(*x), IdOfCamera);
      return Status::Ok();
    }
    case ConfigKind::kDepartment: {
      auto x = DepartmentFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->id));
      Upsert(d.departments, std::move(*x), IdOfDepartment);
      return Status::Ok();
    }
    case ConfigKind::kRoutingRule: {
      auto x = RoutingRuleFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->id));
      Upsert(d.rules, std::move(*x), IdOfRule);
      return Status::Ok();
    }
    case ConfigKind::kService: {
      auto x = ServiceFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->code));
      Upsert(d.services, std::move(*x), IdOfService);
      return Status::Ok();
    }
    case ConfigKind::kSensor: {
      auto x = SensorFromJson(body);
      if (!x.ok()) return x.status();
      GB_RETURN_IF_ERROR(check_id(x->id));
      Upsert(d.sensors, std::move(*x), IdOfSensor);
      return Status::Ok();
    }
    case ConfigKind::kSetting:
      if (doc.id != kDistrictSettingId)
        return Status::Invalid("the district settings are the setting " + Quoted(kDistrictSettingId) + ", not " +
                               Quoted(doc.id));
      return DistrictSettingsFromJson(body, d);
  }
  return Status::Invalid("unknown config kind");
}

Status RemoveConfigDoc(District& d, ConfigKind kind, const std::string& id) {
  switch (kind) {
    case ConfigKind::kArea: return Erase(d.areas, id, IdOfArea, "area");
    case ConfigKind::kCamera: return Erase(d.cameras, id, IdOfCamera, "camera");
    case ConfigKind::kDepartment: return Erase(d.departments, id, IdOfDepartment, "department");
    case ConfigKind::kRoutingRule: return Erase(d.rules, id, IdOfRule, "routing rule");
    case ConfigKind::kService: return Erase(d.services, id, IdOfService, "service");
    case ConfigKind::kSensor: return Erase(d.sensors, id, IdOfSensor, "sensor");
    case ConfigKind::kSetting: return Status::Invalid("the district settings cannot be removed, only replaced");
  }
  return Status::Invalid("unknown config kind");
}

}  // namespace gb
