// The default detector model path. Alone in its file because it needs the build directory,
// an absolute path in the compiler flags, which keeps ccache from sharing the result between
// build trees: only this small file pays for that.
#include <string>

#include "core/data_dir.h"
#include "vision/object_detector.h"

namespace gb::vision {

std::string DefaultDetectorModelPath() { return ModelPath(GLASSBRAIN_DETECTOR_MODEL); }

}  // namespace gb::vision
