// Blobs: the boxes of connected regions of a motion mask, the tracker's candidates.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace gb::edge::motion {

// Boxes of the 8-connected regions of `mask` (CV_8U, non-zero = set) after a `join`×`join`
// dilation that joins the fragments of one object, with at least `min_area` pixels each.
std::vector<cv::Rect> Blobs(const cv::Mat& mask, int min_area, int join = 3);

// Replaces every two boxes of which at least `overlap` of the smaller lies inside the other by
// their union, until no such pair is left.
void MergeOverlapping(std::vector<cv::Rect>& boxes, double overlap = 0.5);

}  // namespace gb::edge::motion
