#include "incidents/incident_json.h"

namespace gb {

nlohmann::json IncidentToJson(const Incident& in) {
  nlohmann::json views = nlohmann::json::array();
  for (const auto& v : in.views)
    views.push_back({{"evidence", v.evidence}, {"source_id", v.source_id}, {"confidence", v.confidence}});
  nlohmann::json j = {{"id", in.id},
                      {"category", in.category},
                      {"state", StateName(in.state)},
                      {"location", {{"lat", in.location.lat}, {"lon", in.location.lon}}},
                      {"area_id", in.area_id},
                      {"department_id", in.department_id},
                      {"routing_rule_id", in.routing_rule_id},
                      {"explanation", in.explanation},
                      {"unrouted", in.unrouted},
                      {"priority", in.priority},
                      {"opened_at", FormatRfc3339(in.opened_at)},
                      {"updated_at", FormatRfc3339(in.updated_at)},
                      {"last_seen_at", FormatRfc3339(in.last_seen_at)},
                      {"event_count", in.event_count},
                      {"views", std::move(views)},
                      {"assignee", in.assignee},
                      {"note", in.note}};
  if (in.merged_into) j["merged_into"] = in.merged_into;
  return j;
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
