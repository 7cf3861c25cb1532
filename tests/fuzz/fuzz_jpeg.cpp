// The photo path on untrusted bytes, under the hub's image limits: jpeg::ReadHeader, then
// jpeg::DecodeBgr when the header is within the limits (as the anonymizer checks it), then
// the whole of Anonymizer::Process. Run with -rss_limit_mb=1024: a small file must never
// make the decoder allocate past the limits (decompression bombs).
// Properties: what Process accepts is within the limits and carries no metadata segment.
#include <cstdlib>
#include <memory>
#include <vector>

#include "api/limits.h"
#include "fuzz_input.h"
#include "privacy/image/anonymizer.h"
#include "privacy/image/jpeg.h"

using namespace gb;

namespace {

const Anonymizer& TheAnonymizer() {
  static const std::unique_ptr<Anonymizer> anonymizer = [] {
    auto created = Anonymizer::Create();
    if (!created.ok()) {
      std::fprintf(stderr, "cannot create the anonymizer: %s\n", created.status().message().c_str());
      std::exit(2);
    }
    return std::move(*created);
  }();
  return *anonymizer;
}

bool WithinLimits(const jpeg::Header& h, const ImageLimits& limits) {
  return h.width > 0 && h.height > 0 && h.width <= limits.max_width && h.height <= limits.max_height &&
         static_cast<long>(h.width) * h.height <= limits.max_pixels;
}

}  // namespace

// Loads the anonymizer's models before the first input, so that their start-up counts
// against no input's time limit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)TheAnonymizer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::AsText(data, size);
  const ImageLimits limits = Limits{}.images;
  const Anonymizer& anonymizer = TheAnonymizer();

  auto header = jpeg::ReadHeader(input);
  if (header.ok() && WithinLimits(*header, limits)) {
    int pitch = header->width * 3;
    std::vector<uint8_t> bgr(static_cast<size_t>(pitch) * header->height);
    (void)jpeg::DecodeBgr(input, *header, bgr.data(), pitch);
  }
  (void)jpeg::ExifOrientation(input);

  auto out = anonymizer.Process(input, limits);
  if (out.ok()) {
    fuzz::Require(out->width > 0 && out->height > 0 && out->width <= limits.max_width &&
                      out->height <= limits.max_height,
                  "an image outside the limits was accepted");
    fuzz::Require(!HasMetadataMarkers(out->jpeg), "the anonymized image carries metadata");
    fuzz::Require(out->sha256_hex.size() == 64, "the image's hash is not 64 hex digits");
  }
  return 0;
}
