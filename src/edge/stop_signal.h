// StopSignal: the agent's "stop now", set once (SIGTERM, the end of a dry run) and seen by
// every thread. Waits on it end early when it is set, so that no thread sleeps through a
// shutdown. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace gb::edge {

class StopSignal {
 public:
  void Set() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  // Sleeps for `d` or until Set(); true when stopped.
  template <typename Duration>
  bool WaitFor(Duration d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [this] { return stopped_; });
  }
  template <typename TimePoint>
  bool WaitUntil(TimePoint t) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, t, [this] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace gb::edge
