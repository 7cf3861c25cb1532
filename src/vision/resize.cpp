#include "vision/resize.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace gb::vision {

cv::Mat ResizeForDetection(const cv::Mat& src, cv::Size size) {
  if (src.size() == size) return src;
  cv::Mat out;
  // Averaging by a whole factor first: OpenCV's area resampling is several times faster when
  // the factor is an integer. What remains is a reduction by less than two (or an
  // enlargement), for which bilinear sampling loses nothing a detector needs.
  const int k = std::min(src.cols / std::max(1, size.width), src.rows / std::max(1, size.height));
  cv::Mat reduced = src;
  if (k >= 2) cv::resize(src, reduced, cv::Size(), 1.0 / k, 1.0 / k, cv::INTER_AREA);
  if (reduced.size() == size) return reduced;
  cv::resize(reduced, out, size, 0, 0, cv::INTER_LINEAR);
  return out;
}

}  // namespace gb::vision
