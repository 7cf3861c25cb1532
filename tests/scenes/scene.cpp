#include "scenes/scene.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

namespace gb::scenes {
namespace {

const char* RuleName(edge::RuleKind r) {
  switch (r) {
    case edge::RuleKind::kStationaryVehicle: return "stationary_vehicle";
    case edge::RuleKind::kDumpedObject: return "dumped_object";
    case edge::RuleKind::kPoster: return "poster";
    case edge::RuleKind::kCrowding: return "crowding";
    case edge::RuleKind::kNoHelmet: return "no_helmet";
  }
  return "";
}

// Unit Gaussian noise, made once, a little larger than a frame: each frame takes a window of it
// at a seeded offset, which costs far less than drawing fresh noise.
const cv::Mat& NoiseBank() {
  static const cv::Mat bank = [] {
    cv::Mat m(360 + 64, 640 + 64, CV_32FC3);
    cv::RNG(12345).fill(m, cv::RNG::NORMAL, 0, 1);
    return m;
  }();
  return bank;
}

double Light(const Conditions& c, double t, double duration) {
  double g = c.darkness * (1 + c.drift * t / duration);
  for (const auto& [at, factor] : c.jumps) {
    if (t >= at) g *= factor;
  }
  return g;
}

}  // namespace

cv::Point2f Path::At(double t) const {
  if (keys.empty()) return {0, 0};
  if (t <= keys.front().first) return keys.front().second;
  for (size_t i = 1; i < keys.size(); ++i) {
    if (t <= keys[i].first) {
      const auto& [t0, p0] = keys[i - 1];
      const auto& [t1, p1] = keys[i];
      const double u = t1 > t0 ? (t - t0) / (t1 - t0) : 1;
      return p0 + (p1 - p0) * static_cast<float>(u);
    }
  }
  return keys.back().second;
}

double Path::WalkTo(cv::Point2f p, double speed) {
  const cv::Point2f from = keys.back().second;
  const double t = keys.back().first + std::hypot(p.x - from.x, p.y - from.y) / speed;
  keys.emplace_back(t, p);
  return t;
}

std::shared_ptr<const Sprite> Shared(Sprite s) { return std::make_shared<const Sprite>(std::move(s)); }

double PersonScale(double y) { return std::clamp(0.85 + (y - 150) / 500, 0.7, 1.3); }

cv::Mat Scene::Render(double t_s) const {
  const Assets& assets = LoadAssets();
  cv::Mat frame = assets.street.clone();

  std::vector<const Actor*> visible;
  for (const Actor& a : actors) {
    if (t_s >= a.t_in && t_s < a.t_out) visible.push_back(&a);
  }
  std::stable_sort(visible.begin(), visible.end(), [&](const Actor* a, const Actor* b) {
    if (a->on_wall != b->on_wall) return a->on_wall;
    return a->path.At(t_s).y < b->path.At(t_s).y;
  });
  for (const Actor* a : visible) {
    const cv::Point2f at = a->path.At(t_s);
    Paste(frame, *a->sprite, at, a->perspective ? PersonScale(at.y) : a->scale, a->flip);
  }

  // The same seed and time give the same noise, rain and shake.
  std::mt19937 rng(seed * 1000003u + static_cast<std::uint32_t>(std::lround(t_s * 1000)));
  cv::Mat light;
  frame.convertTo(light, CV_32FC3, Light(conditions, t_s, duration_s));
  if (conditions.cloud > 0) {
    // A soft dark disc crossing from left to right over the scene's duration (drawn at an
    // eighth of the size: it is smooth).
    constexpr int kShrink = 8;
    const cv::Point2f centre(static_cast<float>(-200 + 1040 * t_s / duration_s) / kShrink, 150.0f / kShrink);
    const double radius = 140.0 / kShrink;
    cv::Mat shade(frame.rows / kShrink, frame.cols / kShrink, CV_32F);
    for (int y = 0; y < shade.rows; ++y) {
      float* row = shade.ptr<float>(y);
      for (int x = 0; x < shade.cols; ++x) {
        const double d2 = (x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y);
        row[x] = static_cast<float>(1 - conditions.cloud * std::exp(-d2 / (2 * radius * radius)));
      }
    }
    cv::Mat full, shade3;
    cv::resize(shade, full, frame.size(), 0, 0, cv::INTER_LINEAR);
    cv::merge(std::vector<cv::Mat>{full, full, full}, shade3);
    light = light.mul(shade3);
  }
  if (conditions.shake > 0) {
    std::uniform_real_distribution<double> d(-conditions.shake, conditions.shake);
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, d(rng), 0, 1, d(rng));
    cv::warpAffine(light, light, shift, light.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  }
  if (conditions.rain > 0) {
    std::uniform_int_distribution<int> x(0, frame.cols - 1), y(0, frame.rows - 1), len(5, 14);
    const float bright = static_cast<float>(170 * Light(conditions, t_s, duration_s) + 40);
    for (int k = 0; k < conditions.rain; ++k) {
      const cv::Point a(x(rng), y(rng));
      const int l = len(rng);
      cv::line(light, a, a + cv::Point(l / 4, l), cv::Scalar(bright, bright, bright), 1, cv::LINE_AA);
    }
  }
  if (conditions.noise > 0) {
    std::uniform_int_distribution<int> offset(0, 63);
    const cv::Mat window = NoiseBank()(cv::Rect(offset(rng), offset(rng), frame.cols, frame.rows));
    cv::scaleAdd(window, conditions.noise, light, light);
  }
  cv::Mat out;
  light.convertTo(out, CV_8UC3);
  if (out.size() != size) cv::resize(out, out, size, 0, 0, cv::INTER_LINEAR);
  return out;
}

std::string Scene::TruthJson() const {
  nlohmann::json zones = nlohmann::json::array();
  for (const edge::ZoneConfig& z : camera.zones) {
    nlohmann::json polygon = nlohmann::json::array();
    for (const auto& [x, y] : z.polygon) polygon.push_back({x, y});
    zones.push_back({{"id", z.id},
                     {"rule", RuleName(z.rule)},
                     {"polygon", polygon},
                     {"min_dwell_s", z.min_dwell_s},
                     {"min_stay_s", z.min_stay_s},
                     {"min_count", z.min_count},
                     {"min_s", z.min_s}});
  }
  nlohmann::json truth_rows = nlohmann::json::array();
  for (const TruthEvent& e : truth) truth_rows.push_back({e.rule, e.start_s, e.end_s, e.zone});
  return nlohmann::json{{"name", name}, {"seed", seed}, {"duration_s", duration_s}, {"zones", zones}, {"truth", truth_rows}}
      .dump();
}

}  // namespace gb::scenes
