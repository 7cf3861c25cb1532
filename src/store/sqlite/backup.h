// Backup and restore of a SQLite store file.
//
// A backup is a consistent copy taken while a hub writes: SQLite's online backup API runs
// inside one read transaction on the source, so the copy is the database as of the moment
// that transaction began, however many commits land while the pages are copied. (Stepped
// without it, the backup restarts at each commit by another connection: under steady ingest
// it would never finish.) The copy is a store file in its own right; a hub can serve it.
//
// Thread-safety: free functions; each opens its own connections.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace gb::sqlite {

// Called after each step with the pages copied so far and the pages in all.
using PageProgress = std::function<void(std::int64_t done, std::int64_t total)>;

// What a backup file holds.
struct BackupInfo {
  int schema_version = 0;
  std::vector<std::string> evidence_refs;  // "sha256:<hex>" of every evidence record
};

// Copies the database at `source` into a new file `dest` (which must not exist), checks the
// copy with PRAGMA integrity_check, makes it durable and returns what it holds. On failure
// `dest` is removed.
Result<BackupInfo> BackupDatabase(const std::string& source, const std::string& dest, const PageProgress& progress);

// Opens `path` read-only; Invalid when it is not a SQLite store, fails integrity_check or has
// a schema newer than this build's.
Result<BackupInfo> InspectBackup(const std::string& path);

// Replaces the store file `dest` by a copy of `backup` atomically: written beside it, made
// durable, then renamed over it (the old write-ahead log removed first, so that it is never
// replayed into the restored file). `dest` may not exist yet.
// REQUIRES: nothing holds `dest` open (see StoreInUse).
Status RestoreDatabase(const std::string& backup, const std::string& dest);

// A hold on a store file, taken with flock(2) on "PATH.lock" (not on the database file: closing
// any descriptor of that file would drop SQLite's own POSIX locks in this process). A hub holds
// its store shared for as long as it serves; a restore needs it exclusive, so it is refused
// while any hub runs on the file.
class StoreHold {
 public:
  enum class Mode { kShared, kExclusive };
  // Unavailable when another process holds it in a mode that excludes `mode`.
  static Result<StoreHold> Take(const std::string& path, Mode mode);
  StoreHold(StoreHold&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreHold& operator=(StoreHold&&) = delete;
  StoreHold(const StoreHold&) = delete;
  ~StoreHold();

 private:
  explicit StoreHold(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace gb::sqlite
