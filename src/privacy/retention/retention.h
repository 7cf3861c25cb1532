// Retention: data past the district's retention periods is deleted, evidence files with it,
// so that nothing is kept longer than the transparency page says. Run by `glassbrain purge`
// and by the hub's hourly job.
//
// Thread-safety: PurgeExpired may run beside the hub's requests (the store serialises its
// writes); PurgeClock is a value.
#pragma once

#include <algorithm>
#include <string>

#include "core/env.h"
#include "district/district.h"
#include "store/store.h"

namespace gb {

// Deletes data that is past its retention at `now` (per the district's settings and each
// service's retention_days), evidence files included. Shared by `glassbrain purge` (now: the
// wall clock) and the hub's periodic job (now: PurgeClock).
Result<PurgeResult> PurgeExpired(Store& store, const District& district, const std::string& evidence_dir, Env* env,
                                 TimeMs now);

// The time the hub's periodic purge cuts at: the wall clock, but never later than the wall
// clock at construction plus the monotonic time elapsed since. So a wall clock stepped
// forward (by days, say) removes nothing whose retention has not passed in elapsed time; one
// stepped back only makes data go later. The price: a wall clock that was behind when the hub
// started and is corrected forward afterwards purges that much late until the hub restarts.
class PurgeClock {
 public:
  explicit PurgeClock(Env* env) : env_(env), wall_at_start_(env->NowMs()), monotonic_at_start_(env->MonotonicMs()) {}
  TimeMs Now() const {
    return std::min(env_->NowMs(), wall_at_start_ + (env_->MonotonicMs() - monotonic_at_start_));
  }

 private:
  Env* env_;
  TimeMs wall_at_start_, monotonic_at_start_;
};

}  // namespace gb
