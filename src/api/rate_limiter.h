// SlidingWindowLimiter: at most `limit` events per key within any window of `window_ms`,
// counted exactly (a log of the times of the accepted events per key). Used to limit
// Open311 posts and residents' feedback per client address.
//
// Memory is bounded: a key costs at most `limit` timestamps, and the number of keys is
// capped at `max_keys`; when the cap is reached, keys with no event inside the window
// are dropped first, then the least recently used ones.
//
// Thread-safe: one mutex; Allow() is O(limit) amortised.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

#include "api/rate_window.h"
#include "core/env.h"

namespace gb {

class SlidingWindowLimiter {
 public:
  // REQUIRES: env outlives the limiter. limit ≤ 0 disables limiting (Allow() always true).
  SlidingWindowLimiter(Env* env, int limit, TimeMs window_ms = 60'000, std::size_t max_keys = 100'000);

  // Records an event for `key` and returns true when it is within the limit. A refused
  // event is not recorded. *retry_after_ms (if given) receives, on refusal, the time until
  // the oldest event leaves the window.
  bool Allow(const std::string& key, TimeMs* retry_after_ms = nullptr);

  std::size_t KeyCount() const;

 private:
  Env* env_;
  const int limit_;
  mutable std::mutex mu_;
  SlidingWindowLog log_;  // guarded by mu_
};

}  // namespace gb
