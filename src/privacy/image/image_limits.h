// How large an image the hub decodes: one set of limits, read from the configuration and
// passed whole to every path that takes a photo (evidence uploads, residents' reports,
// crew photos). The defaults fit photos from phones and evidence from cameras.
#pragma once

#include <cstddef>

namespace gb {

struct ImageLimits {
  std::size_t max_bytes = 8 << 20;  // the encoded file (413 above). Default: 8 MiB
  int max_width = 8192;             // pixels. Default: 8192
  int max_height = 8192;            // pixels. Default: 8192
  long max_pixels = 40'000'000;     // width × height, against decompression bombs. Default: 40 MP
};

}  // namespace gb
