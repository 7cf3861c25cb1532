// Env hides the operating system: the clock, the files the hub writes (evidence images) and
// every read, write, sync and truncation of the store's own files (the SQLite database and
// its WAL, through the store's VFS: store/sqlite/env_vfs.h). Tests subclass it to freeze
// time or inject I/O failures. Implementations must be thread-safe: the hub calls them from
// every worker thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace gb {

// One operation on a file the store keeps, about to happen.
struct FileIo {
  enum class Op { kRead, kWrite, kSync, kTruncate };
  Op op = Op::kRead;
  std::string_view path;
  std::size_t bytes = 0;  // how many to read or write; 0 for a sync or truncation
};

// What Env lets a FileIo do. `error` 0: the operation runs whole. Otherwise it fails with
// that errno value (ENOSPC, EIO, …); a write first puts its first `written` bytes in the
// file, as a short write does.
struct FileIoFault {
  int error = 0;
  std::size_t written = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide default, backed by POSIX and the system clock. Never null.
  static Env* Default();

  // The wall clock (milliseconds since the Unix epoch): what times stored and shown are in.
  // It may step, forward or back, when the system's time is set.
  virtual TimeMs NowMs() = 0;
  // A clock that never steps (milliseconds from an arbitrary start): what timeouts,
  // rate-limit windows and idle timers measure with.
  virtual TimeMs MonotonicMs() = 0;
  // Writes `data` to `path` atomically and durably: a temporary file, fsync, rename, fsync of
  // the directory. After an OK return the file survives a crash whole or not at all.
  virtual Status WriteFileDurable(const std::string& path, std::string_view data) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Removing a missing file is OK.
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Creates the directory and its parents; OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;

  // Asked before each operation on the store's files; the store performs it, or fails it as
  // told. The default lets every operation run, at the cost of one virtual call.
  virtual FileIoFault CheckFileIo(const FileIo&) { return {}; }
};

// The Status of a file operation that failed with `error` (an errno value): NoSpace for
// ENOSPC, EDQUOT and EFBIG (the disk, a quota or the file size limit is full), Unavailable
// for any other. The message is `message`, then the error's text.
Status FileError(int error, const std::string& message);

// An Env that forwards every call to `target`: a subclass overrides only what it changes
// (as LevelDB's EnvWrapper). REQUIRED: target outlives the wrapper.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }
  TimeMs NowMs() override { return target_->NowMs(); }
  TimeMs MonotonicMs() override { return target_->MonotonicMs(); }
  Status WriteFileDurable(const std::string& p, std::string_view d) override { return target_->WriteFileDurable(p, d); }
  Result<std::string> ReadFile(const std::string& p) override { return target_->ReadFile(p); }
  Status RemoveFile(const std::string& p) override { return target_->RemoveFile(p); }
  bool FileExists(const std::string& p) override { return target_->FileExists(p); }
  Status CreateDirs(const std::string& p) override { return target_->CreateDirs(p); }
  FileIoFault CheckFileIo(const FileIo& io) override { return target_->CheckFileIo(io); }

 private:
  Env* target_;
};

// An Env whose clock stands still until advanced or set (from any thread, like every Env
// call); it is both the wall clock and the monotonic one. The rest goes to the default Env.
class FakeClockEnv : public EnvWrapper {
 public:
  explicit FakeClockEnv(TimeMs now) : EnvWrapper(Default()), now_(now) {}
  void Advance(TimeMs ms) { now_ += ms; }
  void Set(TimeMs t) { now_ = t; }
  TimeMs NowMs() override { return now_; }
  TimeMs MonotonicMs() override { return now_; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace gb
