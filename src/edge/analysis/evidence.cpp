#include "edge/analysis/evidence.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace gb::edge {
namespace {

// `boxes` moved by -origin and scaled, keeping those that still touch a shot of `size`.
std::vector<cv::Rect> Into(const std::vector<cv::Rect>& boxes, cv::Point origin, double scale, cv::Size size) {
  std::vector<cv::Rect> out;
  const cv::Rect shot(0, 0, size.width, size.height);
  for (const cv::Rect& b : boxes) {
    const cv::Rect moved(static_cast<int>(std::floor((b.x - origin.x) * scale)),
                         static_cast<int>(std::floor((b.y - origin.y) * scale)),
                         static_cast<int>(std::ceil(b.width * scale)), static_cast<int>(std::ceil(b.height * scale)));
    const cv::Rect in = moved & shot;
    if (!in.empty()) out.push_back(in);
  }
  return out;
}

}  // namespace

cv::Rect WithContext(const cv::Rect& object, cv::Size frame, double margin, int min_side) {
  const int grow = static_cast<int>(std::max(object.width, object.height) * margin);
  const int w = std::min(frame.width, std::max(min_side, object.width + 2 * grow));
  const int h = std::min(frame.height, std::max(min_side, object.height + 2 * grow));
  const int cx = object.x + object.width / 2, cy = object.y + object.height / 2;
  const int x = std::clamp(cx - w / 2, 0, frame.width - w);
  const int y = std::clamp(cy - h / 2, 0, frame.height - h);
  return {x, y, w, h};
}

EvidenceShot CropShot(const cv::Mat& bgr, const cv::Rect& region, const FrameBoxes& boxes) {
  const cv::Rect r = region & cv::Rect(0, 0, bgr.cols, bgr.rows);
  EvidenceShot shot;
  shot.bgr = bgr(r).clone();
  shot.people = Into(boxes.people, r.tl(), 1.0, r.size());
  shot.vehicles = Into(boxes.vehicles, r.tl(), 1.0, r.size());
  return shot;
}

EvidenceShot WholeView(const cv::Mat& bgr, int max_width, const FrameBoxes& boxes) {
  const double scale = std::min(1.0, static_cast<double>(max_width) / bgr.cols);
  EvidenceShot shot;
  if (scale < 1) {
    cv::resize(bgr, shot.bgr, {}, scale, scale, cv::INTER_AREA);
  } else {
    shot.bgr = bgr.clone();
  }
  shot.people = Into(boxes.people, {0, 0}, scale, shot.bgr.size());
  shot.vehicles = Into(boxes.vehicles, {0, 0}, scale, shot.bgr.size());
  return shot;
}

}  // namespace gb::edge
