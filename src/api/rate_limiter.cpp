#include "api/rate_limiter.h"

#include <algorithm>

namespace gb {

SlidingWindowLimiter::SlidingWindowLimiter(Env* env, int limit, TimeMs window_ms, std::size_t max_keys)
    : env_(env), limit_(limit), log_(std::max<TimeMs>(1, window_ms), max_keys) {}

bool SlidingWindowLimiter::Allow(const std::string& key, TimeMs* retry_after_ms) {
  if (limit_ <= 0) return true;
  TimeMs now = env_->MonotonicMs();  // a window is elapsed time: a step of the wall clock moves none
  std::lock_guard lock(mu_);
  // Refused while the key holds `limit` events in the window; then the oldest one leaving
  // frees a slot.
  TimeMs ready = log_.ReadyAt(key, static_cast<std::size_t>(limit_), now);
  if (ready > now) {
    if (retry_after_ms) *retry_after_ms = ready - now;
    return false;
  }
  log_.Record(key, now);
  return true;
}

std::size_t SlidingWindowLimiter::KeyCount() const {
  std::lock_guard lock(mu_);
  return log_.KeyCount();
}

}  // namespace gb
