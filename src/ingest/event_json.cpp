#include "ingest/event_json.h"

#include "core/json_depth.h"

namespace gb {
namespace {

Result<std::string> RequiredString(const nlohmann::json& j, const char* key, const char* where) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Invalid(std::string(where) + key + " is required");
  if (!it->is_string()) return Status::Invalid(std::string(where) + key + " must be a string");
  return it->get<std::string>();
}

}  // namespace

Result<Event> EventFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Invalid("each event must be a JSON object");
  Event e;
  auto key = RequiredString(j, "idempotency_key", "");
  if (!key.ok()) return key.status();
  e.idempotency_key = std::move(*key);

  auto src = j.find("source");
  if (src == j.end() || !src->is_object()) return Status::Invalid("source must be an object {\"kind\", \"id\"}");
  auto kind = RequiredString(*src, "kind", "source.");
  if (!kind.ok()) return kind.status();
  auto parsed_kind = ParseSourceKind(*kind);
  if (!parsed_kind) return Status::Invalid("source.kind must be camera, sensor, patrol or report");
  e.source_kind = *parsed_kind;
  auto sid = RequiredString(*src, "id", "source.");
  if (!sid.ok()) return sid.status();
  e.source_id = std::move(*sid);

  auto category = RequiredString(j, "category", "");
  if (!category.ok()) return category.status();
  e.category = std::move(*category);
  if (auto it = j.find("rule"); it != j.end()) {
    if (!it->is_string()) return Status::Invalid("rule must be a string");
    e.rule = it->get<std::string>();
  }
  auto observed = RequiredString(j, "observed_at", "");
  if (!observed.ok()) return observed.status();
  auto t = ParseRfc3339(*observed);
  if (!t) return Status::Invalid("observed_at must be an RFC 3339 time such as 2026-11-24T10:15:02.120Z");
  e.observed_at = *t;

  auto loc = j.find("location");
  if (loc == j.end() || !loc->is_object()) return Status::Invalid("location must be an object {\"lat\", \"lon\"}");
  auto lat = loc->find("lat"), lon = loc->find("lon");
  if (lat == loc->end() || lon == loc->end() || !lat->is_number() || !lon->is_number())
    return Status::Invalid("location.lat and location.lon must be numbers");
  e.location = {lat->get<double>(), lon->get<double>()};
  if (!ValidLatLon(e.location.lat, e.location.lon))
    return Status::Invalid("location must have lat in [-90, 90] and lon in [-180, 180]");

  if (auto it = j.find("confidence"); it != j.end()) {
    if (!it->is_number()) return Status::Invalid("confidence must be a number between 0 and 1");
    e.confidence = it->get<double>();
  }
  if (auto it = j.find("attributes"); it != j.end()) {
    if (!it->is_object()) return Status::Invalid("attributes must be an object");
    e.attributes_json = it->dump();
    if (e.attributes_json.size() > 4096) return Status::Invalid("attributes are larger than 4 KiB");
  }
  if (auto it = j.find("evidence"); it != j.end()) {
    if (!it->is_array() || it->size() > 8) return Status::Invalid("evidence must be an array of at most 8 references");
    for (const auto& h : *it) {
      if (!h.is_string()) return Status::Invalid("evidence entries must be strings");
      e.evidence.push_back(h.get<std::string>());
    }
  }
  return e;
}

Result<ParsedBatch> ParseEventBatch(std::string_view body, size_t max_items) {
  GB_RETURN_IF_ERROR(CheckJsonNesting(body));
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Status::Invalid("the body is not valid JSON");
  if (!doc.is_array()) return Status::Invalid("the body must be a JSON array of events");
  if (doc.size() > max_items)
    return Status::TooLarge("a batch holds at most " + std::to_string(max_items) + " events; this one has " +
                            std::to_string(doc.size()));
  ParsedBatch out;
  out.events.reserve(doc.size());
  out.parse_errors.reserve(doc.size());
  for (const auto& item : doc) {
    auto e = EventFromJson(item);
    if (e.ok()) {
      out.events.push_back(std::move(*e));
      out.parse_errors.push_back(Status::Ok());
    } else {
      out.events.emplace_back();
      out.parse_errors.push_back(e.status());
    }
  }
  return out;
}

}  // namespace gb
