#include "incidents/incident_json.h"

#include "core/json_writer.h"

namespace gb {

std::string IncidentJsonText(const Incident& in) {
  std::string out;
  out.reserve(512 + in.explanation.size() + in.note.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id").Int(in.id);
  w.Key("category").String(in.category);
  w.Key("state").String(StateName(in.state));
  w.Key("location").BeginObject().Key("lat").Double(in.location.lat).Key("lon").Double(in.location.lon).EndObject();
  w.Key("area_id").String(in.area_id);
  w.Key("department_id").String(in.department_id);
  w.Key("routing_rule_id").String(in.routing_rule_id);
  w.Key("explanation").String(in.explanation);
  w.Key("unrouted").Bool(in.unrouted);
  w.Key("priority").Int(in.priority);
  w.Key("opened_at").String(FormatRfc3339(in.opened_at));
  w.Key("updated_at").String(FormatRfc3339(in.updated_at));
  w.Key("last_seen_at").String(FormatRfc3339(in.last_seen_at));
  w.Key("event_count").Int(in.event_count);
  w.Key("views").BeginArray();
  for (const auto& v : in.views)
    w.BeginObject()
        .Key("evidence").String(v.evidence)
        .Key("source_id").String(v.source_id)
        .Key("confidence").Double(v.confidence)
        .EndObject();
  w.EndArray();
  w.Key("assignee").String(in.assignee);
  w.Key("note").String(in.note);
  if (in.merged_into) w.Key("merged_into").Int(in.merged_into);
  w.EndObject();
  return out;
}

nlohmann::json IncidentToJson(const Incident& in) { return nlohmann::json::parse(IncidentJsonText(in)); }

nlohmann::json PublicIncidentJson(const Incident& in) {
  return {{"id", in.id},
          {"category", in.category},
          {"state", StateName(in.state)},
          {"location", {{"lat", in.location.lat}, {"lon", in.location.lon}}},
          {"area_id", in.area_id},
          {"department_id", in.department_id},
          {"opened_at", FormatRfc3339(in.opened_at)},
          {"updated_at", FormatRfc3339(in.updated_at)}};
}

nlohmann::json EventToJson(const Event& e) {
  nlohmann::json attrs = nlohmann::json::parse(e.attributes_json, nullptr, false);
  if (attrs.is_discarded()) attrs = nlohmann::json::object();
  return {{"id", e.id},
          {"idempotency_key", e.idempotency_key},
          {"source", {{"kind", SourceKindName(e.source_kind)}, {"id", e.source_id}}},
          {"category", e.category},
          {"rule", e.rule},
          {"observed_at", FormatRfc3339(e.observed_at)},
          {"location", {{"lat", e.location.lat}, {"lon", e.location.lon}}},
          {"confidence", e.confidence},
          {"attributes", std::move(attrs)},
          {"evidence", e.evidence}};
}

}  // namespace gb
