#include "edge/event.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_writer.h"

namespace gb::edge {

EdgeEvent BuildEvent(const CameraConfig& camera, const Observation& obs, TimeMs epoch, std::int64_t number,
                     std::vector<Evidence> evidence) {
  const ZoneConfig& zone = *obs.zone;
  const std::string rule(RuleKindName(zone.rule));
  const std::string observed_at = FormatRfc3339(epoch + obs.fired_ms);
  EdgeEvent e;
  e.idempotency_key = camera.id + "/" + observed_at + "/" + rule + "/" + std::to_string(number);
  JsonWriter w(e.json);
  w.BeginObject();
  w.Key("idempotency_key").String(e.idempotency_key);
  w.Key("source").BeginObject().Key("kind").String("camera").Key("id").String(camera.id).EndObject();
  w.Key("category").String(zone.category);
  w.Key("rule").String(rule);
  w.Key("observed_at").String(observed_at);
  w.Key("location").BeginObject().Key("lat").Double(zone.location.lat).Key("lon").Double(zone.location.lon).EndObject();
  // Two decimals: the analyzer's score is no finer than that, and the text stays stable.
  w.Key("confidence").Double(std::round(std::clamp(obs.confidence, 0.0, 1.0) * 100) / 100);
  w.Key("attributes").BeginObject();
  w.Key("zone").String(zone.id);
  w.Key("started_at").String(FormatRfc3339(epoch + obs.started_ms));
  if (obs.dwell_s) w.Key("dwell_s").Int(std::llround(*obs.dwell_s));
  if (obs.count) w.Key("count").Int(*obs.count);
  w.EndObject();
  w.Key("evidence").BeginArray();
  for (const auto& ev : evidence) w.String(ev.ref);
  w.EndArray();
  w.EndObject();
  e.evidence = std::move(evidence);
  return e;
}

std::string EventJsonWithEvidence(const EdgeEvent& event, const std::vector<std::string>& refs) {
  auto j = nlohmann::ordered_json::parse(event.json);
  j["evidence"] = refs;
  return j.dump();
}

}  // namespace gb::edge
