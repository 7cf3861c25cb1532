// Reading the COCO SSD network's outputs (internal to gb_vision; exposed for tests): box
// offsets decoded against the anchors the TF Object Detection API way, scores per class, and
// the merging of detections from one or several runs.
//
// Coordinates here are fractions of the network input (0..1, y down), as the anchors are.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace gb::vision::ssd {

inline constexpr int kInputSide = 300;  // the network's input is 300×300×3
inline constexpr int kAnchors = 1917;   // 19²·3 + (10² + 5² + 3² + 2² + 1)·6
inline constexpr int kColumns = 91;     // background, then COCO ids 1..90

// An anchor as the model stores it: ymin, xmin, ymax, xmax.
struct Anchor {
  float ymin = 0, xmin = 0, ymax = 0, xmax = 0;
};

// One anchor's box offsets (ty, tx, th, tw) decoded with the box coder's scales (10, 10, 5,
// 5): centre = anchor centre + t/10 · anchor size, size = anchor size · exp(t/5).
cv::Rect2f DecodeBox(const float offsets[4], const Anchor& anchor);

struct Candidate {
  cv::Rect2f box;  // fractions of the input
  int column = 0;  // score column (COCO id)
  float score = 0;
};

// Every anchor × wanted column whose score is at least `min_score`, decoded, then
// non-maximum suppression per column at `iou`. `offsets` is kAnchors × 4 and `scores`
// kAnchors × kColumns, row by row; `anchors` has kAnchors entries.
std::vector<Candidate> Decode(const float* offsets, const float* scores,
                              const std::vector<Anchor>& anchors, const std::vector<int>& columns,
                              float min_score, float iou);

float Iou(const cv::Rect2f& a, const cv::Rect2f& b);

// A detection from one run over part of an image, in image pixels. `cut` marks a box that
// touches an edge of its run's crop inside the image, so that part of the object may be
// outside the crop.
struct Found {
  cv::Rect2f box;
  int column = 0;
  float score = 0;
  bool cut = false;
  int run = 0;  // which run found it
};

// When Merge drops a box for one kept before it (of the same column).
struct MergeRules {
  // From another run: the same object seen twice overlaps itself less exactly, and an
  // object cut by one crop's edge lies mostly inside its whole box from another crop.
  float iou_across = 0.4f;
  float cover_across = 0.6f;
  // From the same run, whose suppression by IoU is done already: a box lying almost wholly
  // inside another (a part of the object, such as a person's upper body).
  float cover_within = 0.7f;
};

// Merges the detections of several runs, per column. Whole boxes come before cut ones and
// higher scores before lower; a box is dropped when one kept before it overlaps it by IoU
// (another run's only) or covers enough of its area, as `rules` say. Kept boxes come back in
// order of decreasing score.
std::vector<Found> Merge(std::vector<Found> found, const MergeRules& rules = {});

}  // namespace gb::vision::ssd
