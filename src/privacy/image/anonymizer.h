// Anonymizer: the only way an image becomes storable. It turns untrusted JPEG bytes (a
// resident's photo, camera evidence) into a fresh JPEG in which every face and every person
// box the detectors found is blurred beyond recognition and no metadata survives.
//
// Process() does, in order:
//   1. size check of the body (TooLarge);
//   2. header check without decoding: only JPEG is accepted (Unsupported for anything else),
//      the declared width, height and pixel count must be within ImageLimits (TooLarge), so
//      a small file that declares a huge image (a decompression bomb) is refused before any
//      pixel buffer is allocated;
//   3. strict decoding (corrupt or truncated data is Invalid); the EXIF orientation, if any,
//      is applied to the pixels, so that faces are upright for the detectors and the photo
//      still shows the right way up once the EXIF block is gone;
//   4. detection on downscaled grey copies: faces with two frontal Haar cascades and the
//      profile cascade (on the image and its mirror image), whole people with OpenCV's HOG
//      people detector; false positives are accepted, the tuning favours recall;
//   5. every box, enlarged by 20 %, is pixelated (at most 6 blocks across) and then smoothed
//      in the full-resolution image, so that no detail of a face is left to recover;
//   6. re-encoding from pixels: the output holds only a JFIF header and the image, never
//      EXIF, XMP, GPS, ICC profiles, IPTC, comments or thumbnails.
//
// Failure is closed: a non-OK Result never carries image bytes, so a caller cannot store
// the original by mistake.
//
// Thread-safety: an Anonymizer is immutable after Create(); Process() may be called from any
// number of threads at once. Detector state (OpenCV cascades are not thread-safe) lives in an
// internal pool that grows to the number of concurrent callers.
//
// Speed: detection dominates, and the cascades are slow: with the default options a
// 1-megapixel photo takes several hundred milliseconds of one core, over a hundred times a
// plain decode and re-encode (bench/anonymize_bench.cpp measures both). The cost grows with
// the pixel count of the detection copies, which min_face_px and min_person_px set, so a
// 40-megapixel photo costs seconds. Callers with a latency budget should run Process() off
// the request path, and may want tighter ImageLimits on paths open to the public.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace gb {

// What Process() accepts. The defaults fit photos from phones and evidence from cameras.
struct ImageLimits {
  size_t max_bytes = 8 << 20;
  int max_width = 8192;
  int max_height = 8192;
  long max_pixels = 40'000'000;
};

struct AnonymizedImage {
  std::string jpeg;  // JFIF only: no EXIF/XMP/GPS/ICC/IPTC/comment segments
  int width = 0;     // of the output, after the EXIF orientation was applied
  int height = 0;
  int faces_blurred = 0;   // boxes found by the face detectors (after merging overlaps)
  int people_blurred = 0;  // boxes found by the person detector
  std::string sha256_hex;  // SHA-256 of `jpeg`, 64 lowercase hex digits
};

// Tuning. The defaults are the measured recall/speed balance; change them only with the
// benchmark and the anonymizer tests at hand.
struct AnonymizerOptions {
  // The smallest face, in pixels of the (oriented) input, that detection is tuned to find.
  // The detection copy is scaled so that such a face still fills the cascades' 20 px window;
  // halving this value makes detection on large images about four times slower.
  int min_face_px = 40;
  // The detection copy is never smaller than this (longest side) unless the input is, so
  // that small pictures are searched at (nearly) full resolution; 0 leaves the scale to
  // min_face_px alone.
  int detect_long_side = 512;
  // Pyramid step and grouping threshold of the face cascades. A smaller step finds more faces
  // at a higher cost (1.1 costs about 1.7 times 1.2); fewer neighbours find more faces and
  // more false positives at no extra cost.
  double scale_factor = 1.2;
  int min_neighbors = 1;
  bool profile_faces = true;  // profile cascade on the image and on its mirror image
  bool people = true;         // whole-person boxes (HOG people detector)
  // The smallest person (height in pixels of the input) the HOG detector is run for; its
  // window is 128 px tall, so this sets the scale of its own copy (never above full size).
  int min_person_px = 160;
  int jpeg_quality = 85;
};

class Anonymizer {
 public:
  static constexpr const char* kDefaultCascadeDir = "/usr/share/opencv4/haarcascades";

  // Loads the Haar cascades (Debian package opencv-data) from `cascade_dir`. Fails with
  // Unavailable, naming the file and the package, when a cascade is missing or unreadable,
  // and with Invalid when `options` are out of range.
  static Result<std::unique_ptr<Anonymizer>> Create(std::string cascade_dir = kDefaultCascadeDir,
                                                    AnonymizerOptions options = {});

  ~Anonymizer();
  Anonymizer(const Anonymizer&) = delete;
  Anonymizer& operator=(const Anonymizer&) = delete;

  // See the file comment. Errors: TooLarge (body, dimensions or pixel count over `limits`),
  // Unsupported (not a JPEG, or a CMYK JPEG), Invalid (corrupt or truncated data),
  // Internal (a detector or codec failure that is not the input's fault).
  // Thread-safe.
  Result<AnonymizedImage> Process(std::string_view input, const ImageLimits& limits = {}) const;

  const AnonymizerOptions& options() const;

 private:
  struct Impl;
  explicit Anonymizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads only the JPEG header: {width, height} as stored (before any EXIF orientation).
// Unsupported when `jpeg` is not a JPEG, Invalid when its header is corrupt or truncated.
// Allocates no pixel memory, so it is safe on hostile input of any declared size.
Result<std::pair<int, int>> JpegDimensions(std::string_view jpeg);

// True when the JPEG carries a segment that can hold metadata or a second picture: APP1
// (EXIF, XMP), APP2 (ICC, FlashPix, MPF), APP13 (IPTC/Photoshop), COM, any other APPn except
// a plain JFIF APP0 and Adobe's APP14 colour-transform marker, a JFIF thumbnail, or bytes
// after the end-of-image marker. Also true when the marker structure cannot be parsed, since
// then absence cannot be shown. Used to prove that Process() strips everything.
bool HasMetadataMarkers(std::string_view jpeg);

}  // namespace gb
