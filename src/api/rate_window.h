// SlidingWindowLog: per key, the times of the events recorded for it that are still inside
// a sliding window. It is the machinery shared by the rate limiters
// (SlidingWindowLimiter, auth::LoginRateLimiter); they decide what to record and
// when to refuse.
//
// The window: a time t is inside it at `now` iff now - window_ms < t, so an event exactly
// window_ms old has left it. Times that have left are pruned lazily: when their key is looked
// at (Count, ReadyAt), by Sweep, and when room is needed for a new key. Times are expected in
// non-decreasing order per key (clock readings); a clock that steps back only delays pruning.
//
// Memory: a key costs one TimeMs per time held, and a key whose log becomes empty is dropped
// at once. The number of keys is capped at max_keys: recording for a new key when the cap is
// reached first drops the keys with no time inside the window, then the least recently used
// ones (the smallest last recorded time) until there is room. Making room is O(keys).
//
// Not thread-safe: the caller serializes every call. Each limiter holds its own mutex, so that
// a check and the records that follow it (on one key, or on keys of several logs) are one step.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/time.h"

namespace gb {

class SlidingWindowLog {
 public:
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  // A window below 0 is taken as 0 (no time stays inside it); max_keys below 1 as 1.
  explicit SlidingWindowLog(TimeMs window_ms, std::size_t max_keys = kUnbounded);

  // How many times `key` holds inside the window at `now`. Prunes the key.
  std::size_t Count(std::string_view key, TimeMs now);

  // The newest time `key` holds inside the window, if any. Prunes the key.
  std::optional<TimeMs> Newest(std::string_view key, TimeMs now);

  // The earliest time, not before `now`, at which `key` holds fewer than `max` times inside
  // the window if nothing more is recorded: `now` when it already does, otherwise the moment
  // its (count - max + 1)-th oldest time leaves the window (always later than `now`).
  // Prunes the key.
  // REQUIRES: max >= 1.
  TimeMs ReadyAt(std::string_view key, std::size_t max, TimeMs now);

  // Appends `at` to the log of `key`. A new key when the cap is reached first makes room
  // (see above), judging staleness at `at`.
  void Record(std::string_view key, TimeMs at);

  // Removes one time equal to `at` from the log of `key` (e.g. to take an attempt back).
  // Returns false, changing nothing, when there is none.
  bool RemoveOne(std::string_view key, TimeMs at);

  // Forgets every time of `key`.
  void Erase(std::string_view key);

  // Prunes every key, dropping those left empty. O(times held).
  void Sweep(TimeMs now);

  // Keys holding at least one time (some may have left the window but not been pruned yet).
  std::size_t KeyCount() const { return logs_.size(); }
  TimeMs window_ms() const { return window_ms_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Times = std::deque<TimeMs>;  // oldest first
  using Map = std::unordered_map<std::string, Times, Hash, std::equal_to<>>;

  // Drops the times of `it` that have left the window; erases the key if none is left and
  // returns end() then, else `it`.
  Map::iterator Prune(Map::iterator it, TimeMs now);
  void MakeRoom(TimeMs now);

  const TimeMs window_ms_;
  const std::size_t max_keys_;
  Map logs_;  // never holds an empty log
};

}  // namespace gb
