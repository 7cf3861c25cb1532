// ScriptedAnalyzer: a TEST DOUBLE of CameraAnalyzer, for testing the agent's runtime
// (sources, events, evidence, spool, delivery) apart from the real analysis.
//
// Its script comes from the configuration, so that a test knows every event in advance:
// each zone fires once every min_stay_s seconds of media time, on the first analysed frame
// at or after k · min_stay_s (k = 1, 2, …), with started_at one second earlier,
// confidence 0.9, dwell_s = min_stay_s for stationary_vehicle zones and count = min_count for
// crowding zones. Its evidence is the whole frame and the frame's middle half; it "tracks"
// one box, the middle of the frame, labelled "object", drawn in previews.
#pragma once

#include <memory>

#include "edge/analysis.h"

namespace gb::edge::testing {

Result<std::unique_ptr<CameraAnalyzer>> CreateScriptedAnalyzer(const CameraConfig& camera);

}  // namespace gb::edge::testing
