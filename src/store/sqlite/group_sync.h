// GroupSync: makes commits durable after the write lock is released, one fsync for every
// commit that is waiting (group commit).
//
// The writer commits with synchronous=NORMAL, so COMMIT writes the transaction's WAL frames
// but does not fsync them; the transaction is then visible to readers, and survives the
// process being killed (the frames are in the operating system's cache), but not yet a power
// loss. Write() takes a ticket under its lock (Committed), releases the lock and waits
// (WaitDurable) until a sync that started after its COMMIT has finished. While one batch
// waits for the disk the next one already runs its transaction; when several wait, the first
// to arrive syncs for all. A power loss can only lose transactions whose Write() has not
// returned yet: SQLite's WAL checksums drop frames that were not completely written.
//
// A failed sync is never retried nor trusted (PostgreSQL's rule since 2018): after fsync
// fails, Linux may drop the dirty pages and report success to a later fsync, so no later
// success on the same file could be trusted. Every later WaitDurable (and Write, which checks
// Broken first) answers Unavailable until the store has made its data durable another way
// and calls Restart: SqliteStore closes every connection, opens them again (SQLite then reads
// the WAL back from the file), checkpoints the whole WAL into the database file and fsyncs
// that, and only then acknowledges writes again. A commit that was waiting when the sync
// failed is never acknowledged, even after Restart: its writer is told Unavailable and sends
// it again (idempotency keys make that safe).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "core/env.h"
#include "core/status.h"

namespace gb::sqlite {

class GroupSync {
 public:
  // `sync` makes everything written so far to the WAL durable (for SQLite: fdatasync of the
  // -wal file). Tests pass their own to count calls and inject failures.
  explicit GroupSync(std::function<Status()> sync) : sync_(std::move(sync)) {}

  // A sync of the file at `wal_path` (fdatasync, after asking `env`: core/env.h
  // CheckFileIo), opened on first use and kept open.
  static std::function<Status()> SyncFile(std::string wal_path, Env* env);

  // Records that one more transaction has committed; returns its ticket. Call right after
  // COMMIT returns, still holding the write lock, so tickets follow WAL order.
  std::uint64_t Committed() { return committed_.fetch_add(1, std::memory_order_acq_rel) + 1; }

  // Returns OK once every commit up to `ticket` is on stable storage.
  Status WaitDurable(std::uint64_t ticket);

  // Not OK once a sync has failed (see above), until Restart.
  Status Broken();

  // Starts over after a failed sync, once every commit so far is durable by other means:
  // `sync` replaces the old sync (whose file may be gone). Commits that were not durable when
  // the sync failed stay unacknowledged. REQUIRES: no Committed() runs meanwhile (the caller
  // holds the write lock).
  void Restart(std::function<Status()> sync);

  // How many syncs ran: fewer than tickets when commits were grouped.
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  std::function<Status()> sync_;
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::mutex mu_;
  std::condition_variable done_;
  std::uint64_t durable_ = 0;  // every ticket up to this one is durable
  bool syncing_ = false;       // a leader is inside sync_
  Status failed_;              // the first failure, kept until Restart
  // Tickets in (lost_after_, lost_through_] were waiting when a sync failed: never acknowledged.
  std::uint64_t lost_after_ = 0, lost_through_ = 0;
};

}  // namespace gb::sqlite
