// EvidenceStore: anonymized evidence images on disk, content-addressed by SHA-256, with a
// record in the Store. Files live at DIR/ab/abcdef….jpg and are written durably (Env).
// Only images that went through the anonymizer are ever handed to Put().
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/env.h"
#include "store/store.h"

namespace gb {

class EvidenceStore {
 public:
  EvidenceStore(std::string dir, Env* env) : dir_(std::move(dir)), env_(env) {}

  // "sha256:<64 hex>" → true.
  static bool IsValidRef(std::string_view ref);

  // Writes the file (if absent) and its record in `txn`. Returns true when it is new.
  // REQUIRES: ref is the SHA-256 of `jpeg`.
  Result<bool> Put(WriteTxn& txn, const std::string& ref, std::string_view jpeg);
  Result<std::string> Read(const std::string& ref) const;
  Status Remove(const std::string& ref) const;
  std::string PathOf(const std::string& ref) const;

 private:
  std::string dir_;
  Env* env_;
};

}  // namespace gb
