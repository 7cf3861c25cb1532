#include "edge/motion/motion_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace gb::edge::motion {
namespace {

// Every how many pixels, in x and y, the noise and the gain are sampled: plenty for a median.
constexpr int kSampleStep = 4;

double Median(std::vector<float>& v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Sigma of the temporal noise from the median absolute frame-to-frame difference (most pixels
// show a still scene, so the median sees noise only). MAD·1.4826 is sigma of the difference,
// which is √2 times sigma of one frame.
double TemporalNoise(const cv::Mat& frame, const cv::Mat& previous, std::vector<float>& scratch) {
  scratch.clear();
  for (int y = 0; y < frame.rows; y += kSampleStep) {
    const float* a = frame.ptr<float>(y);
    const float* b = previous.ptr<float>(y);
    for (int x = 0; x < frame.cols; x += kSampleStep) scratch.push_back(std::abs(a[x] - b[x]));
  }
  return Median(scratch) * 1.4826 / std::sqrt(2.0);
}

// frame / background over pixels bright enough for a ratio to mean something; 1 when too few.
double GlobalGain(const cv::Mat& frame, const cv::Mat& background, std::vector<float>& scratch) {
  scratch.clear();
  for (int y = 0; y < frame.rows; y += kSampleStep) {
    const float* f = frame.ptr<float>(y);
    const float* b = background.ptr<float>(y);
    for (int x = 0; x < frame.cols; x += kSampleStep) {
      if (b[x] > 12 && f[x] > 4) scratch.push_back(f[x] / b[x]);
    }
  }
  if (scratch.size() < 16) return 1;
  return std::clamp(Median(scratch), 0.2, 5.0);
}

// 255 where `value` lies outside [min over 5×5 of `reference` − t, max over 5×5 + t]: a change
// that a shift of the camera by two pixels (four of the analysis copy) cannot explain.
cv::Mat OutsideNeighbourhood(const cv::Mat& value, const cv::Mat& reference, double t) {
  cv::Mat hi, lo;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, {5, 5});
  cv::dilate(reference, hi, kernel);
  cv::erode(reference, lo, kernel);
  cv::Mat above = value > (hi + t);
  cv::Mat below = value < (lo - t);
  return above | below;
}

double Alpha(double dt_s, double tau_s) { return 1 - std::exp(-dt_s / tau_s); }

// Clears the outermost pixels, where a shaking camera brings new picture in from outside.
void ClearBorder(cv::Mat& mask) {
  constexpr int kBorder = 2;
  if (mask.rows <= 2 * kBorder || mask.cols <= 2 * kBorder) return;
  mask.rowRange(0, kBorder).setTo(0);
  mask.rowRange(mask.rows - kBorder, mask.rows).setTo(0);
  mask.colRange(0, kBorder).setTo(0);
  mask.colRange(mask.cols - kBorder, mask.cols).setTo(0);
}

}  // namespace

MotionDetector::MotionDetector(MotionOptions options) : options_(options) {}

void MotionDetector::Recalibrate(const cv::Mat& frame, const std::vector<cv::Rect>& keep) {
  const cv::Mat kept_long = long_.clone();
  frame.copyTo(short_);
  frame.copyTo(long_);
  const cv::Rect all(0, 0, frame.cols, frame.rows);
  for (const cv::Rect& r : keep) {
    const cv::Rect in = r & all;
    if (!in.empty()) kept_long(in).copyTo(long_(in));
  }
  ghost_count_.setTo(0);
}

void MotionDetector::Absorb(const cv::Rect& box) {
  const cv::Rect r = box & cv::Rect(0, 0, previous_.cols, previous_.rows);
  if (r.empty()) return;
  previous_(r).copyTo(short_(r));
  previous_(r).copyTo(long_(r));
  ghost_count_(r).setTo(0);
}

const MotionMasks& MotionDetector::Update(const cv::Mat& grey, double dt_s, const std::vector<cv::Rect>& keep) {
  cv::Mat frame;
  grey.convertTo(frame, CV_32F);
  cv::GaussianBlur(frame, frame, {5, 5}, 0);
  masks_.recalibrated = false;
  if (short_.empty() || short_.size() != frame.size()) {
    short_ = frame.clone();
    long_ = frame.clone();
    previous_ = frame.clone();
    ghost_count_ = cv::Mat::zeros(frame.size(), CV_8U);
    noise_ = -1;
    masks_.foreground = cv::Mat::zeros(frame.size(), CV_8U);
    masks_.lasting = cv::Mat::zeros(frame.size(), CV_8U);
    masks_.changed = cv::Mat::zeros(frame.size(), CV_8U);
    return masks_;
  }

  std::vector<float> scratch;
  scratch.reserve(static_cast<size_t>(frame.total() / (kSampleStep * kSampleStep) + 1));
  // The noise level changes slowly; a frame where the whole picture changed (a jump of light)
  // says nothing about it.
  masks_.gain = GlobalGain(frame, short_, scratch);
  const double measured = TemporalNoise(frame, previous_ * masks_.gain, scratch);
  masks_.noise = noise_ < 0 ? measured : 0.9 * noise_ + 0.1 * std::min(measured, 2 * noise_ + 1);
  noise_ = masks_.noise;
  // Every frame, however small the change: a slow drift adds up, and L follows the scene too
  // slowly to catch up on its own.
  short_ *= masks_.gain;
  long_ *= masks_.gain;
  const double t = std::max(options_.min_threshold, options_.noise_factor * masks_.noise);
  masks_.threshold = t;

  const cv::Mat open_kernel = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::Mat foreground = OutsideNeighbourhood(frame, short_, t);
  ClearBorder(foreground);
  cv::morphologyEx(foreground, foreground, cv::MORPH_OPEN, open_kernel);
  masks_.foreground_fraction = static_cast<double>(cv::countNonZero(foreground)) / static_cast<double>(frame.total());
  // A large jump of light clips bright or dark parts of the picture, which no gain explains:
  // it recalibrates like a change over most of the frame.
  const bool jump = std::abs(std::log(masks_.gain)) > std::log(options_.recalibrate_gain);
  if (jump || masks_.foreground_fraction > options_.recalibrate_fraction) {
    Recalibrate(frame, keep);
    foreground.setTo(0);
    masks_.recalibrated = true;
  }

  // S follows the frame: quickly where it matches, slowly under foreground (absorbing what stops).
  cv::accumulateWeighted(frame, short_, Alpha(dt_s, options_.short_tau_s), ~foreground);
  cv::accumulateWeighted(frame, short_, Alpha(dt_s, options_.absorb_tau_s), foreground);

  // Lasting: the frame still shows something L has not, and S has it too, or it was foreground
  // or lasting a frame ago and has stopped moving (a thing of low contrast stops being
  // foreground before S differs enough from L: it must not vanish in between; rain and shake
  // flicker where nothing was a frame ago). Where the frame is back to L for a few frames, the
  // thing has gone: S is reset there so no ghost remains.
  const cv::Mat short_vs_long = OutsideNeighbourhood(short_, long_, t);
  const cv::Mat frame_vs_long = OutsideNeighbourhood(frame, long_, t);
  const cv::Mat held = masks_.foreground | masks_.lasting;
  cv::Mat lasting = frame_vs_long & (short_vs_long | (~foreground & held));
  ClearBorder(lasting);
  const cv::Mat ghost = short_vs_long & ~frame_vs_long;
  cv::add(ghost_count_, 1, ghost_count_, ghost);
  ghost_count_.setTo(0, ~ghost);
  const cv::Mat gone = ghost_count_ >= options_.ghost_frames;
  frame.copyTo(short_, gone);
  ghost_count_.setTo(0, gone);

  // L follows only what is neither foreground nor lasting.
  cv::accumulateWeighted(short_, long_, Alpha(dt_s, options_.long_tau_s), ~(foreground | short_vs_long | lasting));
  cv::morphologyEx(lasting, lasting, cv::MORPH_OPEN, open_kernel);

  masks_.foreground = foreground;
  masks_.lasting = lasting;
  masks_.changed = frame_vs_long | foreground;
  ClearBorder(masks_.changed);
  previous_ = frame;
  return masks_;
}

}  // namespace gb::edge::motion
