// Classification of tracks by the object detector's boxes: which detection is the track's, and
// what that makes it. Cached on the track (the detector runs again only when the analyzer asks).
#pragma once

#include <cstdint>
#include <vector>

#include "edge/track/tracker.h"
#include "vision/object_detector.h"

namespace gb::edge {

track::Kind KindOf(vision::ObjectClass c);

// Writes the detector's verdict into `t`: the best detection that is the track's own (a good
// overlap with its box, people and vehicles before bags), or kNothing; how many people are in
// its box; whether it was classified at rest. `detections` are in the same pixels as t.box.
void ApplyDetections(track::Track& t, const std::vector<vision::Detection>& detections, std::int64_t now_ms);

}  // namespace gb::edge
