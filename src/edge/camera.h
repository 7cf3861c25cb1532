// RunCamera: one camera's thread, from its source to raised events.
//
// Files: every frame is decoded; frames are picked for analysis by their media time
// (FramePicker), so one file, camera section and epoch give the same events every run;
// `realtime` paces reading to the media time; `loop` restarts at the end with media time
// running on; otherwise the camera stays ended. Streams: media time is the wall clock since
// the first opening; a stream that breaks or cannot be opened is reopened with a delay of
// 1 s doubling to 30 s, and source_up shows it.
//
// Each observation becomes an event numbered in the camera's order (from 1), with its
// evidence anonymized by the EvidenceEncoder, and goes to the EventOutput. Previews, when
// asked for, are written every preview_every_s of media time.
#pragma once

#include <string>

#include "core/env.h"
#include "edge/analysis.h"
#include "edge/config.h"
#include "edge/evidence.h"
#include "edge/metrics.h"
#include "edge/output.h"
#include "edge/stop_signal.h"

namespace gb::edge {

struct CameraContext {
  EventOutput& output;
  const EvidenceEncoder& encoder;
  EdgeMetrics& metrics;
  StopSignal& stop;
  Env* env;
  std::string preview_dir;  // "": no previews; else previews go to <dir>/<camera id>/<media ms>.jpg
  double preview_every_s = 5;
};

// Returns when the file has ended (and does not loop), the source cannot be opened (files),
// or ctx.stop is set. Failures are logged and counted; they never end another camera.
void RunCamera(const CameraConfig& camera, CameraAnalyzer& analyzer, const CameraContext& ctx);

}  // namespace gb::edge
