// FaultEnv: an Env that fails what a test tells it to, and forwards the rest (as LevelDB's
// FaultInjectionTestEnv). It sees every read, write, sync and truncation of a store opened
// with it (core/env.h CheckFileIo, through the store's VFS and group sync) and the hub's
// evidence writes (WriteFileDurable), and its wall clock can be stepped.
//
// Faults, each until cleared (Clear) unless it counts down:
// - FailSyncs(n, every): the n-th sync from now fails with EIO, and with `every` each one
//   after it too.
// - FailWrites(errno, short_bytes): every write fails with that errno (ENOSPC, EIO, …),
//   after writing its first `short_bytes` bytes (a short write); evidence files fail too.
// - FailReads(): every read fails with EIO.
// - StepClock(ms): the wall clock jumps by ms (negative: back); it otherwise runs, and the
//   monotonic clock is the real one, unmoved.
//
// Thread-safe: every member is atomic.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/env.h"

namespace gb::test {

class FaultEnv : public EnvWrapper {
 public:
  FaultEnv() : EnvWrapper(Env::Default()) {}

  void FailSyncs(int nth, bool every) {
    syncs_until_fault_ = nth;
    every_sync_ = every;
  }
  void FailWrites(int error, std::size_t short_bytes = 0) {
    short_bytes_ = short_bytes;
    write_error_ = error;
  }
  void FailReads() { read_error_ = EIO; }
  void Clear() {
    every_sync_ = false;
    syncs_until_fault_ = 0;
    write_error_ = 0;
    read_error_ = 0;
  }
  void StepClock(TimeMs ms) { clock_step_ += ms; }

  // How many operations of each kind were failed so far.
  int failed_syncs() const { return failed_syncs_; }
  int failed_writes() const { return failed_writes_; }
  int failed_reads() const { return failed_reads_; }

  TimeMs NowMs() override { return EnvWrapper::NowMs() + clock_step_; }

  FileIoFault CheckFileIo(const FileIo& io) override {
    switch (io.op) {
      case FileIo::Op::kSync:
        if (SyncFails()) {
          ++failed_syncs_;
          return {EIO, 0};
        }
        break;
      case FileIo::Op::kWrite:
      case FileIo::Op::kTruncate:
        if (int e = write_error_; e != 0) {
          ++failed_writes_;
          return {e, io.op == FileIo::Op::kWrite ? short_bytes_.load() : 0};
        }
        break;
      case FileIo::Op::kRead:
        if (int e = read_error_; e != 0) {
          ++failed_reads_;
          return {e, 0};
        }
        break;
    }
    return EnvWrapper::CheckFileIo(io);
  }

  Status WriteFileDurable(const std::string& path, std::string_view data) override {
    if (int e = write_error_; e != 0) {
      ++failed_writes_;
      return FileError(e, "cannot write " + path);
    }
    if (SyncFails()) {
      ++failed_syncs_;
      return FileError(EIO, "cannot sync " + path);
    }
    return EnvWrapper::WriteFileDurable(path, data);
  }

 private:
  bool SyncFails() {
    if (every_sync_ && syncs_until_fault_ <= 0) return true;
    if (syncs_until_fault_ <= 0) return false;
    return --syncs_until_fault_ == 0;
  }

  std::atomic<int> syncs_until_fault_{0};
  std::atomic<bool> every_sync_{false};
  std::atomic<int> write_error_{0};
  std::atomic<std::size_t> short_bytes_{0};
  std::atomic<int> read_error_{0};
  std::atomic<TimeMs> clock_step_{0};
  std::atomic<int> failed_syncs_{0}, failed_writes_{0}, failed_reads_{0};
};

}  // namespace gb::test
