#include "district/persist.h"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "district/codec.h"
#include "district/json_util.h"

namespace gb {

using nlohmann::json;
using district_internal::JsonErrorMessage;
using district_internal::Quoted;

namespace {

// One entity kind of the district: its config kind, the word for messages (the store's own
// ConfigKindName lives in the store library, which this module does not link against), the
// list it lives in, its codec and its id.
template <typename T>
struct EntityKind {
  ConfigKind kind;
  const char* word;
  std::vector<T> District::*list;
  Result<T> (*decode)(const json&);
  json (*encode)(const T&);
  std::string T::*id;
};

// Every entity kind, in the order they are loaded and saved.
const auto kEntityKinds = std::make_tuple(
    EntityKind<Area>{ConfigKind::kArea, "area", &District::areas, AreaFromJson, AreaToJson, &Area::id},
    EntityKind<Camera>{ConfigKind::kCamera, "camera", &District::cameras, CameraFromJson, CameraToJson, &Camera::id},
    EntityKind<Department>{ConfigKind::kDepartment, "department", &District::departments, DepartmentFromJson,
                           DepartmentToJson, &Department::id},
    EntityKind<RoutingRule>{ConfigKind::kRoutingRule, "routing rule", &District::rules, RoutingRuleFromJson,
                            RoutingRuleToJson, &RoutingRule::id},
    EntityKind<Service>{ConfigKind::kService, "service", &District::services, ServiceFromJson, ServiceToJson,
                        &Service::code},
    EntityKind<Sensor>{ConfigKind::kSensor, "sensor", &District::sensors, SensorFromJson, SensorToJson, &Sensor::id},
    EntityKind<Sla>{ConfigKind::kSla, "sla", &District::slas, SlaFromJson, SlaToJson, &Sla::id},
    EntityKind<ResponseTemplate>{ConfigKind::kResponseTemplate, "response template", &District::templates,
                                 ResponseTemplateFromJson, ResponseTemplateToJson, &ResponseTemplate::id},
    EntityKind<EvidencePurpose>{ConfigKind::kEvidencePurpose, "evidence purpose", &District::purposes,
                                EvidencePurposeFromJson, EvidencePurposeToJson, &EvidencePurpose::code});

template <typename Fn>
void ForEachKind(Fn&& fn) {
  std::apply([&](const auto&... kind) { (fn(kind), ...); }, kEntityKinds);
}

// Runs fn on the entity kind `kind`; false when it is not one (the settings).
template <typename Fn>
bool WithKind(ConfigKind kind, Fn&& fn) {
  bool found = false;
  ForEachKind([&](const auto& k) {
    if (k.kind != kind) return;
    found = true;
    fn(k);
  });
  return found;
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
  Result<Decoded> out = Status::Invalid("unknown config kind");
  bool entity = WithKind(kind, [&](const auto& k) {
    auto x = k.decode(body);
    if (!x.ok()) {
      out = x.status();
      return;
    }
    out = Decoded{(*x).*k.id, k.encode(*x)};
  });
  if (entity || kind != ConfigKind::kSetting) return out;
  District settings;
  GB_RETURN_IF_ERROR(DistrictSettingsFromJson(body, settings));
  return Decoded{std::string(kDistrictSettingId), DistrictSettingsToJson(settings)};
}

// Every (kind, id) the district holds.
std::set<std::pair<ConfigKind, std::string>> DocIds(const District& d) {
  std::set<std::pair<ConfigKind, std::string>> ids;
  ForEachKind([&](const auto& k) {
    for (const auto& x : d.*k.list) ids.emplace(k.kind, x.*k.id);
  });
  return ids;
}

}  // namespace

Status SaveDistrict(WriteTxn& txn, const District& d) {
  GB_RETURN_IF_ERROR(ValidateDistrict(d));
  // Serialise everything first so that a bad string fails before the first write.
  std::vector<ConfigDoc> docs;
  Status bad;
  auto add = [&](ConfigKind kind, const char* word, const std::string& id, const json& j) {
    if (!bad.ok()) return;
    auto text = Dump(j);
    if (!text.ok()) {
      bad = Status::Invalid(std::string(word) + " " + Quoted(id) + ": " + text.status().message());
      return;
    }
    docs.push_back(ConfigDoc{kind, id, std::move(*text)});
  };
  ForEachKind([&](const auto& k) {
    for (const auto& x : d.*k.list) add(k.kind, k.word, x.*k.id, k.encode(x));
  });
  add(ConfigKind::kSetting, "setting", std::string(kDistrictSettingId), DistrictSettingsToJson(d));
  GB_RETURN_IF_ERROR(bad);
  for (const ConfigDoc& doc : docs) GB_RETURN_IF_ERROR(txn.PutConfig(doc));
  return Status::Ok();
}

Status ReplaceDistrict(Store& store, const District& d) {
  GB_RETURN_IF_ERROR(ValidateDistrict(d));
  auto keep = DocIds(d);
  std::vector<std::pair<ConfigKind, std::string>> stale;
  Status failed;
  ForEachKind([&](const auto& k) {
    auto docs = store.ListConfig(k.kind);
    if (!docs.ok()) failed = docs.status();
    if (!failed.ok()) return;
    for (const ConfigDoc& doc : *docs)
      if (!keep.count({k.kind, doc.id})) stale.emplace_back(k.kind, doc.id);
  });
  GB_RETURN_IF_ERROR(failed);
  return store.Write([&](WriteTxn& txn) -> Status {
    for (const auto& [kind, id] : stale) {
      Status s = txn.DeleteConfig(kind, id);
      if (!s.ok() && s.code() != Code::kNotFound) return s;  // already gone is fine
    }
    return SaveDistrict(txn, d);
  });
}

Result<District> LoadDistrictFromStore(Store& store) {
  auto read = store.GetConfig(ConfigKind::kSetting, std::string(kDistrictSettingId));
  if (!read.ok()) return read.status();
  const std::optional<ConfigDoc>& settings_doc = *read;
  if (!settings_doc)
    return Status::NotFound("no district is stored (the setting 'district' is missing); import a district first");

  District d;
  Status failed;
  ForEachKind([&](const auto& k) {
    auto docs = store.ListConfig(k.kind);
    if (!docs.ok() && failed.ok()) failed = docs.status();
    if (!failed.ok()) return;
    for (const ConfigDoc& doc : *docs) {
      if (!failed.ok()) return;
      Status s = ApplyConfigDoc(d, doc);
      if (!s.ok()) failed = Status::Invalid("stored " + std::string(k.word) + " " + Quoted(doc.id) + ": " + s.message());
    }
    auto& list = d.*k.list;
    std::sort(list.begin(), list.end(), [&](const auto& a, const auto& b) { return a.*k.id < b.*k.id; });
  });
  GB_RETURN_IF_ERROR(failed);
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
  Status out;
  bool entity = WithKind(doc.kind, [&](const auto& k) {
    auto x = k.decode(body);
    if (!x.ok()) {
      out = x.status();
      return;
    }
    const std::string& id = (*x).*k.id;
    if (id != doc.id) {
      out = Status::Invalid("the document's id " + Quoted(doc.id) + " differs from the id in its JSON " + Quoted(id));
      return;
    }
    auto& list = d.*k.list;  // insert or replace by id
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& existing) { return existing.*k.id == id; });
    if (it != list.end())
      *it = std::move(*x);
    else
      list.push_back(std::move(*x));
  });
  if (entity) return out;
  if (doc.id != kDistrictSettingId)
    return Status::Invalid("the district settings are the setting " + Quoted(kDistrictSettingId) + ", not " +
                           Quoted(doc.id));
  return DistrictSettingsFromJson(body, d);
}

Status RemoveConfigDoc(District& d, ConfigKind kind, const std::string& id) {
  Status out;
  bool entity = WithKind(kind, [&](const auto& k) {
    auto& list = d.*k.list;
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& x) { return x.*k.id == id; });
    if (it == list.end()) {
      out = Status::NotFound(std::string("no ") + k.word + " " + Quoted(id));
      return;
    }
    list.erase(it);
  });
  if (entity) return out;
  return Status::Invalid("the district settings cannot be removed, only replaced");
}

}  // namespace gb
