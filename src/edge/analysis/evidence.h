// Evidence shots cut from a full-resolution frame, each with the boxes of the people and
// vehicles in it (for the anonymizer, which blurs them before the image leaves the agent).
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "edge/analysis.h"

namespace gb::edge {

// People and vehicles in a frame, full-resolution pixels.
struct FrameBoxes {
  std::vector<cv::Rect> people;
  std::vector<cv::Rect> vehicles;
};

// `object` enlarged by `margin` of its larger side on every side, at least `min_side` wide and
// tall, inside `frame`.
cv::Rect WithContext(const cv::Rect& object, cv::Size frame, double margin, int min_side);

// The pixels of `region` (full-resolution, clipped to the frame), copied, with the boxes that
// touch it in the shot's pixels.
EvidenceShot CropShot(const cv::Mat& bgr, const cv::Rect& region, const FrameBoxes& boxes);

// The whole frame, scaled down to at most `max_width` pixels wide.
EvidenceShot WholeView(const cv::Mat& bgr, int max_width, const FrameBoxes& boxes);

}  // namespace gb::edge
