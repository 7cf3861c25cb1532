#include "core/sha256.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace gb {

std::string Sha256Hex(std::string_view data) {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fputs("glassbrain: libsodium failed to initialise\n", stderr);
      std::abort();
    }
  });
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

}  // namespace gb
