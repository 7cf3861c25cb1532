// An event as the agent raises it: the wire-format JSON of DESIGN.md §3, exactly as it will
// be POSTed, with the anonymized evidence JPEGs it refers to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "edge/analysis.h"
#include "edge/config.h"

namespace gb::edge {

// One anonymized evidence image, named by the SHA-256 of its bytes.
struct Evidence {
  std::string ref;   // "sha256:<64 hex>"
  std::string jpeg;  // the anonymized JPEG (JFIF only)
};

struct EdgeEvent {
  std::string idempotency_key;  // "<camera id>/<observed_at>/<rule>/<n>"
  std::string json;             // the wire format, one line
  std::vector<Evidence> evidence;
};

// The event of `obs`, the `number`th observation of `camera` (from 1, counted in media
// order, so that a file gives the same numbers every run). `epoch` is the time of the
// camera's first frame: observed_at = epoch + obs.fired_ms, started_at = epoch +
// obs.started_ms. REQUIRES: obs.zone points into camera.zones.
EdgeEvent BuildEvent(const CameraConfig& camera, const Observation& obs, TimeMs epoch, std::int64_t number,
                     std::vector<Evidence> evidence);

// The event's JSON with the given evidence refs in place of its own (the hub refused some).
std::string EventJsonWithEvidence(const EdgeEvent& event, const std::vector<std::string>& refs);

}  // namespace gb::edge
