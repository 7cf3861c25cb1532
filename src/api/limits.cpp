#include "api/limits.h"

#include <string>

namespace gb {

Status Limits::Check() const {
  auto within = [&](const char* key, std::size_t value) {
    if (value <= max_body_bytes) return Status::Ok();
    return Status::Invalid(std::string(key) + " (" + std::to_string(value) + " bytes) is above server.max_body_bytes (" +
                           std::to_string(max_body_bytes) + "), so it could never be reached; raise max_body_bytes");
  };
  GB_RETURN_IF_ERROR(within("api.max_json_body_bytes", max_json_body_bytes));
  GB_RETURN_IF_ERROR(within("api.max_batch_body_bytes", max_batch_body_bytes));
  // A resident's photo arrives inside a multipart form.
  return within("open311.max_media_bytes plus 64 KiB for its form", images.max_bytes + kFormOverheadBytes);
}

}  // namespace gb
