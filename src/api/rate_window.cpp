#include "api/rate_window.h"

#include <algorithm>

namespace gb {

SlidingWindowLog::SlidingWindowLog(TimeMs window_ms, std::size_t max_keys)
    : window_ms_(std::max<TimeMs>(0, window_ms)), max_keys_(std::max<std::size_t>(1, max_keys)) {}

SlidingWindowLog::Map::iterator SlidingWindowLog::Prune(Map::iterator it, TimeMs now) {
  Times& times = it->second;
  while (!times.empty() && times.front() <= now - window_ms_) times.pop_front();
  if (!times.empty()) return it;
  logs_.erase(it);
  return logs_.end();
}

std::size_t SlidingWindowLog::Count(std::string_view key, TimeMs now) {
  auto it = logs_.find(key);
  if (it == logs_.end()) return 0;
  it = Prune(it, now);
  return it == logs_.end() ? 0 : it->second.size();
}

std::optional<TimeMs> SlidingWindowLog::Newest(std::string_view key, TimeMs now) {
  auto it = logs_.find(key);
  if (it == logs_.end()) return std::nullopt;
  it = Prune(it, now);
  if (it == logs_.end()) return std::nullopt;
  return it->second.back();
}

TimeMs SlidingWindowLog::ReadyAt(std::string_view key, std::size_t max, TimeMs now) {
  auto it = logs_.find(key);
  if (it == logs_.end()) return now;
  it = Prune(it, now);
  if (it == logs_.end() || it->second.size() < max) return now;
  // The count drops below max when the time at index size - max leaves the window.
  const Times& times = it->second;
  return times[times.size() - max] + window_ms_;
}

void SlidingWindowLog::Record(std::string_view key, TimeMs at) {
  auto it = logs_.find(key);
  if (it == logs_.end()) {
    if (logs_.size() >= max_keys_) MakeRoom(at);
    it = logs_.emplace(std::string(key), Times{}).first;
  }
  it->second.push_back(at);
}

bool SlidingWindowLog::RemoveOne(std::string_view key, TimeMs at) {
  auto it = logs_.find(key);
  if (it == logs_.end()) return false;
  Times& times = it->second;
  auto pos = std::find(times.begin(), times.end(), at);
  if (pos == times.end()) return false;
  times.erase(pos);
  if (times.empty()) logs_.erase(it);
  return true;
}

void SlidingWindowLog::Erase(std::string_view key) {
  if (auto it = logs_.find(key); it != logs_.end()) logs_.erase(it);
}

void SlidingWindowLog::Sweep(TimeMs now) {
  for (auto it = logs_.begin(); it != logs_.end();) {
    auto next = std::next(it);
    Prune(it, now);
    it = next;
  }
}

void SlidingWindowLog::MakeRoom(TimeMs now) {
  std::erase_if(logs_, [&](const auto& entry) { return entry.second.back() <= now - window_ms_; });
  while (logs_.size() >= max_keys_) {
    auto oldest = std::min_element(logs_.begin(), logs_.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    logs_.erase(oldest);
  }
}

}  // namespace gb
