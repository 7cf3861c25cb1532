// OpenCV's HOG people detector at full resolution, as the privacy tests count the people
// left in an image: a second opinion, independent of the detector the anonymizer uses.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

namespace gb::testing {

inline std::vector<cv::Rect> HogPeople(const cv::Mat& bgr) {
  cv::HOGDescriptor hog;
  hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  std::vector<cv::Rect> found;
  std::vector<double> weights;
  hog.detectMultiScale(bgr, found, weights);
  return found;
}

}  // namespace gb::testing
