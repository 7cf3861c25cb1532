#include "privacy/image/blazeface.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <opencv2/imgproc.hpp>
#include <set>
#include <utility>

#include "core/env.h"
#include "vision/protobuf_wire.h"
#include "vision/resize.h"

namespace gb::image {
namespace {

// ONNX fields used here: ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5;
// NodeProto.input = 1, .op_type = 4; TensorProto.dims = 1, .data_type = 2, .name = 8,
// .raw_data = 9; INT64 = 7.

using protobuf::Field;
using protobuf::ForEachField;
using protobuf::ReadVarint;

int64_t LoadInt64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);  // little-endian
  return static_cast<int64_t>(v);
}

// ---------------------------------------------------------------------------------------------

// Finds the zero-filled constants the model concatenates to pad channels (one per BlazeBlock
// that widens its input); their spatial size is tied to the 128×128 input.
struct PadConstant {
  cv::Ptr<cv::dnn::Layer> layer;
  int channels = 0;
  int factor = 0;  // input side / constant side
};

Result<std::vector<PadConstant>> FindPadConstants(cv::dnn::Net& net) {
  std::vector<PadConstant> out;
  for (const cv::String& name : net.getLayerNames()) {
    cv::Ptr<cv::dnn::Layer> layer = net.getLayer(net.getLayerId(name));
    if (layer->type != "Const") continue;
    if (layer->blobs.size() != 1) return Status::Invalid("unexpected constant " + name);
    const cv::Mat& b = layer->blobs[0];
    if (b.dims != 4 || b.size[0] != 1 || b.size[2] != b.size[3] || b.size[2] <= 0 ||
        kBlazeFaceInput % b.size[2] != 0 || kBlazeFaceStride % (kBlazeFaceInput / b.size[2]) != 0 ||
        cv::countNonZero(b.reshape(1, 1)) != 0) {
      return Status::Invalid("unexpected constant " + name);
    }
    out.push_back({layer, b.size[1], kBlazeFaceInput / b.size[2]});
  }
  return out;
}

float Sigmoid(float logit) { return 1.0f / (1.0f + std::exp(-std::clamp(logit, -100.0f, 100.0f))); }

float Iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

// Copies `image` into the top-left corner of a black canvas of `size`.
cv::Mat OnCanvas(const cv::Mat& image, cv::Size size) {
  if (image.size() == size) return image;
  cv::Mat canvas(size, CV_8UC3, cv::Scalar::all(0));
  image.copyTo(canvas(cv::Rect(0, 0, image.cols, image.rows)));
  return canvas;
}

int RoundUp(int v, int m) { return (std::max(v, 1) + m - 1) / m * m; }

// A chunked pass keeps every side at most this long (bounded memory, few network sizes), with
// this much overlap, so that a face up to the overlap is whole in some chunk; larger faces are
// the next, coarser pass's.
constexpr int kMaxChunk = 640;
constexpr int kChunkOverlap = 80;
// Coarser passes step down by this factor: the model finds faces from 16 px to well over
// 4 × 16 px, so consecutive passes overlap in face size.
constexpr double kLevelStep = 4.0;
// Boxes larger than this (input px) are dropped from every pass but the last: such faces are
// the coarser passes' (where they are at least 80 / kLevelStep = 20 px), and at fine scales
// the model answers textures such as a distant crowd with large boxes of middling score.
constexpr float kMaxFineFace = 80.0f;
static_assert(kChunkOverlap >= kMaxFineFace, "a face a pass keeps must fit whole in a chunk");
// Networks kept per detector, one per input size (each size needs its own: setting a Net up
// for a new size costs about a hundred milliseconds). A 4:3 photo needs two, one for its fine
// pass and one for its last; the other orientation two more.
constexpr size_t kMaxSizedNets = 4;

// Chunk origins along one side of `len` (each chunk kMaxChunk long, the last flush with the end).
std::vector<int> ChunkStarts(int len) {
  if (len <= kMaxChunk) return {0};
  const int step = kMaxChunk - kChunkOverlap;
  const int n = (len - kChunkOverlap + step - 1) / step;
  std::vector<int> starts;
  for (int i = 0; i < n; ++i) starts.push_back(std::min(i * step, len - kMaxChunk));
  return starts;
}

}  // namespace

Result<std::string> MakeFullyConvolutional(std::string_view onnx) {
  std::string out(onnx);
  const std::string_view b(out);
  size_t graph_begin = 0, graph_end = 0;
  bool has_graph = false;
  if (!ForEachField(b, 0, b.size(),
                    [&](const Field& f) {
                      if (f.number == 7 && f.wire_type == 2) {
                        graph_begin = f.begin;
                        graph_end = f.end;
                        has_graph = true;
                      }
                      return true;
                    }) ||
      !has_graph) {
    return Status::Invalid("not an ONNX model");
  }
  // The second input of every Reshape node is its target shape.
  std::set<std::string, std::less<>> shapes;
  bool ok = ForEachField(b, graph_begin, graph_end, [&](const Field& g) {
    if (g.number != 1 || g.wire_type != 2) return true;
    std::vector<std::string_view> inputs;
    std::string_view op;
    const bool parsed = ForEachField(b, g.begin, g.end, [&](const Field& n) {
      if (n.wire_type != 2) return true;
      const std::string_view s = b.substr(n.begin, n.end - n.begin);
      if (n.number == 1) inputs.push_back(s);
      if (n.number == 4) op = s;
      return true;
    });
    if (parsed && op == "Reshape" && inputs.size() == 2) shapes.emplace(inputs[1]);
    return parsed;
  });
  if (!ok) return Status::Invalid("not an ONNX model");
  int patched = 0;
  ok = ForEachField(b, graph_begin, graph_end, [&](const Field& g) {
    if (g.number != 5 || g.wire_type != 2) return true;
    std::vector<uint64_t> dims;
    uint64_t data_type = 0;
    std::string_view name;
    size_t raw_begin = 0, raw_end = 0;
    const bool parsed = ForEachField(b, g.begin, g.end, [&](const Field& t) {
      if (t.number == 1 && t.wire_type == 0) dims.push_back(t.varint);
      if (t.number == 1 && t.wire_type == 2) {  // packed dims
        size_t p = t.begin;
        while (p < t.end) {
          uint64_t d = 0;
          if (!ReadVarint(b.substr(0, t.end), p, d)) return false;
          dims.push_back(d);
        }
      }
      if (t.number == 2 && t.wire_type == 0) data_type = t.varint;
      if (t.number == 8 && t.wire_type == 2) name = b.substr(t.begin, t.end - t.begin);
      if (t.number == 9 && t.wire_type == 2) {
        raw_begin = t.begin;
        raw_end = t.end;
      }
      return true;
    });
    if (!parsed) return false;
    if (shapes.count(name) == 0) return true;
    // (1, N, k) as three little-endian int64: N becomes -1, "whatever the input makes it".
    if (data_type != 7 || dims != std::vector<uint64_t>{3} || raw_end - raw_begin != 24)
      return true;
    const char* raw = out.data() + raw_begin;
    if (LoadInt64(raw) != 1 || LoadInt64(raw + 8) <= 0 || LoadInt64(raw + 16) <= 0) return true;
    std::memset(out.data() + raw_begin + 8, 0xFF, 8);
    ++patched;
    return true;
  });
  if (!ok) return Status::Invalid("not an ONNX model");
  if (shapes.size() != 4 || patched != 4) {
    return Status::Invalid("not the BlazeFace model: expected 4 output reshapes, found " +
                           std::to_string(shapes.size()) + " (" + std::to_string(patched) +
                           " of the expected form)");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

Result<std::shared_ptr<const FaceModel>> FaceModel::Load(const std::string& path) {
  auto bytes = Env::Default()->ReadFile(path);
  if (!bytes.ok()) return Status::Unavailable("cannot read " + path);
  return FromBytes(std::move(bytes).value(), path);
}

Result<std::shared_ptr<const FaceModel>> FaceModel::FromBytes(std::string bytes,
                                                              const std::string& path) {
  auto patched = MakeFullyConvolutional(bytes);
  if (!patched.ok()) return Status::Invalid(path + ": " + patched.status().message());
  auto model = std::make_shared<FaceModel>();
  model->original_ = std::move(bytes);
  model->fully_convolutional_ = std::move(patched).value();
  // Prove that this OpenCV runs it, as shipped and at another size, before anyone relies on it.
  auto detector = FaceDetector::Create(model);
  if (!detector.ok()) return Status::Invalid(path + ": " + detector.status().message());
  const cv::Mat gray128(kBlazeFaceInput, kBlazeFaceInput, CV_8UC3, cv::Scalar::all(128));
  const cv::Mat gray_other(3 * kBlazeFaceStride, 5 * kBlazeFaceStride, CV_8UC3,
                           cv::Scalar::all(128));
  for (Status s : {(*detector)->RunOriginal(gray128, 0.5f).status(),
                   (*detector)->RunOnce(gray_other, 0.5f).status()}) {
    if (!s.ok()) return Status::Invalid(path + ": " + s.message());
  }
  return std::shared_ptr<const FaceModel>(std::move(model));
}

// ---------------------------------------------------------------------------------------------

struct FaceDetector::Sized {
  cv::dnn::Net net;
  cv::Size size;
  std::vector<cv::String> outputs;
  cv::Mat rgb, tensor;  // reused from run to run
};

FaceDetector::FaceDetector(std::shared_ptr<const FaceModel> model) : model_(std::move(model)) {}
FaceDetector::~FaceDetector() = default;

Result<std::unique_ptr<FaceDetector>> FaceDetector::Create(std::shared_ptr<const FaceModel> model) {
  std::unique_ptr<FaceDetector> d(new FaceDetector(std::move(model)));
  try {
    auto original = std::make_unique<Sized>();
    const std::string& bytes = d->model_->original();
    original->net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    original->size = cv::Size(kBlazeFaceInput, kBlazeFaceInput);
    original->outputs = original->net.getUnconnectedOutLayersNames();
    d->original_ = std::move(original);
  } catch (const cv::Exception& e) {
    return Status::Invalid(std::string("OpenCV cannot load the model: ") + e.what());
  }
  return d;
}

Result<FaceDetector::Sized*> FaceDetector::ForSize(cv::Size size) {
  for (auto it = by_size_.begin(); it != by_size_.end(); ++it) {
    if ((*it)->size == size) {
      by_size_.splice(by_size_.begin(), by_size_, it);
      return by_size_.front().get();
    }
  }
  auto sized = std::make_unique<Sized>();
  try {
    const std::string& bytes = model_->fully_convolutional();
    sized->net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    auto pads = FindPadConstants(sized->net);
    if (!pads.ok()) return Status::Internal(pads.status().message());
    for (PadConstant& p : *pads) {
      p.layer->blobs[0] =
          cv::Mat(std::vector<int>{1, p.channels, size.height / p.factor, size.width / p.factor},
                  CV_32F, cv::Scalar::all(0));
    }
    sized->size = size;
    sized->outputs = sized->net.getUnconnectedOutLayersNames();
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("OpenCV cannot set the model up: ") + e.what());
  }
  by_size_.push_front(std::move(sized));
  if (by_size_.size() > kMaxSizedNets) by_size_.pop_back();
  return by_size_.front().get();
}

Result<std::vector<Face>> FaceDetector::Run(Sized& sized, const cv::Mat& input, float threshold) {
  const int w = input.cols, h = input.rows;
  if (input.type() != CV_8UC3 || input.size() != sized.size) {
    return Status::Internal("face detector input of the wrong size or type");
  }
  // NHWC float, RGB scaled to [-1, 1], as the model was trained.
  cv::cvtColor(input, sized.rgb, cv::COLOR_BGR2RGB);
  sized.rgb.convertTo(sized.tensor, CV_32F, 1.0 / 127.5, -1.0);
  const cv::Mat blob({1, h, w, 3}, CV_32F, sized.tensor.ptr<float>());
  std::vector<cv::Mat> outs;
  try {
    sized.net.setInput(blob);
    sized.net.forward(outs, sized.outputs);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("face detector failed: ") + e.what());
  }
  // The two anchor grids, told apart by their anchor counts.
  struct Grid {
    int stride, per_cell;
    const cv::Mat* scores = nullptr;
    const cv::Mat* boxes = nullptr;
  } grids[] = {{8, 2}, {16, 6}};
  for (Grid& g : grids) {
    const int anchors = (w / g.stride) * (h / g.stride) * g.per_cell;
    for (const cv::Mat& o : outs) {
      if (o.dims != 3 || o.size[0] != 1 || o.size[1] != anchors || o.type() != CV_32F ||
          !o.isContinuous()) {
        continue;
      }
      if (o.size[2] == 1) g.scores = &o;
      if (o.size[2] == 16) g.boxes = &o;
    }
    if (g.scores == nullptr || g.boxes == nullptr || outs.size() != 4) {
      return Status::Internal("face detector outputs have an unexpected shape");
    }
  }
  const float logit = std::log(threshold / (1.0f - threshold));
  std::vector<Face> faces;
  for (const Grid& g : grids) {
    const int cols = w / g.stride, rows = h / g.stride;
    const float* scores = g.scores->ptr<float>();
    const float* boxes = g.boxes->ptr<float>();
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) {
        for (int a = 0; a < g.per_cell; ++a) {
          const int i = (y * cols + x) * g.per_cell + a;
          if (!(scores[i] >= logit)) continue;  // also skips NaN
          // Offsets of the box centre from the anchor centre, then width and height (then six
          // key points, unused here), all in input pixels.
          const float* r = boxes + static_cast<size_t>(i) * 16;
          const float cx = (x + 0.5f) * g.stride + r[0], cy = (y + 0.5f) * g.stride + r[1];
          const float bw = r[2], bh = r[3];
          // A face box is never larger than a few inputs (NaN fails every comparison).
          const float limit = 4.0f * static_cast<float>(std::max(w, h));
          if (!(bw > 0 && bh > 0 && bw < limit && bh < limit && std::abs(cx) < limit &&
                std::abs(cy) < limit)) {
            continue;
          }
          faces.push_back({cv::Rect2f(cx - bw / 2, cy - bh / 2, bw, bh), Sigmoid(scores[i])});
        }
      }
    }
  }
  return faces;
}

Result<std::vector<Face>> FaceDetector::RunOnce(const cv::Mat& input, float threshold) {
  if (input.cols % kBlazeFaceStride != 0 || input.rows % kBlazeFaceStride != 0 || input.empty()) {
    return Status::Internal("face detector input sides must be multiples of 16");
  }
  auto sized = ForSize(input.size());
  if (!sized.ok()) return sized.status();
  return Run(**sized, input, threshold);
}

Result<std::vector<Face>> FaceDetector::RunOriginal(const cv::Mat& input, float threshold) {
  return Run(*original_, input, threshold);
}

Status FaceDetector::RunLevel(const cv::Mat& image, double sx, double sy, float threshold,
                              float max_face, std::vector<Face>& out) {
  const int w = RoundUp(image.cols, kBlazeFaceStride), h = RoundUp(image.rows, kBlazeFaceStride);
  for (int y0 : ChunkStarts(h)) {
    for (int x0 : ChunkStarts(w)) {
      const cv::Size size(std::min(w, kMaxChunk), std::min(h, kMaxChunk));
      const cv::Rect in_image =
          cv::Rect(x0, y0, size.width, size.height) & cv::Rect(0, 0, image.cols, image.rows);
      const cv::Mat input = OnCanvas(image(in_image), size);
      auto faces = RunOnce(input, threshold);
      if (!faces.ok()) return faces.status();
      for (Face f : *faces) {
        if (max_face > 0 && std::max(f.box.width, f.box.height) > max_face) continue;
        f.box = cv::Rect2f(
            static_cast<float>((f.box.x + x0) / sx), static_cast<float>((f.box.y + y0) / sy),
            static_cast<float>(f.box.width / sx), static_cast<float>(f.box.height / sy));
        out.push_back(f);
      }
    }
  }
  return Status::Ok();
}

Result<std::vector<Face>> FaceDetector::Detect(const cv::Mat& bgr, const FaceDetectOptions& options,
                                               const cv::Mat& fine) {
  std::vector<Face> found;
  if (bgr.empty()) return found;
  const int longest = std::max(bgr.cols, bgr.rows);
  // Passes from the finest scale down by kLevelStep, each over the whole image; the last one
  // fits the image into the model's own 128×128 (enlarging a smaller image), which covers
  // every face larger than the earlier passes do. Each pass resizes the previous one's copy.
  cv::Mat previous = bgr;
  double s = std::min(1.0, options.fine_scale);
  for (bool first = true;; first = false) {
    const bool last = longest * s <= kBlazeFaceInput;
    if (last) s = static_cast<double>(kBlazeFaceInput) / longest;
    const cv::Size size(std::clamp(static_cast<int>(std::lround(bgr.cols * s)), 1,
                                   std::max(bgr.cols, kBlazeFaceInput)),
                        std::clamp(static_cast<int>(std::lround(bgr.rows * s)), 1,
                                   std::max(bgr.rows, kBlazeFaceInput)));
    cv::Mat scaled;
    if (first && !last && fine.size() == size) {
      scaled = fine;
    } else {
      scaled = vision::ResizeForDetection(previous, size);
    }
    GB_RETURN_IF_ERROR(RunLevel(scaled, static_cast<double>(size.width) / bgr.cols,
                                static_cast<double>(size.height) / bgr.rows, options.threshold,
                                last ? 0.0f : kMaxFineFace, found));
    if (last) break;
    previous = scaled;
    s /= kLevelStep;
  }
  return WeightedNms(std::move(found));
}

std::vector<Face> WeightedNms(std::vector<Face> faces, float iou) {
  std::stable_sort(faces.begin(), faces.end(),
                   [](const Face& a, const Face& b) { return a.score > b.score; });
  std::vector<Face> out;
  std::vector<bool> used(faces.size(), false);
  for (size_t i = 0; i < faces.size(); ++i) {
    if (used[i]) continue;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0, total = 0;
    for (size_t j = i; j < faces.size(); ++j) {
      if (used[j] || (j != i && Iou(faces[i].box, faces[j].box) < iou)) continue;
      used[j] = true;
      const cv::Rect2f& b = faces[j].box;
      const double wgt = faces[j].score;
      x0 += wgt * b.x;
      y0 += wgt * b.y;
      x1 += wgt * (b.x + b.width);
      y1 += wgt * (b.y + b.height);
      total += wgt;
    }
    if (total <= 0) continue;
    out.push_back(
        {cv::Rect2f(static_cast<float>(x0 / total), static_cast<float>(y0 / total),
                    static_cast<float>((x1 - x0) / total), static_cast<float>((y1 - y0) / total)),
         faces[i].score});
  }
  return out;
}

}  // namespace gb::image
