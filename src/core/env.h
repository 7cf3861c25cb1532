// Env hides the operating system: the clock and the files the hub writes (evidence images).
// Tests subclass it to freeze time or inject write failures. Implementations must be
// thread-safe: the hub calls them from every worker thread.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace gb {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide default, backed by POSIX and the system clock. Never null.
  static Env* Default();

  virtual TimeMs NowMs() = 0;
  // Writes `data` to `path` atomically and durably: a temporary file, fsync, rename, fsync of
  // the directory. After an OK return the file survives a crash whole or not at all.
  virtual Status WriteFileDurable(const std::string& path, std::string_view data) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Removing a missing file is OK.
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Creates the directory and its parents; OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
};

// An Env whose clock stands still until advanced (from any thread, like every Env call);
// files go to the default Env.
class FakeClockEnv : public Env {
 public:
  explicit FakeClockEnv(TimeMs now) : now_(now) {}
  void Advance(TimeMs ms) { now_ += ms; }
  void Set(TimeMs t) { now_ = t; }
  TimeMs NowMs() override { return now_; }
  Status WriteFileDurable(const std::string& p, std::string_view d) override {
    return Default()->WriteFileDurable(p, d);
  }
  Result<std::string> ReadFile(const std::string& p) override { return Default()->ReadFile(p); }
  Status RemoveFile(const std::string& p) override { return Default()->RemoveFile(p); }
  bool FileExists(const std::string& p) override { return Default()->FileExists(p); }
  Status CreateDirs(const std::string& p) override { return Default()->CreateDirs(p); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace gb
