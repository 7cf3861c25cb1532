#include "api/auth/crypto.h"

#include <sodium.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace gb::auth {
namespace {

std::atomic<bool> g_fast_hashing{false};

}  // namespace

void InitCrypto() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fputs("glassbrain: libsodium failed to initialise (no usable source of randomness?)\n", stderr);
      std::abort();
    }
  });
}

std::string HashPassword(std::string_view password) {
  InitCrypto();
  const bool fast = g_fast_hashing.load(std::memory_order_relaxed);
  const unsigned long long ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const size_t mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::bad_alloc();  // the only runtime failure: the memory limit could not be allocated
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitCrypto();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(hash);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void SetFastHashingForTests(bool fast) { g_fast_hashing.store(fast, std::memory_order_relaxed); }

std::string RandomToken(size_t bytes) {
  if (bytes == 0 || bytes > 1024) throw std::invalid_argument("RandomToken: bytes must be in 1..1024");
  InitCrypto();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes, kVariant), '\0');  // includes the NUL
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), kVariant);
  out.resize(out.size() - 1);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  InitCrypto();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gb::auth
