#include "edge/motion/change.h"

#include <opencv2/imgproc.hpp>

namespace gb::edge::motion {
namespace {

// At least this correlation of frame and background over the region: only the light changed.
constexpr double kLightCorrelation = 0.85;
// The background's outline this many times stronger than the frame's: a hole.
constexpr double kHoleOutline = 1.5;
// Regions smaller than this (either side, pixels) are not judged.
constexpr int kMinSide = 3;

// Correlation of two equally sized CV_32F patches; 0 when either is flat.
double Correlation(const cv::Mat& a, const cv::Mat& b) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  if (sa[0] < 2 || sb[0] < 2) return 0;
  const cv::Mat da = a - ma[0], db = b - mb[0];
  return da.dot(db) / (sa[0] * sb[0] * static_cast<double>(a.total()));
}

cv::Mat GradientMagnitude(const cv::Mat& image) {
  cv::Mat gx, gy, magnitude;
  cv::Sobel(image, gx, CV_32F, 1, 0);
  cv::Sobel(image, gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, magnitude);
  return magnitude;
}

}  // namespace

Change JudgeChange(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& changed, const cv::Rect& box) {
  const cv::Rect all(0, 0, frame.cols, frame.rows);
  const cv::Rect r = box & all;
  if (r.width < kMinSide || r.height < kMinSide) return Change::kThing;
  if (Correlation(frame(r), background(r)) >= kLightCorrelation) return Change::kLight;

  // The outline: a band of a few pixels along the border of the changed pixels, looked at with
  // a margin around the region so that the border just outside it counts too.
  const cv::Rect around = cv::Rect(r.x - 3, r.y - 3, r.width + 6, r.height + 6) & all;
  cv::Mat inside = cv::Mat::zeros(around.size(), CV_8U);
  changed(r).copyTo(inside(r - around.tl()));
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::Mat grown, shrunk;
  cv::dilate(inside, grown, kernel);
  cv::erode(inside, shrunk, kernel);
  const cv::Mat band = grown & ~shrunk;
  if (cv::countNonZero(band) == 0) return Change::kThing;
  const double in_frame = cv::mean(GradientMagnitude(frame(around)), band)[0];
  const double in_background = cv::mean(GradientMagnitude(background(around)), band)[0];
  return in_background > kHoleOutline * in_frame ? Change::kHole : Change::kThing;
}

}  // namespace gb::edge::motion
