#include "incidents/incident_json.h"

#include "core/json_writer.h"
#include "incidents/state_machine.h"

namespace gb {
namespace {

void TimeOrNull(JsonWriter& w, TimeMs t) {
  if (t == 0)
    w.Null();
  else
    w.String(FormatRfc3339(t));
}

void TextOrNull(JsonWriter& w, const std::string& s) {
  if (s.empty())
    w.Null();
  else
    w.String(s);
}

}  // namespace

std::string IncidentJsonText(const Incident& in, Role viewer) {
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
  w.Key("latest_report");
  if (in.latest_report.id == 0) {
    w.Null();
  } else {
    w.BeginObject()
        .Key("service_request_id").String(std::to_string(in.latest_report.id))
        .Key("description").String(in.latest_report.description)
        .Key("requested_at").String(FormatRfc3339(in.latest_report.requested_at))
        .Key("has_photo").Bool(in.latest_report.has_photo)
        .EndObject();
  }
  w.Key("next_states").BeginArray();
  ForEachNextState(in.state, viewer, [&](IncidentState s) { w.String(StateName(s)); });
  w.EndArray();
  w.Key("sla");
  if (in.sla.sla_id.empty()) {
    w.Null();
  } else {
    w.BeginObject().Key("id").String(in.sla.sla_id);
    w.Key("respond_due_at");
    TimeOrNull(w, in.sla.respond_due_at);
    w.Key("resolve_due_at");
    TimeOrNull(w, in.sla.resolve_due_at);
    w.Key("overdue").Bool(in.sla.overdue_at != 0);
    w.Key("escalated_from");
    TextOrNull(w, in.sla.escalated_from);
    w.EndObject();
  }
  w.Key("en_route_at");
  TimeOrNull(w, in.en_route_at);
  w.EndObject();
  return out;
}

nlohmann::json IncidentToJson(const Incident& in, Role viewer) {
  return nlohmann::json::parse(IncidentJsonText(in, viewer));
}

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
