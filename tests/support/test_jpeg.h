// Test JPEGs, shared by the unit tests, the integration tests and the benchmarks so that
// each does not carry its own copy of the turbojpeg calls.
//
//   EncodeJpeg      8-bit pixels (BGR, RGB, grey, CMYK, … as a TJPF_* format) or a BGR / grey
//                   cv::Mat to a baseline or progressive JPEG
//   DecodeJpegBgr   a JPEG to a BGR cv::Mat
//   ReencodeJpeg    decode + encode, nothing else: the benchmarks' baseline (what any
//                   re-encoding of a picture costs, without detection)
//   GradientJpeg    a generated w×h picture: red grows left to right, green top to bottom
//   WithMetadata    a JPEG with EXIF (orientation, GPS), XMP, ICC, IPTC and comment segments
//   LoadBenchPhoto  the 1-megapixel (1152×864) picture with faces the benchmarks use:
//                   messi5.jpg from the Debian package opencv-doc, scaled to 864 rows and
//                   cropped to the middle 1152 columns; a generated texture without faces
//                   when the package is missing (BenchPhoto::real says which)
//
// Contract: nothing here throws or reports to a test framework (benchmarks use it too).
// Encoders return "" when turbojpeg refuses the input, with turbojpeg's reason in *error
// when `error` is given; DecodeJpegBgr returns an empty Mat on any error, and on any warning
// when `flags` holds TJFLAG_STOPONWARNING (the default). Output depends only on the
// arguments (and, for LoadBenchPhoto, on whether the photo is installed): the same call
// gives the same bytes. Every call uses its own turbojpeg handle, so any thread may call.
// Link the CMake target gb_test_support (turbojpeg and OpenCV core + imgproc).
#pragma once

#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gb::testing {

// The photo with faces used by the anonymizer tests and, scaled, by the benchmarks.
inline constexpr const char* kFacePhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
inline constexpr const char* kFacePhotoPackage = "opencv-doc";
// The size of LoadBenchPhoto's picture: 1 megapixel.
inline constexpr int kBenchPhotoWidth = 1152, kBenchPhotoHeight = 864;

namespace internal {
struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;
}  // namespace internal

// The whole file, or "" when it cannot be read.
inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Encodes `height` rows of `width` pixels in `pixel_format` (TJPF_BGR, TJPF_RGB, TJPF_GRAY,
// TJPF_CMYK, …), `pitch` bytes from one row to the next (0: packed rows). `subsampling` is a
// TJSAMP_* value (TJSAMP_GRAY for grey pixels); `flags` are tjCompress2's (e.g.
// TJFLAG_PROGRESSIVE).
inline std::string EncodeJpeg(const unsigned char* pixels, int width, int height, int pitch, int pixel_format,
                              int quality = 90, int subsampling = TJSAMP_420, int flags = 0,
                              std::string* error = nullptr) {
  internal::TjHandle h(tjInitCompress());
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  if (!h || tjCompress2(h.get(), pixels, width, pitch, height, pixel_format, &buf, &size, subsampling, quality,
                        flags) != 0) {
    if (error) *error = h ? tjGetErrorStr2(h.get()) : "turbojpeg did not start";
    tjFree(buf);
    return {};
  }
  std::string out(reinterpret_cast<const char*>(buf), size);
  tjFree(buf);
  return out;
}

// Encodes a CV_8UC3 (BGR, 4:2:0) or CV_8UC1 (grey) Mat; any other type gives "".
inline std::string EncodeJpeg(const cv::Mat& image, int quality = 90, int flags = 0, std::string* error = nullptr) {
  if (image.type() != CV_8UC3 && image.type() != CV_8UC1) {
    if (error) *error = "only 8-bit BGR or grey pictures are encoded";
    return {};
  }
  const bool grey = image.type() == CV_8UC1;
  return EncodeJpeg(image.data, image.cols, image.rows, static_cast<int>(image.step), grey ? TJPF_GRAY : TJPF_BGR,
                    quality, grey ? TJSAMP_GRAY : TJSAMP_420, flags, error);
}

// Decodes to BGR. `flags` are tjDecompress2's (add TJFLAG_LIMITSCANS to refuse files with
// too many progressive scans, as the hub does).
inline cv::Mat DecodeJpegBgr(std::string_view jpeg, int flags = TJFLAG_STOPONWARNING) {
  internal::TjHandle h(tjInitDecompress());
  if (!h || jpeg.empty()) return {};
  auto* src = reinterpret_cast<const unsigned char*>(jpeg.data());
  int w = 0, ht = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(h.get(), src, jpeg.size(), &w, &ht, &subsampling, &colorspace) != 0) return {};
  cv::Mat bgr(ht, w, CV_8UC3);
  if (tjDecompress2(h.get(), src, jpeg.size(), bgr.data, w, static_cast<int>(bgr.step), ht, TJPF_BGR, flags) != 0) {
    return {};
  }
  return bgr;
}

// Decodes as the hub does (TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) and encodes again at
// `quality` (4:2:0); "" when either step fails.
inline std::string ReencodeJpeg(std::string_view jpeg, int quality) {
  const cv::Mat bgr = DecodeJpegBgr(jpeg, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS);
  return bgr.empty() ? std::string() : EncodeJpeg(bgr, quality);
}

// A w×h picture (4:2:0, quality 90) whose red grows from left to right and green from top
// to bottom, blue 128: small files that decode without surprises.
inline std::string GradientJpeg(int width, int height) {
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      unsigned char* p = &rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + x) * 3];
      p[0] = static_cast<unsigned char>(x * 255 / width);
      p[1] = static_cast<unsigned char>(y * 255 / height);
      p[2] = 128;
    }
  }
  return EncodeJpeg(rgb.data(), width, height, 0, TJPF_RGB);
}

struct BenchPhoto {
  cv::Mat pixels;      // BGR, kBenchPhotoWidth × kBenchPhotoHeight
  std::string jpeg;    // `pixels` encoded at quality 90, 4:2:0
  bool real = false;   // messi5.jpg (faces) rather than the generated texture (no faces)
  std::string source;  // says which, for reports
};

// The benchmarks' 1-megapixel input. `jpeg` is empty only if encoding failed.
inline BenchPhoto LoadBenchPhoto() {
  BenchPhoto photo;
  const cv::Mat src = DecodeJpegBgr(ReadFileOrEmpty(kFacePhoto));
  if (!src.empty()) {
    const double s = static_cast<double>(kBenchPhotoHeight) / src.rows;
    cv::Mat scaled;
    cv::resize(src, scaled, cv::Size(), s, s, cv::INTER_CUBIC);
    if (scaled.cols >= kBenchPhotoWidth && scaled.rows == kBenchPhotoHeight) {
      photo.pixels =
          scaled(cv::Rect((scaled.cols - kBenchPhotoWidth) / 2, 0, kBenchPhotoWidth, kBenchPhotoHeight)).clone();
      photo.real = true;
      photo.source = "messi5.jpg (opencv-doc) scaled and cropped";
    }
  }
  if (!photo.real) {
    photo.pixels.create(kBenchPhotoHeight, kBenchPhotoWidth, CV_8UC3);
    cv::randu(photo.pixels, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(photo.pixels, photo.pixels, cv::Size(0, 0), 3);
    photo.source = "generated texture WITHOUT faces (install opencv-doc for the real input)";
  }
  photo.jpeg = EncodeJpeg(photo.pixels, 90);
  return photo;
}

// A JPEG marker segment: FF, marker, big-endian length (payload + 2), payload.
inline std::string Segment(unsigned char marker, const std::string& payload) {
  const size_t len = payload.size() + 2;
  std::string s = {'\xFF', static_cast<char>(marker), static_cast<char>(len >> 8),
                   static_cast<char>(len & 0xFF)};
  return s + payload;
}

// An EXIF APP1 payload (big-endian TIFF) with IFD0 holding the orientation and a pointer to
// a GPS IFD whose latitude reference and text are easy to find in the output bytes.
inline std::string ExifPayload(uint16_t orientation) {
  using namespace std::string_literals;
  std::string t = "MM";
  auto u16 = [&](uint32_t v) {
    t += {static_cast<char>(v >> 8 & 0xFF), static_cast<char>(v & 0xFF)};
  };
  auto u32 = [&](uint32_t v) {
    u16(v >> 16);
    u16(v & 0xFFFF);
  };
  // One 12-byte IFD entry whose 4-byte value field is `value` (already in file order).
  auto entry = [&](uint16_t tag, uint16_t type, uint32_t count, const std::string& value) {
    u16(tag);
    u16(type);
    u32(count);
    t += value;
  };
  auto be16 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto be32 = [&](uint32_t v) { return be16(v >> 16) + be16(v & 0xFFFF); };
  u16(42);
  u32(8);  // IFD0 at offset 8: 2 entries, ends at 8 + 2 + 24 + 4 = 38
  u16(2);
  entry(0x0112, 3 /* SHORT */, 1, be16(orientation) + be16(0));  // Orientation
  entry(0x8825, 4 /* LONG */, 1, be32(38));                      // GPS IFD pointer
  u32(0);
  // GPS IFD at 38: 2 entries, ends at 38 + 2 + 24 + 4 = 68, where the text goes.
  u16(2);
  entry(0x0001, 2 /* ASCII */, 2, "N\0\0\0"s);     // GPSLatitudeRef
  entry(0x001B, 7 /* UNDEFINED */, 27, be32(68));  // GPSProcessingMethod
  u32(0);
  t += "GLASSBRAIN-GPS-31.2304N-121";
  return "Exif\0\0"s + t;
}

// Splices metadata segments right after SOI: EXIF (with `orientation` and GPS), XMP, ICC,
// IPTC and a comment, each carrying a GLASSBRAIN-… marker text easy to find in output bytes.
inline std::string WithMetadata(const std::string& jpeg, uint16_t orientation = 1) {
  using namespace std::string_literals;
  std::string meta = Segment(0xE1, ExifPayload(orientation));
  meta +=
      Segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GLASSBRAIN-XMP-Alice</x:xmpmeta>"s);
  meta += Segment(0xE2, "ICC_PROFILE\0\1\1"s + std::string(64, '\x42'));
  meta += Segment(0xED, "Photoshop 3.0\0GLASSBRAIN-IPTC-byline"s);
  meta += Segment(0xFE, "GLASSBRAIN-COMMENT taken at 12 Elm Street");
  return jpeg.substr(0, 2) + meta + jpeg.substr(2);
}

}  // namespace gb::testing
