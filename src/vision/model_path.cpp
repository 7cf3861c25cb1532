// The default detector model path. Alone in its file because it needs the build directory,
// an absolute path in the compiler flags, which keeps ccache from sharing the result between
// build trees: only this small file pays for that.
#include <filesystem>
#include <string>

#include "core/data_dir.h"
#include "vision/object_detector.h"

namespace gb::vision {

std::string DefaultDetectorModelPath() {
  const std::string built = GLASSBRAIN_DETECTOR_MODEL;
  return DataPath("models/" + std::filesystem::path(built).filename().string(), built);
}

}  // namespace gb::vision
