// Zone: a configured zone in analysis pixels. An object is in a zone when the bottom centre of
// its box is inside the polygon; its box must fit the zone's area limits (box area over frame
// area).
//
// Thread-safety: immutable after construction.
#pragma once

#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "edge/config.h"

namespace gb::edge::rules {

// The area limits a zone of `rule` gets when its configuration names none: the sizes of what
// that rule watches, seen by a street camera (fractions of the frame area).
std::pair<double, double> DefaultAreaLimits(RuleKind rule);

class Zone {
 public:
  // REQUIRES: config.polygon has ≥ 3 points in 0..1; `config` outlives the Zone.
  Zone(const ZoneConfig& config, cv::Size frame);

  const ZoneConfig& config() const { return *config_; }
  bool Contains(cv::Point2f p) const;
  // The box's bottom centre is inside and its area fits min_area..max_area.
  bool Holds(const cv::Rect& box) const;
  bool AreaFits(const cv::Rect& box) const;
  const cv::Rect& bounds() const { return bounds_; }  // of the polygon, analysis pixels
  const std::vector<cv::Point>& polygon() const { return polygon_; }

 private:
  const ZoneConfig* config_;
  std::vector<cv::Point> polygon_;
  cv::Rect bounds_;
  double frame_area_;
};

}  // namespace gb::edge::rules
