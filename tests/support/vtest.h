// Frames of vtest.avi (Debian package opencv-doc: pedestrians on a campus path, 768×576,
// 795 frames at 10 fps), read with OpenCV's videoio (FFmpeg), for the detector's and the
// anonymizer's tests and benchmarks:
//
//   VtestFrame        frame n (from 0)
//   VtestEmptyStreet  the same view without anyone in it: the per-pixel median of every 20th
//                     frame (people keep walking, so no one stays at a pixel for half of
//                     them); the parked van and car, the tripod and the boulder remain
//
// Both return an empty Mat when the video is missing or unreadable. Every call reads the file
// anew; callers that need the empty street often keep it. Thread-safe. Link gb_test_video.
#pragma once

#include <algorithm>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <vector>

namespace gb::testing {

inline constexpr const char* kVtestVideo = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
inline constexpr const char* kVtestPackage = "opencv-doc";

inline cv::Mat VtestFrame(int n) {
  cv::VideoCapture cap(kVtestVideo);
  cv::Mat frame;
  for (int i = 0; i <= n; ++i) {
    if (!cap.read(frame)) return {};
  }
  return frame;
}

inline cv::Mat VtestEmptyStreet() {
  cv::VideoCapture cap(kVtestVideo);
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  for (int i = 0; cap.read(frame); ++i) {
    if (i % 20 == 0) frames.push_back(frame.clone());
  }
  if (frames.empty()) return {};
  cv::Mat median(frames[0].size(), frames[0].type());
  std::vector<uint8_t> v(frames.size());
  const size_t n = median.total() * median.elemSize();
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < frames.size(); ++k) v[k] = frames[k].data[i];
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    median.data[i] = v[v.size() / 2];
  }
  return median;
}

}  // namespace gb::testing
