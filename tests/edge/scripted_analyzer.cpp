#include "scripted_analyzer.h"

#include <cmath>

namespace gb::edge::testing {
namespace {

class ScriptedAnalyzer : public CameraAnalyzer {
 public:
  explicit ScriptedAnalyzer(const CameraConfig& camera) : camera_(camera), next_(camera.zones.size(), 1) {}

  AnalysisResult Process(const cv::Mat& bgr, std::int64_t media_ms) override {
    AnalysisResult r;
    size_ = bgr.size();
    for (size_t i = 0; i < camera_.zones.size(); ++i) {
      const ZoneConfig& z = camera_.zones[i];
      const auto period = static_cast<std::int64_t>(std::llround(z.min_stay_s * 1000));
      if (media_ms < next_[i] * period) continue;
      next_[i] = media_ms / period + 1;
      Observation o;
      o.zone = &z;
      o.confidence = 0.9;
      o.fired_ms = media_ms;
      o.started_ms = std::max<std::int64_t>(0, media_ms - 1000);
      if (z.rule == RuleKind::kStationaryVehicle) o.dwell_s = z.min_stay_s;
      if (z.rule == RuleKind::kCrowding) o.count = z.min_count;
      const cv::Rect middle(bgr.cols / 4, bgr.rows / 4, bgr.cols / 2, bgr.rows / 2);
      o.evidence.push_back({bgr.clone(), {}, {}});
      o.evidence.push_back({bgr(middle).clone(), {}, {}});
      r.observations.push_back(std::move(o));
    }
    return r;
  }

  std::vector<TrackView> Tracks() const override {
    return {{1, cv::Rect(size_.width / 4, size_.height / 4, size_.width / 2, size_.height / 2), "object", true}};
  }

 private:
  const CameraConfig& camera_;
  std::vector<std::int64_t> next_;  // per zone: the next k
  cv::Size size_;
};

}  // namespace

Result<std::unique_ptr<CameraAnalyzer>> CreateScriptedAnalyzer(const CameraConfig& camera) {
  return std::unique_ptr<CameraAnalyzer>(std::make_unique<ScriptedAnalyzer>(camera));
}

}  // namespace gb::edge::testing
