// SensorMonitor: turns a stream of sensor readings into events at threshold crossings,
// with hysteresis: a sensor raises an event when its value reaches `threshold` and stays
// quiet until the value has fallen to `clear` or below. Readings of unknown sensors and
// non-finite values are refused.
//
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/model.h"
#include "core/status.h"

namespace gb {

class SensorMonitor {
 public:
  // An event of the sensor's category when this reading crosses the threshold; nullopt
  // otherwise. Invalid for an unknown sensor or a non-finite value.
  Result<std::optional<Event>> Feed(const Sensor& sensor, double value, TimeMs observed_at);

 private:
  std::mutex mu_;
  std::map<std::string, bool> raised_;  // sensor id → alarm raised and not yet cleared
};

}  // namespace gb
