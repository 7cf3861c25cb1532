#include "edge/motion/blobs.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace gb::edge::motion {

std::vector<cv::Rect> Blobs(const cv::Mat& mask, int min_area, int join) {
  cv::Mat joined, labels;
  cv::dilate(mask, joined, cv::getStructuringElement(cv::MORPH_RECT, {join, join}));
  const int n = cv::connectedComponents(joined, labels, 8, CV_32S);
  // The joining decides which pixels belong together; the boxes and areas are of the set pixels
  // only, so that a box is as tight as the thing itself.
  struct Extent {
    int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1, area = 0;
  };
  std::vector<Extent> extents(static_cast<size_t>(n));
  for (int y = 0; y < mask.rows; ++y) {
    const uchar* m = mask.ptr<uchar>(y);
    const int* l = labels.ptr<int>(y);
    for (int x = 0; x < mask.cols; ++x) {
      if (m[x] == 0) continue;
      Extent& e = extents[static_cast<size_t>(l[x])];
      e.x0 = std::min(e.x0, x);
      e.y0 = std::min(e.y0, y);
      e.x1 = std::max(e.x1, x);
      e.y1 = std::max(e.y1, y);
      ++e.area;
    }
  }
  std::vector<cv::Rect> out;
  for (size_t i = 1; i < extents.size(); ++i) {
    const Extent& e = extents[i];
    if (e.area < min_area) continue;
    out.emplace_back(e.x0, e.y0, e.x1 - e.x0 + 1, e.y1 - e.y0 + 1);
  }
  return out;
}
void MergeOverlapping(std::vector<cv::Rect>& boxes, double overlap) {
  bool merged = true;
  while (merged) {
    merged = false;
    for (size_t i = 0; i < boxes.size() && !merged; ++i) {
      for (size_t j = i + 1; j < boxes.size() && !merged; ++j) {
        const double smaller = std::min(boxes[i].area(), boxes[j].area());
        if (smaller > 0 && (boxes[i] & boxes[j]).area() >= overlap * smaller) {
          boxes[i] |= boxes[j];
          boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
        }
      }
    }
  }
}

}  // namespace gb::edge::motion
