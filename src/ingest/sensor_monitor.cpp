#include "ingest/sensor_monitor.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace gb {

Result<std::optional<Event>> SensorMonitor::Feed(const Sensor& sensor, double value, TimeMs observed_at) {
  if (!std::isfinite(value)) return Status::Invalid("sensor value must be a finite number");
  std::lock_guard lock(mu_);
  bool& raised = raised_[sensor.id];
  if (raised) {
    if (value <= sensor.clear) raised = false;
    return std::optional<Event>{};
  }
  if (value < sensor.threshold) return std::optional<Event>{};
  raised = true;
  Event e;
  e.idempotency_key = sensor.id + "/" + FormatRfc3339(observed_at) + "/" + sensor.kind;
  e.source_kind = SourceKind::kSensor;
  e.source_id = sensor.id;
  e.category = sensor.category;
  e.rule = "threshold";
  e.observed_at = observed_at;
  e.location = sensor.position;
  e.confidence = 1;
  e.attributes_json = nlohmann::json{{"value", value}, {"threshold", sensor.threshold}, {"unit", sensor.unit}}.dump();
  return std::optional<Event>{std::move(e)};
}

}  // namespace gb
