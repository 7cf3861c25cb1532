// Decoding the SSD outputs (vision/ssd_output.h) on numbers worked out by hand: the TF Object
// Detection API box coder, the per-class score threshold and suppression, and the merging of
// boxes from several crops (one box per object; boxes cut by a crop edge give way to whole
// ones).

#include "vision/ssd_output.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace gb::vision::ssd {
namespace {

void ExpectBox(const cv::Rect2f& got, float x, float y, float w, float h) {
  EXPECT_NEAR(got.x, x, 1e-5);
  EXPECT_NEAR(got.y, y, 1e-5);
  EXPECT_NEAR(got.width, w, 1e-5);
  EXPECT_NEAR(got.height, h, 1e-5);
}

TEST(SsdOutputTest, DecodesOffsetsAgainstTheAnchorWithScales10And5) {
  const Anchor a{0.2f, 0.4f, 0.6f, 0.5f};  // centre (x 0.45, y 0.4), 0.1 wide, 0.4 tall
  const float zero[4] = {0, 0, 0, 0};
  ExpectBox(DecodeBox(zero, a), 0.4f, 0.2f, 0.1f, 0.4f);  // no offset: the anchor itself
  // ty = 5 moves the centre down by half the anchor's height; tx = −10 left by its width;
  // th = 5 · ln 2 doubles the height; tw = −5 · ln 2 halves the width.
  const float t[4] = {5.0f, -10.0f, 5.0f * std::log(2.0f), -5.0f * std::log(2.0f)};
  ExpectBox(DecodeBox(t, a), 0.35f - 0.025f, 0.6f - 0.4f, 0.05f, 0.8f);
}

// Three anchors, the scores of two columns.
struct Outputs {
  std::vector<float> offsets = std::vector<float>(kAnchors * 4, 0.0f);
  std::vector<float> scores = std::vector<float>(static_cast<size_t>(kAnchors) * kColumns, 0.0f);
  std::vector<Anchor> anchors = std::vector<Anchor>(kAnchors, Anchor{0, 0, 0.01f, 0.01f});
  void Set(int i, Anchor a, int column, float score) {
    anchors[i] = a;
    scores[static_cast<size_t>(i) * kColumns + column] = score;
  }
};

TEST(SsdOutputTest, KeepsScoresAboveTheThresholdAndSuppressesPerColumn) {
  Outputs o;
  o.Set(10, {0.1f, 0.1f, 0.5f, 0.3f}, 1, 0.9f);
  o.Set(11, {0.12f, 0.1f, 0.52f, 0.3f}, 1, 0.8f);  // the same person again: suppressed
  o.Set(12, {0.12f, 0.1f, 0.52f, 0.3f}, 3, 0.7f);  // but a car there is another column
  o.Set(13, {0.6f, 0.6f, 0.9f, 0.7f}, 1, 0.29f);   // under the threshold
  o.Set(14, {0.6f, 0.6f, 0.9f, 0.7f}, 2, 0.95f);   // a column nobody asked for
  o.scores[static_cast<size_t>(15) * kColumns + 1] = std::nanf("");
  const std::vector<Candidate> c = Decode(o.offsets.data(), o.scores.data(), o.anchors, {1, 3}, 0.3f, 0.6f);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].column, 1);
  EXPECT_FLOAT_EQ(c[0].score, 0.9f);
  ExpectBox(c[0].box, 0.1f, 0.1f, 0.2f, 0.4f);
  EXPECT_EQ(c[1].column, 3);
  EXPECT_FLOAT_EQ(c[1].score, 0.7f);
}

TEST(SsdOutputTest, MergeKeepsOneBoxPerObjectSeenBySeveralRuns) {
  std::vector<Found> found = {
      {cv::Rect2f(100, 100, 40, 120), 1, 0.6f, false, 0},
      {cv::Rect2f(102, 98, 40, 118), 1, 0.7f, false, 1},   // the same person from another crop
      {cv::Rect2f(100, 100, 40, 70), 1, 0.9f, true, 2},    // their upper half, cut by a crop edge
      {cv::Rect2f(100, 100, 40, 120), 3, 0.5f, false, 0},  // another class is left alone
      {cv::Rect2f(400, 100, 40, 60), 1, 0.8f, true, 1},    // cut, but nothing whole covers it
      {cv::Rect2f(405, 108, 40, 60), 1, 0.5f, true, 2},    // the same cut box from a third crop
      {cv::Rect2f(600, 100, 40, 120), 1, 0.45f, false, 0},
      {cv::Rect2f(615, 90, 40, 110), 1, 0.35f, false, 0},  // a person behind them: stays
      {cv::Rect2f(602, 102, 36, 60), 1, 0.32f, false, 0},  // their upper body: goes
  };
  const std::vector<Found> kept = Merge(found);
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.8f);  // by score
  EXPECT_TRUE(kept[0].cut);
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);
  EXPECT_EQ(kept[1].column, 1);
  EXPECT_FLOAT_EQ(kept[2].score, 0.5f);
  EXPECT_EQ(kept[2].column, 3);
  EXPECT_FLOAT_EQ(kept[3].score, 0.45f);
  EXPECT_FLOAT_EQ(kept[4].score, 0.35f);
}

}  // namespace
}  // namespace gb::vision::ssd
