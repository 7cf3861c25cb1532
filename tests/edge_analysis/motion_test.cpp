// MotionDetector on vtest.avi's real street (scenes/assets.h) under the conditions that must
// raise nothing (noise, drift, sudden light, shake, rain) and with things that arrive, stay
// and leave.
#include "edge/motion/motion_detector.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "edge/motion/blobs.h"
#include "scenes/assets.h"

namespace gb::edge::motion {
namespace {

constexpr double kDt = 0.2;  // 5 analysed frames a second

// The street as the analyzer's motion copy sees it (320×180 grey), with light `gain`, noise and
// an optional shift.
cv::Mat Grey(const cv::Mat& bgr, double gain = 1, double noise = 2, cv::Point2f shift = {0, 0}, std::uint32_t seed = 1) {
  cv::Mat f;
  bgr.convertTo(f, CV_32FC3, gain);
  if (shift != cv::Point2f(0, 0)) {
    const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, shift.x, 0, 1, shift.y);
    cv::warpAffine(f, f, m, f.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  }
  cv::Mat n(f.size(), CV_32FC3);
  cv::RNG(seed).fill(n, cv::RNG::NORMAL, 0, noise);
  f += n;
  cv::Mat out, small, grey;
  f.convertTo(out, CV_8UC3);
  cv::resize(out, small, {320, 180}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  return grey;
}

const cv::Mat& Street() { return scenes::LoadAssets().street; }

// Runs `frames` frames made by `make(i)` and returns the largest blob count seen after warm-up.
template <typename Make>
size_t MostBlobs(MotionDetector& m, int frames, Make make, int warmup = 10) {
  size_t most = 0;
  for (int i = 0; i < frames; ++i) {
    const MotionMasks& masks = m.Update(make(i), kDt, {});
    if (i < warmup) continue;
    most = std::max(most, Blobs(masks.foreground, 12).size() + Blobs(masks.lasting, 12).size());
  }
  return most;
}

TEST(MotionDetector, StillNoisyStreetRaisesNothing) {
  MotionDetector m;
  EXPECT_EQ(MostBlobs(m, 60, [](int i) { return Grey(Street(), 1, 6, {0, 0}, i); }), 0u);
}

TEST(MotionDetector, NightNoiseRaisesNothing) {
  MotionDetector m;
  EXPECT_EQ(MostBlobs(m, 60, [](int i) { return Grey(Street(), 0.3, 10, {0, 0}, i); }), 0u);
}

TEST(MotionDetector, LightingDriftRaisesNothing) {
  MotionDetector m;
  // 40 % darker over 30 s.
  EXPECT_EQ(MostBlobs(m, 150, [](int i) { return Grey(Street(), 1 - 0.4 * i / 150.0, 3, {0, 0}, i); }), 0u);
}

TEST(MotionDetector, SuddenGlobalBrightnessChangesRaiseNothing) {
  MotionDetector m;
  auto gain = [](int i) { return i < 20 ? 1.0 : i < 40 ? 0.55 : 1.4; };
  EXPECT_EQ(MostBlobs(m, 60, [&](int i) { return Grey(Street(), gain(i), 3, {0, 0}, i); }), 0u);
}

TEST(MotionDetector, CameraShakeOfAFewPixelsRaisesNothing) {
  MotionDetector m;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-3, 3);  // pixels of the 640-wide frame
  EXPECT_EQ(MostBlobs(m, 60, [&](int i) { return Grey(Street(), 1, 3, {d(rng), d(rng)}, i); }), 0u);
}

TEST(MotionDetector, RainRaisesNothingThatLasts) {
  // Streaks fall at new places every frame: none may stay put for three frames running (what
  // the tracker needs to confirm a track), and nothing may become lasting.
  MotionDetector m;
  std::vector<std::vector<cv::Rect>> recent;
  int persistent = 0;
  for (int i = 0; i < 60; ++i) {
    cv::Mat f = Street().clone();
    std::mt19937 rng(static_cast<std::uint32_t>(i));
    std::uniform_int_distribution<int> x(0, 639), y(0, 359), l(5, 14);
    for (int k = 0; k < 120; ++k) {
      const cv::Point a(x(rng), y(rng));
      const int len = l(rng);
      cv::line(f, a, a + cv::Point(len / 4, len), {210, 210, 210}, 1, cv::LINE_AA);
    }
    const MotionMasks& masks = m.Update(Grey(f, 1, 2, {0, 0}, static_cast<std::uint32_t>(i)), kDt, {});
    EXPECT_EQ(Blobs(masks.lasting, 12).size(), 0u) << "frame " << i;
    recent.push_back(Blobs(masks.foreground, 12));
    if (recent.size() < 3) continue;
    const auto& [a, b, c] = std::tie(recent[recent.size() - 3], recent[recent.size() - 2], recent.back());
    for (const cv::Rect& r : c) {
      auto overlaps = [&](const std::vector<cv::Rect>& in) {
        return std::any_of(in.begin(), in.end(), [&](const cv::Rect& q) { return (q & r).area() > 0; });
      };
      if (overlaps(a) && overlaps(b)) ++persistent;
    }
  }
  EXPECT_EQ(persistent, 0);
}

// A dark box appears at `at` (640×360 pixels) from frame `from` to frame `to`.
cv::Mat WithBox(int i, int from, int to, cv::Rect at = {300, 250, 40, 30}) {
  cv::Mat f = Street().clone();
  if (i >= from && i < to) cv::rectangle(f, at, {40, 35, 30}, cv::FILLED);
  return Grey(f, 1, 2, {0, 0}, i);
}

double Covered(const cv::Mat& mask, cv::Rect at640) {
  const cv::Rect r(at640.x / 2, at640.y / 2, at640.width / 2, at640.height / 2);
  return static_cast<double>(cv::countNonZero(mask(r))) / r.area();
}

TEST(MotionDetector, AThingThatStaysBecomesLastingAndLeavesNoGhost) {
  MotionDetector m;
  const cv::Rect box(300, 250, 40, 30);
  int first_foreground = -1, first_lasting = -1;
  for (int i = 0; i < 100; ++i) {
    const MotionMasks& masks = m.Update(WithBox(i, 10, 80), kDt, {});
    if (first_foreground < 0 && Covered(masks.foreground, box) > 0.5) first_foreground = i;
    if (first_lasting < 0 && Covered(masks.lasting, box) > 0.5) first_lasting = i;
    if (i >= 60 && i < 80) {
      EXPECT_GT(Covered(masks.lasting, box), 0.5) << "frame " << i;
    }
    if (i >= 85) {  // gone 1 s after it left
      EXPECT_LT(Covered(masks.lasting, box) + Covered(masks.foreground, box), 0.05) << "frame " << i;
    }
  }
  EXPECT_EQ(first_foreground, 10);
  EXPECT_GT(first_lasting, 10);
  EXPECT_LT(first_lasting, 25);  // within 3 s of arriving
}

TEST(MotionDetector, RecalibrationKeepsWhatIsAtRest) {
  MotionDetector m;
  const cv::Rect box(300, 250, 40, 30);
  for (int i = 0; i < 50; ++i) m.Update(WithBox(i, 5, 1000), kDt, {});
  ASSERT_GT(Covered(m.Update(WithBox(50, 5, 1000), kDt, {}).lasting, box), 0.5);
  // Most of the frame brightens unevenly at once (headlights): recalibrate, keep the box.
  cv::Mat lit = Street().clone();
  cv::rectangle(lit, box, {40, 35, 30}, cv::FILLED);
  cv::Mat f;
  lit.convertTo(f, CV_8UC3, 1.0, 0);
  cv::Mat left = f(cv::Rect(0, 0, 420, 360));
  left.convertTo(left, -1, 1.6, 10);
  const cv::Rect keep(box.x / 2, box.y / 2, box.width / 2, box.height / 2);
  const MotionMasks& masks = m.Update(Grey(f), kDt, {keep});
  EXPECT_TRUE(masks.recalibrated);
  EXPECT_GT(Covered(masks.lasting, box), 0.5);
  EXPECT_EQ(Blobs(masks.foreground, 12).size(), 0u);
}

}  // namespace
}  // namespace gb::edge::motion
