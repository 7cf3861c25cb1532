// The default face model path. Alone in its file because it needs the model's path in the
// checkout, an absolute path in the compiler flags, which keeps ccache from sharing the
// result between checkouts: only this small file pays for that.
#include <string>

#include "core/data_dir.h"
#include "privacy/image/anonymizer.h"

namespace gb {

std::string DefaultFaceModelPath() { return ModelPath(GLASSBRAIN_FACE_MODEL); }

}  // namespace gb
