// Cryptographic primitives for accounts and sessions, on libsodium.
//
// Passwords are hashed with argon2id (the PHC string form, "$argon2id$v=19$…"), machine
// tokens and session ids are stored as hex SHA-256 of the secret, and secrets are random
// bytes in base64url without padding. libsodium is initialised on first use; if that fails
// (no usable randomness) the process aborts with a message, since nothing here can work.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/sha256.h"

#include "core/status.h"

namespace gb::auth {

// Initialises libsodium once. Called by every function below; exposed so that a server
// can do it at start-up instead of on the first request.
void InitCrypto();

// An argon2id hash of `password` in the PHC string form. Uses libsodium's INTERACTIVE
// limits (≈ 64 MiB, a fraction of a second), or its MIN limits after
// SetFastHashingForTests(true). Throws std::bad_alloc when the memory cannot be had.
std::string HashPassword(std::string_view password);

// True when `password` matches `hash` (a PHC string as made by HashPassword). False for a
// malformed hash. Takes about as long as HashPassword did for that hash.
bool VerifyPassword(std::string_view hash, std::string_view password);

// Process-wide: makes HashPassword use the minimum argon2id cost. For tests only; hashes
// made this way are valid but weak.
void SetFastHashingForTests(bool fast);

// `bytes` random bytes (REQUIRES: 1 ≤ bytes ≤ 1024) as base64url without padding.
std::string RandomToken(size_t bytes = 32);

using ::gb::Sha256Hex;  // core/sha256.h, named here for the callers that hash credentials

// Compares in time independent of where the strings differ. Strings of different length
// are unequal at once (their lengths are not secret: tokens have a fixed length).
bool ConstantTimeEquals(std::string_view a, std::string_view b);


}  // namespace gb::auth
