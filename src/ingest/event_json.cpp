#include "ingest/event_json.h"

#include <simdjson.h>

#include "core/json_depth.h"

namespace gb {
namespace {

namespace dom = simdjson::dom;

// The field `key` of `o` as a string; Invalid naming "<where><key>" when it is missing or
// not a string.
Status RequiredString(dom::object o, std::string_view key, const char* where, std::string& out) {
  dom::element v;
  if (o.at_key(key).get(v)) return Status::Invalid(std::string(where) + std::string(key) + " is required");
  std::string_view text;
  if (v.get_string().get(text)) return Status::Invalid(std::string(where) + std::string(key) + " must be a string");
  out.assign(text);
  return Status::Ok();
}

Result<Event> EventFrom(dom::element item) {
  dom::object j;
  if (item.get_object().get(j)) return Status::Invalid("each event must be a JSON object");
  Event e;
  GB_RETURN_IF_ERROR(RequiredString(j, "idempotency_key", "", e.idempotency_key));

  dom::object src;
  if (j.at_key("source").get_object().get(src)) return Status::Invalid("source must be an object {\"kind\", \"id\"}");
  std::string kind;
  GB_RETURN_IF_ERROR(RequiredString(src, "kind", "source.", kind));
  auto parsed_kind = ParseSourceKind(kind);
  if (!parsed_kind) return Status::Invalid("source.kind must be camera, sensor, patrol or report");
  e.source_kind = *parsed_kind;
  GB_RETURN_IF_ERROR(RequiredString(src, "id", "source.", e.source_id));

  GB_RETURN_IF_ERROR(RequiredString(j, "category", "", e.category));
  dom::element v;
  if (!j.at_key("rule").get(v)) {
    std::string_view rule;
    if (v.get_string().get(rule)) return Status::Invalid("rule must be a string");
    e.rule.assign(rule);
  }
  std::string observed;
  GB_RETURN_IF_ERROR(RequiredString(j, "observed_at", "", observed));
  auto t = ParseRfc3339(observed);
  if (!t) return Status::Invalid("observed_at must be an RFC 3339 time such as 2026-11-24T10:15:02.120Z");
  e.observed_at = *t;

  dom::object loc;
  if (j.at_key("location").get_object().get(loc))
    return Status::Invalid("location must be an object {\"lat\", \"lon\"}");
  if (loc.at_key("lat").get_double().get(e.location.lat) || loc.at_key("lon").get_double().get(e.location.lon))
    return Status::Invalid("location.lat and location.lon must be numbers");
  if (!ValidLatLon(e.location.lat, e.location.lon))
    return Status::Invalid("location must have lat in [-90, 90] and lon in [-180, 180]");

  if (!j.at_key("confidence").get(v) && v.get_double().get(e.confidence))
    return Status::Invalid("confidence must be a number between 0 and 1");
  if (!j.at_key("attributes").get(v)) {
    dom::object attributes;
    if (v.get_object().get(attributes)) return Status::Invalid("attributes must be an object");
    e.attributes_json = simdjson::minify(attributes);
    if (e.attributes_json.size() > 4096) return Status::Invalid("attributes are larger than 4 KiB");
  }
  if (!j.at_key("evidence").get(v)) {
    dom::array refs;
    if (v.get_array().get(refs) || refs.size() > 8)
      return Status::Invalid("evidence must be an array of at most 8 references");
    for (dom::element h : refs) {
      std::string_view ref;
      if (h.get_string().get(ref)) return Status::Invalid("evidence entries must be strings");
      e.evidence.emplace_back(ref);
    }
  }
  return e;
}

}  // namespace

Result<ParsedBatch> ParseEventBatch(std::string_view body, size_t max_items) {
  GB_RETURN_IF_ERROR(CheckJsonNesting(body));
  // A parser keeps buffers of about 15 bytes per byte of the largest body it has parsed.
  // Usual batches (a thousand events are about 400 KB) reuse their thread's parser and cost
  // no allocation of them; a larger body gets a parser of its own, freed on return, so that
  // no thread keeps a hundred megabytes after one 8 MiB body.
  constexpr size_t kReusedParserMaxBytes = 1 << 20;
  thread_local dom::parser reused;
  dom::parser own;  // allocates nothing until it parses
  dom::parser& parser = body.size() <= kReusedParserMaxBytes ? reused : own;
  dom::element doc;
  if (auto error = parser.parse(body.data(), body.size()).get(doc))
    return Status::Invalid(std::string("the body is not valid JSON: ") + simdjson::error_message(error));
  dom::array items;
  if (doc.get_array().get(items)) return Status::Invalid("the body must be a JSON array of events");
  const size_t n = items.size();
  if (n > max_items)
    return Status::TooLarge("a batch holds at most " + std::to_string(max_items) + " events; this one has " +
                            std::to_string(n));
  ParsedBatch out;
  out.events.reserve(n);
  out.parse_errors.reserve(n);
  for (dom::element item : items) {
    auto e = EventFrom(item);
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
