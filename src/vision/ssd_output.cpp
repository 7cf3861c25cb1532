#include "vision/ssd_output.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace gb::vision::ssd {
namespace {

// The box coder's scale factors (TF OD API FasterRcnnBoxCoder as SSD configs set it).
constexpr float kCentreScale = 10.0f, kSizeScale = 5.0f;
// exp() of a size offset above this would be a box hundreds of times its anchor: noise.
constexpr float kMaxSizeOffset = 4.0f * kSizeScale;

}  // namespace

cv::Rect2f DecodeBox(const float offsets[4], const Anchor& a) {
  const float ha = a.ymax - a.ymin, wa = a.xmax - a.xmin;
  const float yc = a.ymin + ha / 2 + offsets[0] / kCentreScale * ha;
  const float xc = a.xmin + wa / 2 + offsets[1] / kCentreScale * wa;
  const float h = ha * std::exp(std::min(offsets[2], kMaxSizeOffset) / kSizeScale);
  const float w = wa * std::exp(std::min(offsets[3], kMaxSizeOffset) / kSizeScale);
  return {xc - w / 2, yc - h / 2, w, h};
}

float Iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Candidate> Decode(const float* offsets, const float* scores,
                              const std::vector<Anchor>& anchors, const std::vector<int>& columns,
                              float min_score, float iou) {
  std::vector<Candidate> out;
  for (int column : columns) {
    std::vector<Candidate> c;
    for (int i = 0; i < kAnchors; ++i) {
      const float s = scores[static_cast<size_t>(i) * kColumns + column];
      if (!(s >= min_score)) continue;  // also skips NaN
      const cv::Rect2f box = DecodeBox(offsets + static_cast<size_t>(i) * 4, anchors[i]);
      if (!(box.width > 0 && box.height > 0)) continue;
      c.push_back({box, column, s});
    }
    std::stable_sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    std::vector<Candidate> kept;
    for (const Candidate& x : c) {
      bool suppressed = false;
      for (const Candidate& k : kept) {
        if (Iou(x.box, k.box) >= iou) {
          suppressed = true;
          break;
        }
      }
      if (!suppressed) kept.push_back(x);
    }
    out.insert(out.end(), kept.begin(), kept.end());
  }
  return out;
}

std::vector<Found> Merge(std::vector<Found> found, const MergeRules& rules) {
  // Whole boxes first, each group by decreasing score.
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::make_tuple(a.cut, -a.score) < std::make_tuple(b.cut, -b.score);
  });
  std::vector<Found> kept;
  for (const Found& f : found) {
    bool suppressed = false;
    for (const Found& k : kept) {
      if (k.column != f.column) continue;
      const float covered = (f.box & k.box).area() / f.box.area();
      const bool same = k.run == f.run;
      if ((same && covered >= rules.cover_within) ||
          (!same && (covered >= rules.cover_across || Iou(f.box, k.box) >= rules.iou_across))) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(f);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Found& a, const Found& b) { return a.score > b.score; });
  return kept;
}

}  // namespace gb::vision::ssd
