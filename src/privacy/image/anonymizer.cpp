#include "privacy/image/anonymizer.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <iterator>
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
#include "privacy/image/jpeg.h"

namespace gb {
namespace {

// In the order of Impl's *_xml members: frontal, frontal_alt, profile.
constexpr const char* kCascadeFiles[] = {"haarcascade_frontalface_default.xml",
                                         "haarcascade_frontalface_alt2.xml",
                                         "haarcascade_profileface.xml"};
constexpr const char* kDebianPackage = "opencv-data";

// The face cascades' training windows: default 24×24, alt2 and profile 20×20.
constexpr int kFaceWindow = 20;
// The HOG people detector's window is 64×128.
constexpr int kPersonWindowWidth = 64;
constexpr int kPersonWindowHeight = 128;
// Every box is enlarged by this fraction of its size (half on each side) before blurring:
// cascade boxes sit tight on the eyes and mouth and leave hair, ears and chin out.
constexpr double kGrow = 0.2;

// One set of detectors. OpenCV's CascadeClassifier keeps per-call scratch state, so a set is
// used by one thread at a time; the pool below hands them out.
struct Detectors {
  cv::CascadeClassifier frontal;
  cv::CascadeClassifier frontal_alt;
  cv::CascadeClassifier profile;
  cv::HOGDescriptor hog;
};

bool LoadCascade(const std::string& xml, cv::CascadeClassifier& out) {
  try {
    cv::FileStorage fs(xml, cv::FileStorage::READ | cv::FileStorage::MEMORY);
    if (!fs.isOpened()) return false;
    return out.read(fs.getFirstTopLevelNode()) && !out.empty();
  } catch (const cv::Exception&) {
    return false;
  }
}

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
  std::string cascade_dir;  // ends with '/'
  std::string frontal_xml, frontal_alt_xml, profile_xml;

  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<Detectors>> idle;  // guarded by mu

  // Builds a detector set from the cascades read at Create(). Unavailable, naming the file,
  // when a cascade does not parse (Create() finds that out before any Process()).
  Result<std::unique_ptr<Detectors>> NewDetectors() const {
    auto d = std::make_unique<Detectors>();
    const std::pair<const std::string*, cv::CascadeClassifier*> cascades[] = {
        {&frontal_xml, &d->frontal},
        {&frontal_alt_xml, &d->frontal_alt},
        {&profile_xml, &d->profile}};
    for (size_t i = 0; i < std::size(cascades); ++i) {
      if (!LoadCascade(*cascades[i].first, *cascades[i].second)) {
        return Status::Unavailable("face detector " + cascade_dir + kCascadeFiles[i] +
                                   " is not a valid OpenCV cascade; reinstall " + kDebianPackage);
      }
    }
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
    auto d = NewDetectors();  // outside the lock: parsing takes tens of milliseconds
    return Lease(this, d.ok() ? std::move(d).value() : nullptr);
  }

  Found Detect(Detectors& d, const cv::Mat& bgr) const;
};

Found Anonymizer::Impl::Detect(Detectors& d, const cv::Mat& bgr) const {
  const AnonymizerOptions& o = options;
  const int longest = std::max(bgr.cols, bgr.rows);
  // The detection copy: small enough that a face of min_face_px just fills the cascade
  // window, but never smaller than detect_long_side, and never upscaled.
  double s = std::max(static_cast<double>(kFaceWindow) / std::max(1, o.min_face_px),
                      static_cast<double>(o.detect_long_side) / longest);
  s = std::min(1.0, s);

  cv::Mat gray, small;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  if (s < 1.0) {
    cv::resize(gray, small, cv::Size(), s, s, cv::INTER_AREA);
  } else {
    small = gray;
  }
  Found out;
  std::vector<cv::Rect> found;
  if (small.cols >= kFaceWindow && small.rows >= kFaceWindow) {
    cv::Mat eq;
    cv::equalizeHist(small, eq);
    // Everything the cascades can see at this scale, down to their window.
    const cv::Size min_size(kFaceWindow, kFaceWindow);
    auto add_faces = [&](bool mirrored) {
      for (const cv::Rect& r : found) {
        cv::Rect q = r;
        if (mirrored) q.x = eq.cols - r.x - r.width;
        const cv::Rect box = ToFullImage(q, s, kGrow, bgr.size());
        if (!box.empty()) out.faces.push_back(box);
      }
      found.clear();
    };
    // Two frontal cascades: each finds faces the other misses.
    d.frontal.detectMultiScale(eq, found, o.scale_factor, o.min_neighbors, 0, min_size);
    add_faces(false);
    d.frontal_alt.detectMultiScale(eq, found, o.scale_factor, o.min_neighbors, 0, min_size);
    add_faces(false);
    if (o.profile_faces) {
      // The cascade knows faces turned one way; the mirror image covers the other.
      d.profile.detectMultiScale(eq, found, o.scale_factor, o.min_neighbors, 0, min_size);
      add_faces(false);
      cv::Mat mirrored;
      cv::flip(eq, mirrored, 1);
      d.profile.detectMultiScale(mirrored, found, o.scale_factor, o.min_neighbors, 0, min_size);
      add_faces(true);
    }
  }
  if (o.people) {
    // HOG works on its own copy (not equalised): people of min_person_px fill its window.
    const double sp = std::min(1.0, static_cast<double>(kPersonWindowHeight) / o.min_person_px);
    cv::Mat people_copy;
    if (sp == s) {
      people_copy = small;
    } else if (sp < 1.0) {
      cv::resize(gray, people_copy, cv::Size(), sp, sp, cv::INTER_AREA);
    } else {
      people_copy = gray;
    }
    if (people_copy.cols >= kPersonWindowWidth && people_copy.rows >= kPersonWindowHeight) {
      std::vector<double> weights;
      d.hog.detectMultiScale(people_copy, found, weights, 0.0, cv::Size(8, 8), cv::Size(0, 0), 1.1,
                             2.0);
      for (const cv::Rect& r : found) {
        const cv::Rect box = ToFullImage(r, sp, kGrow, bgr.size());
        if (!box.empty()) out.people.push_back(box);
      }
      found.clear();
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

Result<std::unique_ptr<Anonymizer>> Anonymizer::Create(std::string cascade_dir,
                                                       AnonymizerOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (options.min_face_px < 1 || options.min_person_px < 1 || options.detect_long_side < 0 ||
      options.scale_factor <= 1.0 || options.min_neighbors < 0 || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100) {
    return Status::Invalid("anonymizer options out of range");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!cascade_dir.empty() && cascade_dir.back() != '/') cascade_dir += '/';
  impl->cascade_dir = cascade_dir;
  std::string* xmls[] = {&impl->frontal_xml, &impl->frontal_alt_xml, &impl->profile_xml};
  for (size_t i = 0; i < std::size(xmls); ++i) {
    const std::string path = cascade_dir + kCascadeFiles[i];
    auto content = Env::Default()->ReadFile(path);
    if (!content.ok()) {
      return Status::Unavailable("face detector " + path +
                                 " is missing; install the Debian package " + kDebianPackage +
                                 " or point the anonymizer at its cascade directory");
    }
    *xmls[i] = std::move(content).value();
  }
  // The first detector set proves that every cascade parses; it seeds the pool.
  auto first = impl->NewDetectors();
  if (!first.ok()) return first.status();
  impl->idle.push_back(std::move(first).value());
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
      found = impl_->Detect(*lease.get(), image);
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
