#include "api/open311/limiter.h"

#include <algorithm>

namespace gb::open311 {

SlidingWindowLimiter::SlidingWindowLimiter(Env* env, int limit, TimeMs window_ms, std::size_t max_keys)
    : env_(env), limit_(limit), window_ms_(std::max<TimeMs>(1, window_ms)), max_keys_(std::max<std::size_t>(1, max_keys)) {}

bool SlidingWindowLimiter::Allow(const std::string& key, TimeMs* retry_after_ms) {
  if (limit_ <= 0) return true;
  TimeMs now = env_->NowMs();
  std::lock_guard lock(mu_);
  auto it = hits_.find(key);
  if (it == hits_.end()) {
    if (hits_.size() >= max_keys_) Evict(now);
    it = hits_.emplace(key, std::deque<TimeMs>{}).first;
  }
  auto& times = it->second;
  while (!times.empty() && times.front() <= now - window_ms_) times.pop_front();
  if (times.size() >= static_cast<std::size_t>(limit_)) {
    if (retry_after_ms) *retry_after_ms = std::max<TimeMs>(1, times.front() + window_ms_ - now);
    return false;
  }
  times.push_back(now);
  return true;
}

std::size_t SlidingWindowLimiter::KeyCount() const {
  std::lock_guard lock(mu_);
  return hits_.size();
}

void SlidingWindowLimiter::Evict(TimeMs now) {
  std::erase_if(hits_, [&](const auto& entry) { return entry.second.empty() || entry.second.back() <= now - window_ms_; });
  while (hits_.size() >= max_keys_) {
    auto oldest = std::min_element(hits_.begin(), hits_.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    hits_.erase(oldest);
  }
}

}  // namespace gb::open311
