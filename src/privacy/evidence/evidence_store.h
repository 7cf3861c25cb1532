// EvidenceStore: anonymized evidence images on disk, content-addressed by the SHA-256 of
// the stored bytes, with a record in the Store. Files live at DIR/ab/abcdef….jpg and are
// written durably (Env), before the transaction that records them. Only images that went
// through the anonymizer are ever handed to WriteFile().
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
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

  // Writes the file of `ref` durably, unless it is there already. Called before the write
  // transaction that records it, never inside: a slow disk must not hold the writer lock.
  // REQUIRES: ref is the SHA-256 of `jpeg`.
  Status WriteFile(const std::string& ref, std::string_view jpeg);
  // Records evidence whose file WriteFile wrote (Internal when it did not); true when the
  // record is new.
  Result<bool> Record(WriteTxn& txn, const std::string& ref, std::int64_t bytes);
  Result<std::string> Read(const std::string& ref) const;
  Status Remove(const std::string& ref) const;
  std::string PathOf(const std::string& ref) const;

  // Removes the files older than `before` that no record names: what a write whose
  // transaction rolled back left behind (invariant 6: nothing is kept that no purge would
  // ever remove). Returns how many it removed.
  Result<std::size_t> SweepUnrecorded(Store& store, TimeMs before) const;

 private:
  std::string dir_;
  Env* env_;
};

}  // namespace gb
