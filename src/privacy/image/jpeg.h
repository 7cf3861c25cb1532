// JPEG plumbing for the anonymizer (internal to gb_anonymizer): header reading, strict
// decoding and metadata-free encoding with libturbojpeg, and a marker walker for the EXIF
// orientation and for HasMetadataMarkers(). Every function is thread-safe (each call owns
// its turbojpeg handle) and bounds-checks the untrusted bytes it reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace gb::jpeg {

struct Header {
  int width = 0;
  int height = 0;
  bool grayscale = false;
};

// True when `data` starts with the JPEG start-of-image marker followed by another marker.
bool LooksLikeJpeg(std::string_view data);

// Unsupported when `data` is not a JPEG; Invalid when the header is corrupt or truncated;
// Unsupported for CMYK/YCCK JPEGs. Reads the header only.
Result<Header> ReadHeader(std::string_view data);

// Decodes into `bgr` (height rows of `pitch` bytes, 3 bytes per pixel, B G R).
// REQUIRES: the header was read from the same `data`; `bgr` holds height * pitch bytes.
// Invalid when the data is corrupt or truncated, including data that libjpeg would only warn
// about (it would fill the missing part with grey and carry on): decoding stops at the first
// warning. Progressive files with an unreasonable number of scans are refused too.
Status DecodeBgr(std::string_view data, const Header& header, uint8_t* bgr, int pitch);

// Encodes BGR pixels as a baseline JFIF JPEG (4:2:0, or greyscale when `grayscale`).
// The result carries no other marker segment than APP0 JFIF (no thumbnail), DQT, SOF0,
// DHT, SOS and EOI.
Result<std::string> EncodeBgr(const uint8_t* bgr, int width, int pitch, int height, bool grayscale,
                              int quality);

// The EXIF orientation (1..8) of the first APP1 Exif segment before the first scan, 1 when
// there is none or it is malformed.
int ExifOrientation(std::string_view data);

}  // namespace gb::jpeg
