// The embedded Store engine: one SQLite file in WAL mode.
//
// Connections: one writer, guarded by a mutex, runs every Write() as BEGIN IMMEDIATE …
// COMMIT; Write() then releases the mutex and waits until the WAL is fsync'd (GroupSync:
// one fsync serves every commit waiting for it, and the next transaction runs meanwhile),
// so an OK return means the transaction survives kill -9 or power loss. Readers may see a
// transaction a few milliseconds before its Write() returns; a power loss in that window
// loses it, and its writer was never told it was stored. Reads use a pool of reader connections (created on
// first use, at most one per hardware thread and at least two); each read is one statement,
// hence one consistent snapshot of committed data, and never waits for the writer.
//
// Speed (the ingest path runs FindOpenIncidents, InsertEvent and often
// GetIncident/UpdateIncident per event, a thousand events per Write, after looking its keys
// up with FindEventsByKeys on a reader, outside the write lock): every statement is
// prepared once per connection; open incidents are searched in memory (store/open_index.h);
// the writer keeps the incident rows it has read or written, so touching an incident again,
// in this transaction or a later one, reads no row (both are dropped after a rollback or
// another connection's commit); UpdateIncident leaves the indexes alone when no indexed
// column changed; per-state counts are applied once per transaction; and nothing on that
// path uses triggers or AUTOINCREMENT on events.
//
// The writer checkpoints (copies the WAL into the database file) after the commit that takes
// the WAL past 32 MiB, which bounds the WAL; see Configure in sqlite_store.cpp.
//
// I/O: every connection opens its files through the VFS of Options::env (env_vfs.h), and
// the WAL's group sync asks the same Env, so that a test Env can fail any read, write, sync
// or truncation.
//
// Faults, and what happens after them:
// - A write that fails for lack of space (SQLITE_FULL: NoSpace) or an I/O error
//   (Unavailable) rolls back whole; the next Write tries again as usual.
// - A failed fsync of the WAL is never retried nor trusted (group_sync.h): Write refuses
//   with Unavailable until the store recovers, which the next Write (or the probe) tries
//   first: close every connection, reader and writer, open the writer again (SQLite reads
//   the WAL back from its file), checkpoint the whole WAL into the database file, which with
//   synchronous=NORMAL fsyncs the database file after the copy, and truncate the WAL. Only
//   when all of that succeeds are writes acknowledged again.
// - Ping (/readyz) answers false from a Write that failed with Unavailable or NoSpace until
//   a later Write succeeds. A probe thread makes that happen without client traffic: every
//   Options::probe_interval while the store is not writable, it recovers if needed and
//   replaces one row of its own (a WAL frame, synced as any commit).
//
// Failures: methods that return a Status report SQLite errors (a UNIQUE violation is
// Conflict; a full disk is NoSpace; busy and I/O errors are Unavailable), and so do reads
// that return a Result. Reads that return a bare optional or vector still answer "nothing"
// when SQLite fails; inside Write() such a failure also makes the
// transaction roll back and Write() return the error, even if the callback returned OK.
// An exception thrown by the callback rolls the transaction back and is rethrown.
//
// Behaviour the Store interface leaves open, as this engine does it:
// - Limits are clamped: ListIncidents and ListAudit to 1..1000, ListReports to 1..1000
//   (offset ≥ 0), ChangesAfter to 1..10000, EventsOfIncident to 0..10000.
// - An incident's events are found through its chain of event links (event_links.h), not an
//   index on events(incident_id); InsertEvent and MoveEvents add to the chains at the end of
//   the transaction, and a read of an incident's events inside it writes them first.
// - ListReports is newest first (requested_at, then id). `end` is inclusive (Open311's
//   end_date is the latest time to include). Open means the linked incident is not resolved
//   or rejected; a report without an incident is open.
// - MoveEvents also moves reports: all of `from`'s reports when `event_ids` is empty,
//   otherwise the reports whose event moves (an event of source kind `report` whose
//   source_id is "report-<report id>", or the bare decimal id). It returns NotFound when a listed event is not
//   part of `from_incident`; the caller's Write then rolls back.
// - Write() called from inside a Write() callback returns Internal instead of deadlocking.
// - At most one token of a name is live unless a rotation's grace period is running (names
//   identify actors in the audit log); PutToken checks and retires in the same transaction.
// - InsertEvent and MoveEvents do not touch the incident's event_count or times; the caller
//   keeps those (it updates the incident in the same Write anyway).
// - Purge, in one transaction (with foreign keys unenforced, as it deletes children first):
//   events older than their category's cutoff, and event links whose events all are;
//   closed incidents (resolved, rejected, merged) with updated_at < incidents_before, with
//   their events, links and reports; reports without an incident requested before
//   incidents_before; stream changes older than incidents_before (a change is never newer
//   than its incident's updated_at); audit entries before audit_before; evidence records
//   created before evidence_before (their hashes are returned whether or not a remaining
//   event still names them: retention wins). Expired sessions and idempotent replies older
//   than the latest of the cutoffs go too. A zero cutoff purges nothing. Incident counters
//   are not recomputed after their old events go.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "store/sqlite/db.h"
#include "store/sqlite/group_sync.h"
#include "store/open_index.h"
#include "store/store.h"

namespace gb {

// Incident rows by id, as the writer last stored or read them.
using IncidentRows = std::unordered_map<Id, Incident>;

class SqliteStore final : public Store {
 public:
  struct Options {
    int max_readers = 0;             // 0: one per hardware thread, at least 2
    int writer_cache_kib = 64 * 1024;
    int reader_cache_kib = 16 * 1024;
    // Every file operation asks it first (env_vfs.h). REQUIRED: outlives the store.
    Env* env = Env::Default();
    // How long after a failed write the probe first tries one, and then between tries.
    std::chrono::milliseconds probe_interval{2000};
  };

  // Opens or creates the database file at `path` and applies pending migrations.
  // Unavailable when the file cannot be opened or is not a Glassbrain database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path) { return Open(path, Options()); }

  ~SqliteStore() override;

  Status Write(const std::function<Status(WriteTxn&)>& fn) override;

  Result<std::optional<Incident>> GetIncident(Id id) override;
  Result<std::vector<Incident>> ListIncidents(const IncidentFilter& filter) override;
  Result<std::vector<Event>> EventsOfIncident(Id incident_id, int limit) override;
  Result<std::vector<std::optional<std::pair<Id, Id>>>> FindEventsByKeys(
      const std::vector<std::string_view>& keys) override;
  Result<std::vector<std::pair<IncidentState, std::int64_t>>> CountIncidentsByState() override;
  Result<std::vector<IncidentChange>> ChangesAfter(Id seq, int limit) override;
  Result<Id> LastChangeSeq() override;
  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) override;
  Result<AuditChain> GetAuditChain() override;
  Status ScanAudit(const std::function<Status(const AuditEntry&)>& fn) override;
  Result<std::vector<AuditTally>> TallyAudit(const AuditTallyQuery& query) override;
  Result<std::vector<TimeMs>> ResolveDurations(TimeMs from, TimeMs to) override;
  Result<OpenIncidentCounts> CountOpenIncidents() override;
  Result<std::vector<std::pair<std::string, std::int64_t>>> CountOpenTasks() override;
  Result<std::vector<Id>> TaskOrder(const std::string& user) override;

  Result<std::optional<Report>> GetReport(Id id) override;
  Result<std::optional<Report>> FindReportByToken(const std::string& token) override;
  Result<std::optional<Report>> FindReportByMedia(const std::string& media_ref) override;
  Result<std::vector<ReportView>> ListReports(const ReportFilter& filter) override;

  Result<std::optional<EvidenceRecord>> GetEvidence(const std::string& hash) override;

  Result<std::vector<ConfigDoc>> ListConfig(ConfigKind kind) override;
  Result<std::optional<ConfigDoc>> GetConfig(ConfigKind kind, const std::string& id) override;

  Result<std::optional<User>> GetUser(const std::string& name) override;
  Result<std::vector<User>> ListUsers() override;
  Result<std::optional<ApiToken>> FindToken(const std::string& token_hash) override;
  Result<std::vector<ApiToken>> ListTokens() override;
  Result<std::optional<Session>> GetSession(const std::string& id_hash) override;
  Result<std::optional<IdempotentReply>> GetIdempotentReply(const std::string& scope_key) override;

  Result<PurgeResult> Purge(const RetentionCutoffs& cutoffs) override;

  // False while the store cannot write (see "Faults" above) or cannot read.
  bool Ping() override;

 private:
  class Readers;
  SqliteStore(std::string path, std::string vfs, const Options& options, std::unique_ptr<sqlite::Database> writer,
              std::unique_ptr<Readers> readers);
  // Write(), optionally with foreign keys unenforced for the transaction.
  Status WriteWith(const std::function<Status(WriteTxn&)>& fn, bool foreign_keys);
  // Write() under the write mutex, up to COMMIT; fills the commit's durability ticket.
  Status Commit(const std::function<Status(WriteTxn&)>& fn, bool foreign_keys, std::uint64_t& ticket);
  // After a failed sync: closes every connection, reopens the writer, checkpoints the whole
  // WAL and restarts the group sync (see "Faults"). OK at once when no sync has failed.
  // REQUIRES: write_mu_ held.
  Status RecoverLocked();
  // Keeps Ping's answer: called with every Write's outcome.
  void NoteWrite(const Status& s);
  // The probe thread's loop (see "Faults").
  void Probe();

  const std::string path_, vfs_;
  const Options options_;
  std::mutex write_mu_;
  std::atomic<std::thread::id> write_owner_{};
  std::unique_ptr<sqlite::Database> writer_;
  std::unique_ptr<Readers> readers_;
  sqlite::GroupSync durable_;
  // Under write_mu_: the open incidents, the incident rows the writer last read or wrote
  // (at most a few thousand), and the data_version both were last checked against.
  OpenIncidentIndex open_index_;
  IncidentRows incident_rows_;
  std::int64_t data_version_ = -1;

  // Ping's answer, and when it last turned false (steady clock).
  std::atomic<bool> writable_{true};
  std::atomic<std::chrono::steady_clock::rep> unwritable_since_{0};
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  bool stopping_ = false;  // under probe_mu_
  std::thread probe_;      // last: starts once everything above is ready
};

}  // namespace gb
