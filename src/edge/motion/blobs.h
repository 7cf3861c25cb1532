// Blobs: the boxes of connected regions of a motion mask, the tracker's candidates.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace gb::edge::motion {

// Boxes of the regions of `mask` (CV_8U, non-zero = set) with at least `min_area` set pixels
// each. Set pixels belong to one region when a `join`×`join` dilation connects them (the
// fragments of one object); each box bounds the set pixels of its region, not the dilation.
std::vector<cv::Rect> Blobs(const cv::Mat& mask, int min_area, int join = 3);

// Replaces every two boxes of which at least `overlap` of the smaller lies inside the other by
// their union, until no such pair is left.
void MergeOverlapping(std::vector<cv::Rect>& boxes, double overlap = 0.5);

}  // namespace gb::edge::motion
