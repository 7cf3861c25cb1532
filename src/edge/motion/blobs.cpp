#include "edge/motion/blobs.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace gb::edge::motion {

std::vector<cv::Rect> Blobs(const cv::Mat& mask, int min_area, int join) {
  cv::Mat joined, labels, stats, centroids;
  cv::dilate(mask, joined, cv::getStructuringElement(cv::MORPH_RECT, {join, join}));
  const int n = cv::connectedComponentsWithStats(joined, labels, stats, centroids, 8, CV_32S);
  std::vector<cv::Rect> out;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) < min_area) continue;
    out.emplace_back(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
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
