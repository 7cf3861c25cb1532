// MotionDetector: what changed in one camera's view, on a small grey copy of each analysed
// frame, with a short-term/long-term background pair.
//
// - The short-term background S follows the scene within seconds and absorbs whatever stops
//   moving; `foreground` is where the frame differs from S now (something moves or has just
//   arrived).
// - The long-term background L follows only what stays empty, so a thing that arrives and stays
//   (a parked car, a bag set down, a poster) is in S but not in L: that is `lasting`, for as
//   long as the frame still shows it. Where the frame returns to L (the thing left), S is reset
//   at once, so a departed object leaves no ghost.
//
// Robustness, each by design rather than by tuning per scene:
// - lighting drift and sudden global brightness changes: each frame's global gain against S is
//   measured (median ratio) and both backgrounds are scaled by it before comparing;
// - a change over most of the frame at once (headlights, a cloud shadow, a camera switching to
//   night mode), or a jump of the global gain (which clips bright or dark parts), recalibrates:
//   both backgrounds restart from the frame, except L inside the boxes the caller keeps (the
//   things it tracks: a stay must survive the change, and someone who has just stopped must
//   not become background);
// - shadows: a darkening that keeps the texture underneath (a steady ratio to S over a
//   neighbourhood) is not foreground;
// - noise (night, compression): the threshold follows the frame's measured temporal noise;
// - rain: isolated thin specks are removed by a morphological opening;
// - camera shake of a few pixels: a pixel is foreground only when it is outside the range of
//   the background over its 5×5 neighbourhood (±4 pixels of the analysis copy).
//
// Thread-safety: not thread-safe; one per camera. Masks returned by Update() are owned by the
// detector and valid until the next call.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace gb::edge::motion {

struct MotionOptions {
  // Time constant of S where the frame matches it (follows noise and slow light). Default: 1 s.
  double short_tau_s = 1.0;
  // Time constant of S under foreground: how soon a stopped object becomes part of S.
  // Default: 5 s.
  double absorb_tau_s = 5.0;
  // Time constant of L where nothing lasting is seen. Default: 60 s.
  double long_tau_s = 60.0;
  // Smallest difference in grey levels that counts, whatever the noise. Default: 14.
  double min_threshold = 14;
  // Threshold in multiples of the measured noise (sigma of the blurred copy). Default: 4.
  double noise_factor = 4;
  // Fraction of the frame in foreground at once that recalibrates. Default: 0.45.
  double recalibrate_fraction = 0.45;
  // A global change of light by more than this factor (either way) at once recalibrates too.
  // Default: 1.15.
  double recalibrate_gain = 1.15;
  // Consecutive frames a lasting pixel must match L before S is reset there. Default: 3.
  int ghost_frames = 3;
};

struct MotionMasks {
  cv::Mat foreground;  // CV_8U 0/255: differs from the short-term background now
  cv::Mat lasting;     // CV_8U 0/255: in view, in S, not in L (arrived and stayed)
  // CV_8U 0/255: the frame differs from L, or is foreground: something the empty scene does not
  // show is there, whether it moves, has just stopped or stays (no gap while S absorbs it).
  cv::Mat changed;
  double foreground_fraction = 0;  // of the frame, before recalibration
  double gain = 1;                 // frame / S, applied to both backgrounds this frame
  double noise = 0;                // sigma of the temporal noise, grey levels
  double threshold = 0;            // grey levels used this frame
  bool recalibrated = false;
};

class MotionDetector {
 public:
  explicit MotionDetector(MotionOptions options = {});

  // `grey`: CV_8U, the same size every call (the first call sets it). `dt_s`: seconds since
  // the previous call (> 0). `keep`: boxes (pixels of `grey`) of the things tracked, which a
  // recalibration must not forget.
  const MotionMasks& Update(const cv::Mat& grey, double dt_s, const std::vector<cv::Rect>& keep);

  // Takes what the latest frame shows inside `box` (pixels of the grey copy) into both
  // backgrounds: it is the empty scene (a change of light that stays, or a hole left by
  // something that was in view when the backgrounds began).
  void Absorb(const cv::Rect& box);

  // The masks of the latest Update().
  const MotionMasks& masks() const { return masks_; }
  // The backgrounds (CV_32F, blurred like the frames). Empty before the first Update().
  const cv::Mat& short_term() const { return short_; }
  const cv::Mat& long_term() const { return long_; }
  // The latest frame as compared (CV_32F, blurred).
  const cv::Mat& frame() const { return previous_; }

 private:
  void Recalibrate(const cv::Mat& frame, const std::vector<cv::Rect>& keep);

  MotionOptions options_;
  cv::Mat short_, long_, previous_;  // CV_32F
  cv::Mat ghost_count_;              // CV_8U
  double noise_ = -1;                // smoothed over frames; < 0 before the first measure
  MotionMasks masks_;
};

}  // namespace gb::edge::motion
