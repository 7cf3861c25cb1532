#include "edge/rules/zone.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace gb::edge::rules {

std::pair<double, double> DefaultAreaLimits(RuleKind rule) {
  switch (rule) {
    case RuleKind::kStationaryVehicle: return {0.003, 0.5};  // a car far off … a bus close by
    case RuleKind::kDumpedObject: return {0.0004, 0.08};      // a bag … a sofa
    case RuleKind::kPoster: return {0.0004, 0.2};             // a flyer … a billboard sheet
    case RuleKind::kCrowding: return {0.0002, 0.25};          // a person far off … close by
    case RuleKind::kNoHelmet: return {0.001, 0.5};            // a worker
  }
  return {0, 1};
}

Zone::Zone(const ZoneConfig& config, cv::Size frame)
    : config_(&config), frame_area_(static_cast<double>(frame.area())) {
  for (const auto& [x, y] : config.polygon) {
    polygon_.emplace_back(static_cast<int>(std::lround(x * frame.width)), static_cast<int>(std::lround(y * frame.height)));
  }
  bounds_ = cv::boundingRect(polygon_) & cv::Rect(0, 0, frame.width, frame.height);
}

bool Zone::Contains(cv::Point2f p) const { return cv::pointPolygonTest(polygon_, p, false) >= 0; }

bool Zone::AreaFits(const cv::Rect& box) const {
  const double a = box.area() / frame_area_;
  return a >= config_->min_area && a <= config_->max_area;
}

bool Zone::Holds(const cv::Rect& box) const {
  return AreaFits(box) && Contains({box.x + box.width / 2.0f, static_cast<float>(box.y + box.height)});
}

}  // namespace gb::edge::rules
