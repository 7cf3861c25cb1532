// Face detection with MediaPipe BlazeFace (the short-range "front" model, as ONNX) through
// OpenCV DNN; internal to gb_anonymizer.
//
// The model is trained on 128×128 inputs and finds faces from about 16 px to the whole input.
// Small faces in a large photo therefore need the photo at a larger scale than 128 px, and
// the cheap way to get there is to run the network fully convolutionally: the same weights
// over one larger input, with no tiles, no tile overlap and no per-tile overhead (on this
// network OpenCV spends about 1.8 ms of one core per 128×128 of input that way, against
// 2.9 ms for separate 128×128 runs). The file as shipped ties its input to 128×128 in two
// places: the output reshapes, which MakeFullyConvolutional rewrites in the bytes, and the
// zero constants that widen the channels between blocks, which each network set up for
// another size gets in that size. Everything else is the original, and a test checks that the
// rewritten network gives the original's results at 128×128.
//
// Anchors (MediaPipe SSD options of this model): a 16×16 grid with 2 anchors per cell
// (stride 8) and an 8×8 grid with 6 anchors per cell (stride 16), all of unit size, so a box is
// the anchor centre plus the regressed offset, in input pixels; scores are logits. On an input
// of W×H the grids are (W/8)×(H/8) and (W/16)×(H/16).
#pragma once

#include <list>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gb::image {

// Input sides must be multiples of this (four stride-2 stages).
inline constexpr int kBlazeFaceStride = 16;
// The size the model was trained at.
inline constexpr int kBlazeFaceInput = 128;

// Rewrites the shape constants of the model's four output Reshape nodes from (1, N, k) to
// (1, -1, k), in place (same length), so that the outputs follow the input size. Invalid when
// the bytes are not an ONNX model with exactly those four Reshape shapes.
Result<std::string> MakeFullyConvolutional(std::string_view onnx);

// The model file, read and checked once; immutable, shared by every FaceDetector.
class FaceModel {
 public:
  // Unavailable when the file cannot be read; Invalid when it is not the BlazeFace model or
  // this OpenCV cannot run it at sizes other than 128×128 (checked by running it).
  static Result<std::shared_ptr<const FaceModel>> Load(const std::string& path);
  // The same, from the file's bytes (`path` only names it in messages).
  static Result<std::shared_ptr<const FaceModel>> FromBytes(std::string bytes,
                                                            const std::string& path);

  const std::string& original() const { return original_; }
  const std::string& fully_convolutional() const { return fully_convolutional_; }

 private:
  std::string original_, fully_convolutional_;
};

struct Face {
  cv::Rect2f box;  // in the pixels of the image given to Detect()
  float score = 0;
};

struct FaceDetectOptions {
  // Scale of the finest pass (the image is resized by it, never enlarged); a face of
  // 16 / fine_scale pixels becomes the smallest the model finds well.
  double fine_scale = 0.4;
  // Minimum score (probability) of a detection.
  float threshold = 0.4f;
};

// Runs the model over an image at a few scales and merges the detections. Not thread-safe
// (OpenCV's Net keeps per-run state): one detector per thread, as the anonymizer's pool does.
class FaceDetector {
 public:
  static Result<std::unique_ptr<FaceDetector>> Create(std::shared_ptr<const FaceModel> model);
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in an 8-bit BGR image, merged by WeightedNms. The passes: the whole image at
  // options.fine_scale, then at a quarter of that and so on while the image is larger than
  // 128 px, and last the whole image fitted into 128×128; every pass but the last keeps only
  // boxes up to 80 input px (larger faces are the next pass's). `fine` may hold the image
  // already resized by options.fine_scale (to share the resize with another detector).
  // Internal when the network's outputs do not have the expected shape.
  Result<std::vector<Face>> Detect(const cv::Mat& bgr, const FaceDetectOptions& options,
                                   const cv::Mat& fine = cv::Mat());

  // One forward pass over an 8-bit BGR input whose sides are multiples of kBlazeFaceStride,
  // detections above `threshold` in input pixels, not merged. Exposed for tests.
  Result<std::vector<Face>> RunOnce(const cv::Mat& input, float threshold);
  // The same through the model exactly as shipped (input must be 128×128).
  Result<std::vector<Face>> RunOriginal(const cv::Mat& input, float threshold);

 private:
  struct Sized;  // a network set up for one input size
  explicit FaceDetector(std::shared_ptr<const FaceModel> model);
  Result<Sized*> ForSize(cv::Size size);
  Result<std::vector<Face>> Run(Sized& net, const cv::Mat& input, float threshold);
  // Runs `image` (the original scaled by sx, sy) in chunks of at most 640 px per side and
  // adds the detections no larger than `max_face` input px (0: any), mapped to the original
  // image, to `out`.
  Status RunLevel(const cv::Mat& image, double sx, double sy, float threshold, float max_face,
                  std::vector<Face>& out);

  std::shared_ptr<const FaceModel> model_;
  std::unique_ptr<Sized> original_;            // 128×128, the file as shipped
  std::list<std::unique_ptr<Sized>> by_size_;  // most recently used first
};

// MediaPipe's "weighted" non-maximum suppression: detections overlapping the best remaining
// one by IoU ≥ `iou` are merged into their score-weighted mean, which keeps the best score.
std::vector<Face> WeightedNms(std::vector<Face> faces, float iou = 0.3f);

}  // namespace gb::image
