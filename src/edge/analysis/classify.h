// Classification of tracks by the object detector: when a track is looked at (the verdict is
// cached on the track, and the detector runs again only when it may change), which detection
// is the track's own and what that makes it, and how the regions of one frame are put to the
// detector in as few network runs as will do.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "edge/track/tracker.h"
#include "vision/object_detector.h"

namespace gb::edge {

track::Kind KindOf(vision::ObjectClass c);

// Whether `t` (a confirmed track) is to be looked at now:
// - once when it is first seen, and once when it first comes to rest unless it is known to be a
//   person or a vehicle already (what it is then decides the rules);
// - a thing at rest that the detector called nothing, again a few times a few seconds apart (a
//   person standing still is never to be taken for a dumped object);
// - a moving track, again when its box has grown or shrunk a lot since it was last looked at
//   (it was entering the view or hidden; a group merged or split), at most once a second and
//   only while it is not known to be a person or a vehicle.
bool ClassificationDue(const track::Track& t, std::int64_t now_ms);

// Writes the detector's verdict into `t`: the best detection that is the track's own (a good
// overlap with its box, people and vehicles before bags; for a moving track also a person of
// whom the track is a part), or kNothing, and the people whose boxes lie in its box.
// `detections` are in the same pixels as t.box.
void ApplyDetections(track::Track& t, const std::vector<vision::Detection>& detections, std::int64_t now_ms);

// The regions (analysis pixels) joined where the detector can look at them in one crop: two
// regions whose union is at most `max_side` pixels either way become that union.
std::vector<cv::Rect> JoinRegions(std::vector<cv::Rect> regions, int max_side);

}  // namespace gb::edge
