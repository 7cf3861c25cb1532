// SHA-256, the hash that names evidence by content and links the audit log's entries.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace gb {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

}  // namespace gb
