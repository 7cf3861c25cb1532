#include "edge/video_source.h"

#include <opencv2/videoio.hpp>

#include <cmath>

namespace gb::edge {

struct VideoSource::Capture {
  cv::VideoCapture cap;
};

VideoSource::~VideoSource() = default;

Result<std::unique_ptr<VideoSource>> VideoSource::Open(const std::string& source, const VideoSourceOptions& options) {
  std::unique_ptr<VideoSource> v(new VideoSource());
  v->capture_ = std::make_unique<Capture>();
  const std::vector<int> params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, static_cast<int>(options.open_timeout.count()),
                                   cv::CAP_PROP_READ_TIMEOUT_MSEC, static_cast<int>(options.read_timeout.count())};
  bool opened = false;
  try {
    opened = v->capture_->cap.open(source, cv::CAP_FFMPEG, params);
  } catch (const cv::Exception& e) {
    return Status::Unavailable("cannot open video " + source + ": " + e.what());
  }
  if (!opened) return Status::Unavailable("cannot open video " + source + " (FFmpeg found no readable video in it)");
  double fps = v->capture_->cap.get(cv::CAP_PROP_FPS);
  v->fps_ = std::isfinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
  return v;
}

bool VideoSource::Grab() {
  bool ok = false;
  try {
    ok = capture_->cap.grab();
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok) return false;
  double pts = capture_->cap.get(cv::CAP_PROP_POS_MSEC);
  std::int64_t t;
  if (std::isfinite(pts) && pts >= 0) {
    if (first_pts_ms_ < 0) first_pts_ms_ = std::llround(pts);
    t = std::llround(pts) - first_pts_ms_;
  } else {
    t = std::llround(static_cast<double>(frames_) * 1000.0 / (fps_ > 0 ? fps_ : 25));
  }
  if (frames_ > 0 && t <= media_ms_) t = media_ms_ + 1;  // a repeated or backward timestamp
  media_ms_ = t;
  ++frames_;
  return true;
}

bool VideoSource::Retrieve(cv::Mat& bgr) {
  try {
    return capture_->cap.retrieve(bgr) && !bgr.empty();
  } catch (const cv::Exception&) {
    return false;
  }
}

}  // namespace gb::edge
