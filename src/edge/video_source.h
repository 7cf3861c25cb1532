// VideoSource: the frames of one camera's source, decoded by FFmpeg through OpenCV's videoio,
// each with its media time. Every frame is decoded (Grab), so a file gives the same frames
// and times on every run; only the frames picked for analysis are converted to pixels
// (Retrieve), which is where decoding is cheap to skip.
//
// Thread-safety: one VideoSource per camera thread; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace gb::edge {

struct VideoSourceOptions {
  // Streams: how long opening and each read may block before the source counts as down.
  std::chrono::milliseconds open_timeout{10'000};
  std::chrono::milliseconds read_timeout{5'000};
};

class VideoSource {
 public:
  // Unavailable (with the reason FFmpeg gives, where it gives one) when the source cannot be
  // opened or has no video.
  static Result<std::unique_ptr<VideoSource>> Open(const std::string& source, const VideoSourceOptions& options = {});
  ~VideoSource();
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  // Decodes the next frame. False at the end of a file or when a stream breaks.
  bool Grab();
  // Time of the grabbed frame since the first frame, in ms: the container's timestamps, or
  // the frame's number over the nominal frame rate when they are missing or go backwards.
  std::int64_t media_ms() const { return media_ms_; }
  // The grabbed frame as BGR pixels (REQUIRES: the last Grab() returned true).
  bool Retrieve(cv::Mat& bgr);
  // Frames per second the container declares (0 when unknown).
  double nominal_fps() const { return fps_; }

 private:
  VideoSource() = default;
  struct Capture;
  std::unique_ptr<Capture> capture_;
  double fps_ = 0;
  std::int64_t frames_ = 0;
  std::int64_t first_pts_ms_ = -1;
  std::int64_t media_ms_ = -1;
};

}  // namespace gb::edge
