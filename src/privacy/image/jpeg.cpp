#include "privacy/image/jpeg.h"

#include <turbojpeg.h>

#include <cstring>
#include <memory>
#include <string>

#include "privacy/image/anonymizer.h"

namespace gb::jpeg {
namespace {

constexpr const char* kNotJpeg =
    "media must be a JPEG image (PNG, GIF, WebP, HEIC and other formats are not accepted)";

struct TjDeleter {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

struct TjBufferDeleter {
  void operator()(unsigned char* buf) const { tjFree(buf); }
};

const unsigned char* Bytes(std::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

// turbojpeg takes non-const source pointers for historical reasons; it never writes to them.
unsigned char* MutableBytes(std::string_view data) {
  return const_cast<unsigned char*>(Bytes(data));
}

uint16_t Be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// One marker segment: the marker byte (the one after 0xFF) and its payload (after the two
// length bytes; empty for standalone markers).
struct Segment {
  unsigned char marker;
  std::string_view payload;
};

enum class Walk { kComplete, kStopped, kMalformed };

// Visits every marker segment from SOI to EOI, skipping entropy-coded data after each SOS.
// `visit` returns false to stop early. `trailing` receives the number of bytes after EOI.
template <typename Visit>
Walk WalkMarkers(std::string_view data, Visit&& visit, size_t* trailing = nullptr) {
  const unsigned char* p = Bytes(data);
  const size_t n = data.size();
  if (n < 2 || p[0] != 0xFF || p[1] != 0xD8) return Walk::kMalformed;
  size_t pos = 2;
  for (;;) {
    if (pos >= n || p[pos] != 0xFF) return Walk::kMalformed;
    while (pos < n && p[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return Walk::kMalformed;
    const unsigned char marker = p[pos++];
    if (marker == 0xD9) {  // EOI
      if (trailing != nullptr) *trailing = n - pos;
      return Walk::kComplete;
    }
    if (marker == 0x00) return Walk::kMalformed;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // TEM, RSTn: no length
      if (!visit(Segment{marker, {}})) return Walk::kStopped;
      continue;
    }
    if (n - pos < 2) return Walk::kMalformed;
    const size_t length = Be16(p + pos);
    if (length < 2 || length > n - pos) return Walk::kMalformed;
    if (!visit(Segment{marker, data.substr(pos + 2, length - 2)})) return Walk::kStopped;
    pos += length;
    if (marker == 0xDA) {  // SOS: entropy-coded data runs to the next non-stuffed marker
      for (;;) {
        while (pos < n && p[pos] != 0xFF) ++pos;
        if (pos + 1 >= n) return Walk::kMalformed;
        const unsigned char next = p[pos + 1];
        if (next == 0x00 || next == 0xFF || (next >= 0xD0 && next <= 0xD7)) {
          pos += (next == 0xFF) ? 1 : 2;  // stuffed zero, fill byte or restart marker
          continue;
        }
        break;
      }
    }
  }
}

}  // namespace

bool LooksLikeJpeg(std::string_view data) {
  const unsigned char* p = Bytes(data);
  return data.size() >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
}

Result<Header> ReadHeader(std::string_view data) {
  if (!LooksLikeJpeg(data)) return Status::Unsupported(kNotJpeg);
  TjHandle handle(tjInitDecompress());
  if (!handle) return Status::Internal("cannot initialise the JPEG decoder");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), MutableBytes(data), data.size(), &width, &height, &subsamp,
                          &colorspace) != 0) {
    return Status::Invalid("JPEG header is corrupt or truncated");
  }
  if (width <= 0 || height <= 0) return Status::Invalid("JPEG header declares an empty image");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    return Status::Unsupported("CMYK JPEG images are not accepted; save the photo as RGB");
  }
  return Header{width, height, colorspace == TJCS_GRAY};
}

Status DecodeBgr(std::string_view data, const Header& header, uint8_t* bgr, int pitch) {
  TjHandle handle(tjInitDecompress());
  if (!handle) return Status::Internal("cannot initialise the JPEG decoder");
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(handle.get(), MutableBytes(data), data.size(), bgr, header.width, pitch,
                    header.height, TJPF_BGR, flags) != 0) {
    // A warning (TJERR_WARNING) is what libjpeg reports for truncated or damaged entropy
    // data, which it would otherwise paper over with grey: both mean the image is corrupt.
    return Status::Invalid("image data is corrupt or truncated");
  }
  return Status::Ok();
}

Result<std::string> EncodeBgr(const uint8_t* bgr, int width, int pitch, int height, bool grayscale,
                              int quality) {
  TjHandle handle(tjInitCompress());
  if (!handle) return Status::Internal("cannot initialise the JPEG encoder");
  unsigned char* raw = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(handle.get(), bgr, width, pitch, height, TJPF_BGR, &raw, &size,
                             grayscale ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, TjBufferDeleter> buf(raw);
  if (rc != 0 || !buf) {
    return Status::Internal(std::string("JPEG encoding failed: ") + tjGetErrorStr2(handle.get()));
  }
  return std::string(reinterpret_cast<const char*>(buf.get()), size);
}

int ExifOrientation(std::string_view data) {
  int orientation = 1;
  WalkMarkers(data, [&](const Segment& s) {
    if (s.marker == 0xDA) return false;  // metadata that counts comes before the first scan
    if (s.marker != 0xE1 || s.payload.size() < 6 ||
        std::memcmp(s.payload.data(), "Exif\0\0", 6) != 0) {
      return true;
    }
    const std::string_view tiff = s.payload.substr(6);
    const unsigned char* t = Bytes(tiff);
    if (tiff.size() < 8) return false;
    bool little;
    if (t[0] == 'I' && t[1] == 'I') {
      little = true;
    } else if (t[0] == 'M' && t[1] == 'M') {
      little = false;
    } else {
      return false;
    }
    auto u16 = [&](size_t off) -> uint32_t {
      return little ? (t[off] | t[off + 1] << 8) : (t[off] << 8 | t[off + 1]);
    };
    auto u32 = [&](size_t off) -> uint32_t {
      return little ? (u16(off) | u16(off + 2) << 16) : (u16(off) << 16 | u16(off + 2));
    };
    if (u16(2) != 42) return false;
    const size_t ifd = u32(4);
    if (ifd > tiff.size() || tiff.size() - ifd < 2) return false;
    const size_t count = u16(ifd);
    for (size_t i = 0; i < count; ++i) {
      const size_t entry = ifd + 2 + 12 * i;
      if (entry > tiff.size() || tiff.size() - entry < 12) break;
      if (u16(entry) != 0x0112) continue;
      if (u16(entry + 2) == 3 /* SHORT */) {
        const uint32_t value = u16(entry + 8);
        if (value >= 1 && value <= 8) orientation = static_cast<int>(value);
      }
      break;
    }
    return false;  // only the first EXIF segment counts
  });
  return orientation;
}

}  // namespace gb::jpeg

namespace gb {

Result<std::pair<int, int>> JpegDimensions(std::string_view jpeg) {
  auto header = jpeg::ReadHeader(jpeg);
  if (!header.ok()) return header.status();
  return std::pair<int, int>{header->width, header->height};
}

bool HasMetadataMarkers(std::string_view data) {
  bool found = false;
  size_t trailing = 0;
  const jpeg::Walk walk = jpeg::WalkMarkers(
      data,
      [&](const jpeg::Segment& s) {
        const std::string_view p = s.payload;
        if (s.marker == 0xE0) {  // APP0: only a plain JFIF header without thumbnail is clean
          const bool jfif = p.size() >= 14 && std::memcmp(p.data(), "JFIF\0", 5) == 0;
          if (!jfif || p[12] != 0 || p[13] != 0 || p.size() != 14) found = true;
        } else if (s.marker == 0xEE) {  // APP14: Adobe colour transform flag, 12 bytes
          if (p.size() != 12 || std::memcmp(p.data(), "Adobe", 5) != 0) found = true;
        } else if ((s.marker >= 0xE1 && s.marker <= 0xEF) || s.marker == 0xFE) {
          found = true;  // APP1..APP15, COM
        }
        return !found;
      },
      &trailing);
  return found || walk != jpeg::Walk::kComplete || trailing != 0;
}

}  // namespace gb
