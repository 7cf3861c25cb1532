#include "store/sqlite/db.h"

#include <atomic>
#include <cstring>
#include <mutex>

namespace gb::sqlite {
namespace {

std::atomic<std::size_t> next_slot{0};

// Dynamic statements are few (one per combination of filters); the bound only protects
// against unbounded growth from long IN lists of varying length.
constexpr std::size_t kMaxDynamicStatements = 128;

}  // namespace

SqlKey::SqlKey(const char* sql) : sql_(sql), slot_(next_slot.fetch_add(1, std::memory_order_relaxed)) {}

Status StatusFromSqlite(int rc, std::string_view context, std::string_view detail) {
  std::string message(context);
  if (!detail.empty()) {
    message += ": ";
    message += detail;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::Conflict(std::move(message));
    case SQLITE_FULL:
      return Status::NoSpace(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(std::move(message));
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
    default:
      return Status::Internal(std::move(message));
  }
}

// ---- Query ---------------------------------------------------------------------------------

Query::Query(Database* db, Statement* cached, std::unique_ptr<Statement> owned, Status prepare_status)
    : db_(db),
      cached_(cached),
      owned_(std::move(owned)),
      stmt_(cached_ ? cached_->get() : owned_ ? owned_->get() : nullptr),
      status_(std::move(prepare_status)) {
  if (cached_) cached_->in_use = true;
}

Query::Query(Query&& other) noexcept
    : db_(other.db_),
      cached_(other.cached_),
      owned_(std::move(other.owned_)),
      stmt_(other.stmt_),
      status_(std::move(other.status_)) {
  other.cached_ = nullptr;
  other.stmt_ = nullptr;
}

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  if (cached_) cached_->in_use = false;
}

void Query::Check(int rc) {
  if (rc != SQLITE_OK && status_.ok()) status_ = db_->Error(rc, "cannot bind a statement parameter");
}

bool Query::Step() {
  if (!stmt_ || !status_.ok()) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = db_->Error(rc, "SQLite statement failed");
  return false;
}

Status Query::Run() {
  while (Step()) {
  }
  return status_;
}

// ---- Database ------------------------------------------------------------------------------

void ConfigureSqlite() {
  // Memory statistics put a global mutex around every allocation SQLite makes; nothing here
  // reads them. Only possible before SQLite initialises: if another part of the process got
  // there first, the call fails harmlessly.
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create, const std::string& vfs) {
  ConfigureSqlite();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::Unavailable("cannot open the SQLite database " + path + ": " + detail +
                               " (does its directory exist and is it writable?)");
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db, path));
}

Database::~Database() {
  by_key_.clear();  // statements first: close_v2 would otherwise defer the close
  by_text_.clear();
  sqlite3_close_v2(db_);
}

Status Database::Error(int rc, std::string_view context) const {
  // errmsg describes the latest failure on this connection; fall back to the code's text.
  const char* msg = sqlite3_extended_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return StatusFromSqlite(rc, context, msg ? msg : "");
}

Status Database::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string detail = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return StatusFromSqlite(rc, "SQLite command failed", detail);
}

Result<Statement*> Database::PrepareInto(std::unique_ptr<Statement>& slot, const char* sql, int len) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, len, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "cannot prepare an SQLite statement");
  slot = std::make_unique<Statement>(stmt);
  return slot.get();
}

Query Database::MakeQuery(std::unique_ptr<Statement>& slot, const char* sql, int len) {
  if (slot && !slot->in_use) return Query(this, slot.get(), nullptr, Status::Ok());
  if (!slot) {
    auto prepared = PrepareInto(slot, sql, len);
    if (!prepared.ok()) return Query(this, nullptr, nullptr, prepared.status());
    return Query(this, *prepared, nullptr, Status::Ok());
  }
  // The cached statement is active further up the stack: use a private one this time.
  std::unique_ptr<Statement> owned;
  auto prepared = PrepareInto(owned, sql, len);
  if (!prepared.ok()) return Query(this, nullptr, nullptr, prepared.status());
  return Query(this, nullptr, std::move(owned), Status::Ok());
}

Query Database::Use(const SqlKey& key) {
  if (by_key_.size() <= key.slot()) by_key_.resize(key.slot() + 1);
  return MakeQuery(by_key_[key.slot()], key.sql(), -1);
}

Query Database::UseDynamic(const std::string& sql) {
  auto it = by_text_.find(sql);
  if (it == by_text_.end()) {
    if (by_text_.size() >= kMaxDynamicStatements) {
      for (auto i = by_text_.begin(); i != by_text_.end();) {
        if (i->second && i->second->in_use) {
          ++i;
        } else {
          i = by_text_.erase(i);
        }
      }
    }
    it = by_text_.emplace(sql, nullptr).first;
  }
  return MakeQuery(it->second, it->first.c_str(), static_cast<int>(it->first.size()));
}

}  // namespace gb::sqlite
