// Spool: the events raised and not yet acknowledged by the hub, on disk. Each event is one
// record file holding its JSON and its evidence JPEGs, written durably (temporary file,
// fsync, rename, fsync of the directory) before Raise() returns, so a raised event survives
// a crash or kill -9 and a restarted agent sends it.
//
// Records are named by a sequence number, so "oldest" is the order of raising. When a new
// record would take the spool over max_bytes, the oldest records are dropped (counted in
// glassbrain_edge_spool_dropped_total and logged). An event whose idempotency key is already
// in the spool is kept once.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "edge/metrics.h"
#include "edge/output.h"

namespace gb::edge {

struct SpooledEvent {
  std::uint64_t seq = 0;
  EdgeEvent event;
};

class Spool : public EventOutput {
 public:
  // Creates `dir` if needed, removes leftovers of interrupted writes and reads the records
  // there. `env` and `metrics` must outlive the spool.
  static Result<std::unique_ptr<Spool>> Open(const std::string& dir, std::int64_t max_bytes, Env* env,
                                             EdgeMetrics* metrics);

  ~Spool() override { metrics_->SetSpoolGauges(nullptr); }

  Status Raise(const EdgeEvent& event) override;

  // The oldest events, at most `max_events` and (beyond the first) at most `max_json_bytes`
  // of JSON, read back from their records. A record that cannot be read is removed and logged.
  std::vector<SpooledEvent> Oldest(std::size_t max_events, std::size_t max_json_bytes);
  // Removes a delivered (or rejected) record; removing one already gone is OK.
  Status Remove(std::uint64_t seq);

  std::int64_t events() const;
  std::int64_t bytes() const;
  // Blocks until the spool holds an event or `timeout` passes; true when it holds one.
  bool WaitForEvents(std::chrono::milliseconds timeout);

  // The record format, exposed for tests: Encode(event) is what a record file holds.
  static std::string EncodeRecord(const EdgeEvent& event);
  static Result<EdgeEvent> DecodeRecord(std::string_view record);

 private:
  Spool(std::string dir, std::int64_t max_bytes, Env* env, EdgeMetrics* metrics)
      : dir_(std::move(dir)), max_bytes_(max_bytes), env_(env), metrics_(metrics) {}
  std::string PathOf(std::uint64_t seq) const;
  void Forget(std::map<std::uint64_t, std::pair<std::string, std::int64_t>>::iterator it);

  const std::string dir_;
  const std::int64_t max_bytes_;
  Env* const env_;
  EdgeMetrics* const metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::pair<std::string, std::int64_t>> records_;  // seq → (key, bytes)
  std::set<std::string> keys_;
  std::int64_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
};

}  // namespace gb::edge
