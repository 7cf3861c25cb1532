// Real stores for unit tests.
//
// TempStore opens the SQLite engine on a fresh file in its own temporary directory and
// removes the directory when it goes. FailableStore wraps any Store, forwards every call to
// it, and can be told to answer writes with Unavailable, as a store that is down would.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "store/store.h"

namespace gb::test {

// A real SQLite store in a temporary directory of its own (RAII: closing the store and
// removing the directory happen in the destructor). Throws std::runtime_error when the
// directory or the store cannot be made; gtest reports that as a failed test.
class TempStore {
 public:
  TempStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gb-unit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory from " + pattern + ": " + std::strerror(errno));
    dir_ = pattern;
    path_ = (dir_ / "glassbrain.db").string();
    auto opened = OpenStore("sqlite:" + path_);
    if (!opened.ok()) {
      RemoveDir();
      throw std::runtime_error("cannot open the store " + path_ + ": " + opened.status().message());
    }
    store_ = std::move(*opened);
  }
  ~TempStore() {
    store_.reset();  // close every connection before the file goes
    RemoveDir();
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  Store& store() { return *store_; }
  Store* operator->() { return store_.get(); }
  const std::string& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Runs SQL on a private connection to the same file: for inspecting tables the Store
  // interface does not list, and for changes it does not offer (an operator editing the
  // database by hand).
  Status Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_free(error);
    sqlite3_close(db);
    if (rc != SQLITE_OK) return Status::Internal(sql + ": " + message);
    return Status::Ok();
  }

  // The number of rows in `table` (a constant of the test, never input), or -1 on error.
  std::int64_t CountRows(const std::string& table) {
    const std::string sql = "SELECT count(*) FROM " + table;
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    if (n < 0) ADD_FAILURE() << sql << ": " << (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

 private:
  void RemoveDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

// A Store that forwards every call to a real one, with switches a test can turn:
// - SetFailWrites(true): Write() and Purge() answer Unavailable("the store is down")
//   without running anything, until switched back.
// - SetReverseConfigLists(true): ListConfig() answers in the reverse of the real order, so
//   that callers cannot come to rely on the engine's order, which Store does not promise.
// It also counts: writes() is the number of Write() calls that committed, and
// last_write_mutations() the number of changing WriteTxn calls (everything but the finds
// and gets) that the callback of the most recent Write() made, whether or not it committed.
class FailableStore final : public Store {
 public:
  // What FindEventsByKeys answers: the truth, Unavailable, or "no key is stored" (a snapshot
  // taken before every stored event, as when a retry races its first try).
  enum class KeyLookups { kReal, kFail, kStale };

  explicit FailableStore(Store& inner) : inner_(inner) {}

  void SetFailWrites(bool fail) { fail_writes_ = fail; }
  void SetReverseConfigLists(bool reverse) { reverse_config_lists_ = reverse; }
  void SetKeyLookups(KeyLookups mode) { key_lookups_ = mode; }
  int writes() const { return writes_; }
  int last_write_mutations() const { return last_write_mutations_; }

  Status Write(const std::function<Status(WriteTxn&)>& fn) override {
    if (fail_writes_) return Status::Unavailable("the store is down");
    int mutations = 0;
    Status s = inner_.Write([&](WriteTxn& txn) -> Status {
      CountingTxn counting(txn);
      Status result = fn(counting);
      mutations = counting.mutations;
      return result;
    });
    last_write_mutations_ = mutations;
    if (s.ok()) ++writes_;
    return s;
  }

  Result<std::optional<Incident>> GetIncident(Id id) override { return inner_.GetIncident(id); }
  Result<std::vector<Incident>> ListIncidents(const IncidentFilter& filter) override { return inner_.ListIncidents(filter); }
  Result<std::vector<Event>> EventsOfIncident(Id incident_id, int limit) override {
    return inner_.EventsOfIncident(incident_id, limit);
  }
  Result<std::vector<std::optional<std::pair<Id, Id>>>> FindEventsByKeys(
      const std::vector<std::string_view>& keys) override {
    switch (key_lookups_) {
      case KeyLookups::kReal: return inner_.FindEventsByKeys(keys);
      case KeyLookups::kFail: return Status::Unavailable("the reader is down");
      case KeyLookups::kStale: return std::vector<std::optional<std::pair<Id, Id>>>(keys.size());
    }
    return Status::Internal("unknown key lookup mode");
  }
  Result<std::vector<std::pair<IncidentState, std::int64_t>>> CountIncidentsByState() override {
    return inner_.CountIncidentsByState();
  }
  Result<std::vector<IncidentChange>> ChangesAfter(Id seq, int limit) override { return inner_.ChangesAfter(seq, limit); }
  Result<Id> LastChangeSeq() override { return inner_.LastChangeSeq(); }
  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) override { return inner_.ListAudit(filter); }
  Result<AuditChain> GetAuditChain() override { return inner_.GetAuditChain(); }
  Status ScanAudit(const std::function<Status(const AuditEntry&)>& fn) override { return inner_.ScanAudit(fn); }
  Result<std::vector<AuditTally>> TallyAudit(const AuditTallyQuery& query) override {
    return inner_.TallyAudit(query);
  }
  Result<std::vector<TimeMs>> ResolveDurations(TimeMs from, TimeMs to) override {
    return inner_.ResolveDurations(from, to);
  }
  Result<OpenIncidentCounts> CountOpenIncidents() override { return inner_.CountOpenIncidents(); }
  Result<std::vector<std::pair<std::string, std::int64_t>>> CountOpenTasks() override {
    return inner_.CountOpenTasks();
  }
  Result<std::vector<Id>> TaskOrder(const std::string& user) override { return inner_.TaskOrder(user); }

  Result<std::optional<Report>> GetReport(Id id) override { return inner_.GetReport(id); }
  Result<std::optional<Report>> FindReportByToken(const std::string& token) override { return inner_.FindReportByToken(token); }
  Result<std::optional<Report>> FindReportByMedia(const std::string& media_ref) override {
    return inner_.FindReportByMedia(media_ref);
  }
  Result<std::vector<ReportView>> ListReports(const ReportFilter& filter) override { return inner_.ListReports(filter); }

  Result<std::optional<EvidenceRecord>> GetEvidence(const std::string& hash) override { return inner_.GetEvidence(hash); }

  Result<std::vector<ConfigDoc>> ListConfig(ConfigKind kind) override {
    auto docs = inner_.ListConfig(kind);
    if (docs.ok() && reverse_config_lists_) std::reverse(docs->begin(), docs->end());
    return docs;
  }
  Result<std::optional<ConfigDoc>> GetConfig(ConfigKind kind, const std::string& id) override {
    return inner_.GetConfig(kind, id);
  }

  Result<std::optional<User>> GetUser(const std::string& name) override { return inner_.GetUser(name); }
  Result<std::vector<User>> ListUsers() override { return inner_.ListUsers(); }
  Result<std::optional<ApiToken>> FindToken(const std::string& token_hash) override { return inner_.FindToken(token_hash); }
  Result<std::vector<ApiToken>> ListTokens() override { return inner_.ListTokens(); }
  Result<std::optional<Session>> GetSession(const std::string& id_hash) override { return inner_.GetSession(id_hash); }
  Result<std::optional<IdempotentReply>> GetIdempotentReply(const std::string& scope_key) override {
    return inner_.GetIdempotentReply(scope_key);
  }

  Result<PurgeResult> Purge(const RetentionCutoffs& cutoffs) override {
    if (fail_writes_) return Status::Unavailable("the store is down");
    return inner_.Purge(cutoffs);
  }

  bool Ping() override { return inner_.Ping(); }

 private:
  // Forwards to the real transaction, counting the calls that change something.
  class CountingTxn final : public WriteTxn {
   public:
    explicit CountingTxn(WriteTxn& inner) : inner_(inner) {}

    std::optional<std::pair<Id, Id>> FindEventByKey(const std::string& key) override {
      return inner_.FindEventByKey(key);
    }
    Status InsertEvent(Event& event, Id incident_id) override {
      ++mutations;
      return inner_.InsertEvent(event, incident_id);
    }
    std::vector<IncidentCandidate> FindOpenIncidents(const std::string& category, const GeoBox& box,
                                                     TimeMs since) override {
      return inner_.FindOpenIncidents(category, box, since);
    }
    std::optional<Incident> GetIncident(Id id) override { return inner_.GetIncident(id); }
    Status InsertIncident(Incident& incident) override {
      ++mutations;
      return inner_.InsertIncident(incident);
    }
    Status UpdateIncident(const Incident& incident) override {
      ++mutations;
      return inner_.UpdateIncident(incident);
    }
    Status MoveEvents(Id from_incident, Id to_incident, const std::vector<Id>& event_ids) override {
      ++mutations;
      return inner_.MoveEvents(from_incident, to_incident, event_ids);
    }
    std::vector<Event> EventsOfIncident(Id incident_id, int limit) override {
      return inner_.EventsOfIncident(incident_id, limit);
    }
    Result<ReportSummary> LatestReportOf(Id incident_id) override { return inner_.LatestReportOf(incident_id); }
    Status AppendChange(IncidentChange& change) override {
      ++mutations;
      return inner_.AppendChange(change);
    }
    Status AppendAudit(AuditEntry& entry) override {
      ++mutations;
      return inner_.AppendAudit(entry);
    }
    Status InsertReport(Report& report) override {
      ++mutations;
      return inner_.InsertReport(report);
    }
    Status PutEvidenceAlias(const std::string& alias, const std::string& hash) override {
      ++mutations;
      return inner_.PutEvidenceAlias(alias, hash);
    }
    Result<bool> PutEvidence(const EvidenceRecord& record) override {
      ++mutations;
      return inner_.PutEvidence(record);
    }
    Status PutConfig(const ConfigDoc& doc) override {
      ++mutations;
      return inner_.PutConfig(doc);
    }
    Status DeleteConfig(ConfigKind kind, const std::string& id) override {
      ++mutations;
      return inner_.DeleteConfig(kind, id);
    }
    Status PutUser(const User& user) override {
      ++mutations;
      return inner_.PutUser(user);
    }
    Status DeleteUser(const std::string& name) override {
      ++mutations;
      return inner_.DeleteUser(name);
    }
    Status PutToken(const ApiToken& token, std::optional<TimeMs> retire_others_at) override {
      ++mutations;
      return inner_.PutToken(token, retire_others_at);
    }
    Status ExpireTokens(const std::string& name, TimeMs at) override {
      ++mutations;
      return inner_.ExpireTokens(name, at);
    }
    Status TouchToken(const std::string& token_hash, TimeMs at) override {
      ++mutations;
      return inner_.TouchToken(token_hash, at);
    }
    Status DeleteSessionsOf(const std::string& user) override {
      ++mutations;
      return inner_.DeleteSessionsOf(user);
    }
    Status TouchSession(const std::string& id_hash, TimeMs at) override {
      ++mutations;
      return inner_.TouchSession(id_hash, at);
    }
    Status PutSession(const Session& session) override {
      ++mutations;
      return inner_.PutSession(session);
    }
    Status DeleteSession(const std::string& id_hash) override {
      ++mutations;
      return inner_.DeleteSession(id_hash);
    }
    Status PutIdempotentReply(const std::string& scope_key, const IdempotentReply& reply, TimeMs at) override {
      ++mutations;
      return inner_.PutIdempotentReply(scope_key, reply, at);
    }
    Status PutTaskOrder(const std::string& user, const std::vector<Id>& incident_ids) override {
      ++mutations;
      return inner_.PutTaskOrder(user, incident_ids);
    }

    int mutations = 0;

   private:
    WriteTxn& inner_;
  };

  Store& inner_;
  std::atomic<bool> fail_writes_{false};
  std::atomic<bool> reverse_config_lists_{false};
  std::atomic<KeyLookups> key_lookups_{KeyLookups::kReal};
  std::atomic<int> writes_{0};
  std::atomic<int> last_write_mutations_{0};
};

}  // namespace gb::test
