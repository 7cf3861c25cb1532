// NoHelmetModel: a deployment's own ONNX detector for the no_helmet rule, run by OpenCV DNN on
// the people in a zone. No such model ships with Glassbrain; a zone that asks for one without a
// usable file cannot be created.
//
// The file is a YOLO-style detector export: one input, a square 3-channel RGB image scaled to
// 0..1 (input_size × input_size, 640 unless the file says otherwise), one output of boxes with
// class scores, either [1, N, 5 + C] (centre x, centre y, width, height, objectness, C class
// scores) or [1, 4 + C, N] (no objectness), in input pixels. Its class names, one per line, are
// in `classes`; they must include `helmet` and `head`.
//
// Thread-safety: not thread-safe (OpenCV's Net is not); one per zone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "edge/rules/rule.h"

namespace gb::edge {

struct HeadsFound {
  std::vector<cv::Rect> bare;     // heads without a helmet over them, pixels of the image
  std::vector<cv::Rect> helmets;  // helmets
};

class NoHelmetModel {
 public:
  // Invalid, naming the problem, when `model` is empty, unreadable or not a network OpenCV can
  // run, or when `classes` is missing or lacks helmet or head.
  static Result<std::unique_ptr<NoHelmetModel>> Load(const std::string& model, const std::string& classes);
  virtual ~NoHelmetModel() = default;

  // Heads and helmets in `bgr` (e.g. a crop around one person).
  virtual HeadsFound Find(const cv::Mat& bgr) = 0;
};

// The no_helmet rule of `zone`: a person in the zone whose head the model sees bare, in every
// look for min_s, fires once per person.
std::unique_ptr<rules::Rule> MakeNoHelmetRule(const rules::Zone& zone, std::unique_ptr<NoHelmetModel> model);

}  // namespace gb::edge
