// A camera event of the wire format (DESIGN.md §3), observed at 2026-11-24T10:15:02.120Z:
// the one example the integration tests, the fuzz seeds and the fuzzed hub all send.
// Header-only; needs nlohmann-json only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gb::testing {

inline nlohmann::json SampleEvent(const std::string& key, const std::string& category, double lat, double lon,
                                  const std::string& camera = "cam-01") {
  return {{"idempotency_key", key},
          {"source", {{"kind", "camera"}, {"id", camera}}},
          {"category", category},
          {"rule", "stationary_vehicle"},
          {"observed_at", "2026-11-24T10:15:02.120Z"},
          {"location", {{"lat", lat}, {"lon", lon}}},
          {"confidence", 0.87},
          {"attributes", {{"dwell_s", 312}}}};
}

}  // namespace gb::testing
