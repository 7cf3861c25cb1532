// CameraAnalyzer: one camera's analysis, from decoded frames to observations.
// motion gate → candidates (foreground blobs, classified by the object detector on the
// moving regions only) → tracker → zone rules. No appearance features of people are kept
// and nothing is shared across cameras.
//
// The caller (the agent's camera thread) decodes every frame and hands over the ones picked
// for analysis by timestamp, so that one file gives the same observations every time.
//
// Thread-safety: one CameraAnalyzer per camera thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "edge/config.h"

namespace gb::vision {
class ObjectDetector;
}

namespace gb::edge {

// An image for evidence, with what the analyzer knows is in it, for the anonymizer: every
// person-sized box the tracker holds and every vehicle (for plate blurring).
struct EvidenceShot {
  cv::Mat bgr;                      // full resolution, NOT anonymized yet
  std::vector<cv::Rect> people;     // pixels of bgr
  std::vector<cv::Rect> vehicles;   // pixels of bgr
};

// A rule that fired: one per situation, however long it lasts.
struct Observation {
  const ZoneConfig* zone = nullptr;  // points into the CameraConfig given to Create
  double confidence = 0;             // 0..1
  std::int64_t started_ms = 0;       // media time the situation began
  std::int64_t fired_ms = 0;         // media time the rule fired (started_ms + its minimum)
  std::optional<double> dwell_s;     // stationary_vehicle
  std::optional<int> count;          // crowding
  // 1–3: the object with context, the zone when it began, a small whole view; never the
  // candidate frame showing more faces or plates than needed.
  std::vector<EvidenceShot> evidence;
};

// What the tracker holds now, for previews and for blurring people in evidence.
struct TrackView {
  int id = 0;
  cv::Rect box;          // full-resolution pixels
  std::string label;     // "person", "car", "object", …
  bool at_rest = false;
};

// CPU seconds spent per stage in one Process() call, for the agent's stage_seconds metric.
struct StageSeconds {
  double motion = 0, detect = 0, track = 0, rules = 0;
};

struct AnalysisResult {
  std::vector<Observation> observations;
  StageSeconds seconds;
};

class CameraAnalyzer {
 public:
  // Invalid when a zone cannot run (e.g. no_helmet without a usable model); Unavailable when
  // the object detector cannot be loaded. REQUIRES: `camera` outlives the analyzer (each
  // Observation::zone points into it).
  static Result<std::unique_ptr<CameraAnalyzer>> Create(const CameraConfig& camera);
  // The same with a given object detector (one per analyzer; REQUIRES: not null).
  static Result<std::unique_ptr<CameraAnalyzer>> Create(const CameraConfig& camera,
                                                        std::unique_ptr<vision::ObjectDetector> detector);
  virtual ~CameraAnalyzer() = default;

  // `bgr` is the full-resolution frame; `media_ms` its time since the first frame,
  // increasing. The analyzer makes its own analysis copy (camera.analysis_width wide).
  virtual AnalysisResult Process(const cv::Mat& bgr, std::int64_t media_ms) = 0;
  virtual std::vector<TrackView> Tracks() const = 0;
};

}  // namespace gb::edge
