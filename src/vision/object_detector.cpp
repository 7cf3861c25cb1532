#include "vision/object_detector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "core/env.h"
#include "vision/protobuf_wire.h"
#include "vision/resize.h"
#include "vision/ssd_output.h"

namespace gb::vision {
namespace {

// What makes the model (models/README.md).
constexpr const char* kBuildStep =
    "`npm ci --prefix models`, then the build (scripts/build.sh), whose tfjs_to_graphdef step writes it";
constexpr const char* kOffsetsNode = "concat";
constexpr const char* kScoresNode = "Postprocessor/convert_scores";
constexpr const char* kAnchorsNode = "Postprocessor/ExpandDims";

// Score columns are COCO ids.
struct ClassColumn {
  ObjectClass cls;
  int column;
};
constexpr ClassColumn kClassColumns[] = {
    {ObjectClass::kPerson, 1}, {ObjectClass::kBicycle, 2},   {ObjectClass::kCar, 3},
    {ObjectClass::kMotorcycle, 4}, {ObjectClass::kBus, 6},   {ObjectClass::kTruck, 8},
    {ObjectClass::kBackpack, 27},  {ObjectClass::kHandbag, 31}, {ObjectClass::kSuitcase, 33},
};

// Non-maximum suppression within one run: the model's own post-processing setting.
constexpr float kRunIou = 0.6f;
// A box edge this close to its crop's edge (fraction of the crop) counts as touching it.
constexpr float kEdgeMargin = 0.01f;

// DetectIn's crops: a square of the region's longer side plus this much of it on each side.
constexpr double kContext = 0.5;
constexpr int kMinCrop = 96;
constexpr int kMaxCrop = 600;
// Tiles overlap by this fraction of their side.
constexpr double kTileOverlap = 0.25;
// A crop this much inside another (of its area) is not run, if the other is at most this
// many times larger (on a side), so that small objects are still seen at a fine scale.
constexpr double kContainedArea = 0.9;
constexpr double kSimilarScale = 2.0;
// DetectTiled: objects at least this many input pixels tall are found reliably.
constexpr double kReliableInputPx = 24;

// GraphDef fields (tensorflow/core/framework/*.proto): GraphDef.node = 1; NodeDef.name = 1,
// .attr = 5 (map entry key = 1, value = 2); AttrValue.tensor = 8; TensorProto.dtype = 1,
// .tensor_content = 4; DT_FLOAT = 1.
Result<std::vector<ssd::Anchor>> ReadAnchors(std::string_view pb) {
  using protobuf::Field;
  using protobuf::ForEachField;
  using protobuf::Payload;
  std::string_view content;
  bool found = false;
  const bool parsed = ForEachField(pb, 0, pb.size(), [&](const Field& node) {
    if (node.number != 1 || node.wire_type != protobuf::kLengthDelimited) return true;
    std::string_view name;
    Field value_attr;
    bool has_value = false;
    const bool ok = ForEachField(pb, node.begin, node.end, [&](const Field& f) {
      if (f.number == 1 && f.wire_type == protobuf::kLengthDelimited) name = Payload(pb, f);
      if (f.number == 5 && f.wire_type == protobuf::kLengthDelimited) {
        std::string_view key;
        Field value;
        ForEachField(pb, f.begin, f.end, [&](const Field& e) {
          if (e.number == 1 && e.wire_type == protobuf::kLengthDelimited) key = Payload(pb, e);
          if (e.number == 2 && e.wire_type == protobuf::kLengthDelimited) value = e;
          return true;
        });
        if (key == "value") {
          value_attr = value;
          has_value = true;
        }
      }
      return true;
    });
    if (!ok) return false;
    if (name != kAnchorsNode || !has_value) return true;
    uint64_t dtype = 0;
    ForEachField(pb, value_attr.begin, value_attr.end, [&](const Field& a) {
      if (a.number == 8 && a.wire_type == protobuf::kLengthDelimited) {
        ForEachField(pb, a.begin, a.end, [&](const Field& t) {
          if (t.number == 1 && t.wire_type == protobuf::kVarint) dtype = t.varint;
          if (t.number == 4 && t.wire_type == protobuf::kLengthDelimited) content = Payload(pb, t);
          return true;
        });
      }
      return true;
    });
    found = dtype == 1;
    return false;  // stop: found the node
  });
  if (!found) {
    return Status::Invalid(parsed ? std::string("no float constant ") + kAnchorsNode + " (the anchors)"
                                  : "not a TensorFlow GraphDef");
  }
  if (content.size() != static_cast<size_t>(ssd::kAnchors) * 4 * sizeof(float)) {
    return Status::Invalid(std::string(kAnchorsNode) + " holds " + std::to_string(content.size()) +
                           " bytes, not " + std::to_string(ssd::kAnchors) + " anchors");
  }
  std::vector<ssd::Anchor> anchors(ssd::kAnchors);
  std::memcpy(anchors.data(), content.data(), content.size());
  return anchors;
}

// A square of `side` centred on `centre`, moved inside `image` (clipped when the image is
// smaller).
cv::Rect SquareInside(cv::Point2d centre, int side, cv::Size image) {
  const int w = std::min(side, image.width), h = std::min(side, image.height);
  const int x = std::clamp(static_cast<int>(std::lround(centre.x - w / 2.0)), 0, image.width - w);
  const int y = std::clamp(static_cast<int>(std::lround(centre.y - h / 2.0)), 0, image.height - h);
  return {x, y, w, h};
}

// Overlapping squares of `side` covering `area` (inside the image), flush with its ends.
std::vector<cv::Rect> Tiles(const cv::Rect& area, int side, cv::Size image) {
  auto starts = [&](int begin, int len) {
    std::vector<int> s;
    if (len <= side) return std::vector<int>{begin + (len - side) / 2};
    const int step = std::max(1, static_cast<int>(side * (1.0 - kTileOverlap)));
    const int n = 1 + (len - side + step - 1) / step;
    for (int i = 0; i < n; ++i) s.push_back(begin + static_cast<int>(std::lround(static_cast<double>(len - side) * i / (n - 1))));
    return s;
  };
  std::vector<cv::Rect> out;
  for (int y : starts(area.y, area.height)) {
    for (int x : starts(area.x, area.width)) {
      out.push_back(SquareInside({x + side / 2.0, y + side / 2.0}, side, image));
    }
  }
  return out;
}

class SsdDetector final : public ObjectDetector {
 public:
  SsdDetector(cv::dnn::Net net, std::vector<ssd::Anchor> anchors, DetectorOptions options)
      : net_(std::move(net)), anchors_(std::move(anchors)), options_(std::move(options)) {
    for (const ClassColumn& c : kClassColumns) columns_.push_back(c.column);
  }

  // One run over `crop` of `bgr`; detections in image pixels.
  void Run(const cv::Mat& bgr, const cv::Rect& crop, int run, std::vector<ssd::Found>& out) {
    const cv::Mat resized = ResizeForDetection(bgr(crop), cv::Size(ssd::kInputSide, ssd::kInputSide));
    // RGB, (x − 127.5) / 127.5, as the model was trained.
    cv::dnn::blobFromImage(resized, blob_, 1.0 / 127.5, cv::Size(), cv::Scalar::all(127.5), true, false, CV_32F);
    net_.setInput(blob_);
    net_.forward(outputs_, output_names_);
    const cv::Mat& offsets = outputs_[0];
    const cv::Mat& scores = outputs_[1];
    if (offsets.total() != static_cast<size_t>(ssd::kAnchors) * 4 ||
        scores.total() != static_cast<size_t>(ssd::kAnchors) * ssd::kColumns || !offsets.isContinuous() ||
        !scores.isContinuous() || offsets.type() != CV_32F || scores.type() != CV_32F) {
      throw std::runtime_error("object detector outputs have an unexpected shape");
    }
    const bool inner[4] = {crop.x > 0, crop.y > 0, crop.br().x < bgr.cols, crop.br().y < bgr.rows};
    for (const ssd::Candidate& c : ssd::Decode(offsets.ptr<float>(), scores.ptr<float>(), anchors_, columns_,
                                               options_.min_score, kRunIou)) {
      const cv::Rect2f b = c.box & cv::Rect2f(0, 0, 1, 1);
      if (b.empty()) continue;
      const bool cut = (inner[0] && b.x <= kEdgeMargin) || (inner[1] && b.y <= kEdgeMargin) ||
                       (inner[2] && b.x + b.width >= 1 - kEdgeMargin) ||
                       (inner[3] && b.y + b.height >= 1 - kEdgeMargin);
      out.push_back({cv::Rect2f(crop.x + b.x * crop.width, crop.y + b.y * crop.height, b.width * crop.width,
                                b.height * crop.height),
                     c.column, c.score, cut, run});
    }
  }

  std::vector<Detection> RunAll(const cv::Mat& bgr, const std::vector<cv::Rect>& crops) {
    std::vector<Detection> out;
    if (bgr.empty()) return out;
    CV_Assert(bgr.type() == CV_8UC3);
    std::vector<ssd::Found> found;
    for (size_t i = 0; i < crops.size(); ++i) Run(bgr, crops[i], static_cast<int>(i), found);
    for (const ssd::Found& f : ssd::Merge(std::move(found))) {
      const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(std::floor(f.box.x)), static_cast<int>(std::floor(f.box.y))),
                                    cv::Point(static_cast<int>(std::ceil(f.box.x + f.box.width)),
                                              static_cast<int>(std::ceil(f.box.y + f.box.height)))) &
                           cv::Rect(0, 0, bgr.cols, bgr.rows);
      if (box.empty()) continue;
      for (const ClassColumn& c : kClassColumns) {
        if (c.column == f.column) out.push_back({box, c.cls, f.score});
      }
    }
    return out;
  }

  std::vector<Detection> Detect(const cv::Mat& bgr) override {
    return RunAll(bgr, {cv::Rect(0, 0, bgr.cols, bgr.rows)});
  }

  std::vector<Detection> DetectIn(const cv::Mat& bgr, const std::vector<cv::Rect>& regions) override {
    const cv::Size size = bgr.size();
    std::vector<cv::Rect> crops;
    for (const cv::Rect& region : regions) {
      const cv::Rect r = region & cv::Rect(0, 0, size.width, size.height);
      if (r.empty()) continue;
      const double longer = std::max(r.width, r.height);
      const int side = std::max(kMinCrop, static_cast<int>(std::lround(longer * (1 + 2 * kContext))));
      const cv::Point2d centre(r.x + r.width / 2.0, r.y + r.height / 2.0);
      if (side <= kMaxCrop) {
        crops.push_back(SquareInside(centre, side, size));
      } else {
        const int margin = static_cast<int>(std::lround(longer * kContext));
        const cv::Rect area = cv::Rect(r.x - margin, r.y - margin, r.width + 2 * margin, r.height + 2 * margin) &
                              cv::Rect(0, 0, size.width, size.height);
        for (const cv::Rect& t : Tiles(area, kMaxCrop, size)) crops.push_back(t);
      }
    }
    // Larger crops first, so that a crop is dropped only for one already kept.
    std::stable_sort(crops.begin(), crops.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
    std::vector<cv::Rect> kept;
    for (const cv::Rect& c : crops) {
      const bool inside = std::any_of(kept.begin(), kept.end(), [&](const cv::Rect& k) {
        return (c & k).area() >= kContainedArea * c.area() && k.width <= kSimilarScale * c.width &&
               k.height <= kSimilarScale * c.height;
      });
      if (!inside) kept.push_back(c);
    }
    return RunAll(bgr, kept);
  }

  std::vector<Detection> DetectTiled(const cv::Mat& bgr, int min_height) override {
    std::vector<cv::Rect> crops = {cv::Rect(0, 0, bgr.cols, bgr.rows)};
    if (min_height > 0 && !bgr.empty()) {
      // In the whole-image run an object of min_height spans min_height · 300 / rows input px.
      const double whole_px = static_cast<double>(min_height) * ssd::kInputSide / bgr.rows;
      if (whole_px < kReliableInputPx) {
        const int side = std::max(kMinCrop, static_cast<int>(std::lround(min_height * ssd::kInputSide / kReliableInputPx)));
        if (side < std::max(bgr.cols, bgr.rows)) {
          for (const cv::Rect& t : Tiles(cv::Rect(0, 0, bgr.cols, bgr.rows), side, bgr.size())) crops.push_back(t);
        }
      }
    }
    return RunAll(bgr, crops);
  }

  cv::dnn::Net net_;
  std::vector<ssd::Anchor> anchors_;
  DetectorOptions options_;
  std::vector<int> columns_;
  std::vector<cv::String> output_names_ = {kOffsetsNode, kScoresNode};
  cv::Mat blob_;
  std::vector<cv::Mat> outputs_;
};

}  // namespace

std::string_view ObjectClassName(ObjectClass c) {
  switch (c) {
    case ObjectClass::kPerson:
      return "person";
    case ObjectClass::kBicycle:
      return "bicycle";
    case ObjectClass::kCar:
      return "car";
    case ObjectClass::kMotorcycle:
      return "motorcycle";
    case ObjectClass::kBus:
      return "bus";
    case ObjectClass::kTruck:
      return "truck";
    case ObjectClass::kBackpack:
      return "backpack";
    case ObjectClass::kHandbag:
      return "handbag";
    case ObjectClass::kSuitcase:
      return "suitcase";
  }
  return "object";
}

bool IsVehicle(ObjectClass c) {
  return c == ObjectClass::kCar || c == ObjectClass::kMotorcycle || c == ObjectClass::kBus || c == ObjectClass::kTruck;
}

Result<std::unique_ptr<ObjectDetector>> ObjectDetector::Create(DetectorOptions options) {
  if (!(options.min_score > 0.0f && options.min_score < 1.0f) || options.model.empty()) {
    return Status::Invalid("object detector options out of range");
  }
  const std::string& path = options.model;
  auto unusable = [&](const std::string& why) {
    return Status::Unavailable("object detector model " + path + " is not the expected network (" + why +
                               "); rebuild it: " + kBuildStep);
  };
  if (!Env::Default()->FileExists(path)) {
    return Status::Unavailable("object detector model " + path + " is missing; it is made by " + kBuildStep);
  }
  auto bytes = Env::Default()->ReadFile(path);
  if (!bytes.ok()) return Status::Unavailable("cannot read object detector model " + path);
  auto anchors = ReadAnchors(*bytes);
  if (!anchors.ok()) return unusable(anchors.status().message());
  try {
    cv::dnn::Net net = cv::dnn::readNetFromTensorflow(bytes->data(), bytes->size());
    if (net.empty() || net.getLayerId(kOffsetsNode) < 0 || net.getLayerId(kScoresNode) < 0) {
      return unusable(std::string("no ") + kOffsetsNode + " or " + kScoresNode + " output");
    }
    auto detector = std::make_unique<SsdDetector>(std::move(net), std::move(anchors).value(), std::move(options));
    // One run on a grey picture proves the outputs have the shapes decoding expects.
    const cv::Mat grey(ssd::kInputSide, ssd::kInputSide, CV_8UC3, cv::Scalar::all(128));
    std::vector<ssd::Found> found;
    detector->Run(grey, cv::Rect(0, 0, grey.cols, grey.rows), 0, found);
    return std::unique_ptr<ObjectDetector>(std::move(detector));
  } catch (const cv::Exception& e) {
    return unusable(std::string("OpenCV: ") + e.err);
  } catch (const std::runtime_error& e) {
    return unusable(e.what());
  }
}

}  // namespace gb::vision
