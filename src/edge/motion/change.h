// JudgeChange: what a changed region of the motion copy shows, from the frame and a background
// (MotionDetector's, blurred CV_32F): a thing, only a change of light, or a hole in the
// background.
//
// - Light: a shadow or a lamp darkens or brightens the background but keeps its texture, so the
//   frame correlates closely with the background over the region.
// - Hole: the background began with something in view that has since left (someone standing
//   there when the camera started). The frame then shows the empty scene, and the background
//   the thing: the outline of the changed pixels is in the background and not in the frame. A
//   thing that has arrived has its outline in the frame instead.
#pragma once

#include <opencv2/core.hpp>

namespace gb::edge::motion {

enum class Change { kThing, kLight, kHole };

// `frame` and `background`: CV_32F, the same size; `changed`: CV_8U 0/255 (MotionMasks) of that
// size; `box`: the region in their pixels. Regions too small or too flat to judge are kThing.
Change JudgeChange(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& changed, const cv::Rect& box);

}  // namespace gb::edge::motion
