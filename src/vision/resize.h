// Resizing for detection, shared by the detectors (the object detector, the anonymizer's face
// and plate passes). Thread-safe.
#pragma once

#include <opencv2/core.hpp>

namespace gb::vision {

// `src` resized to `size` for detection: area averaging by the largest whole factor, then
// bilinear for the rest (or to enlarge). Returns `src` itself when the size is right.
cv::Mat ResizeForDetection(const cv::Mat& src, cv::Size size);

}  // namespace gb::vision
