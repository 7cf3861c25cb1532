// Thin RAII wrappers over the SQLite C API: a connection (Database), its prepared
// statements (Statement) and one use of a statement (Query).
//
// Thread-safety: a Database and everything obtained from it must be used by one thread at a
// time (connections are opened with SQLITE_OPEN_NOMUTEX); the caller provides the locking.
//
// Statement cache: hot SQL is named by a static SqlKey and prepared once per connection with
// SQLITE_PREPARE_PERSISTENT; a lookup is an index into a vector. SQL built by code at run
// time (filter lists) is cached by its text in a small bounded map. All values go through
// bind parameters; SQL text never contains input.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace gb::sqlite {

// Names one SQL text for the per-connection statement cache.
// REQUIRES: `sql` has static storage duration; define SqlKeys as namespace-scope constants.
class SqlKey {
 public:
  explicit SqlKey(const char* sql);
  SqlKey(const SqlKey&) = delete;
  SqlKey& operator=(const SqlKey&) = delete;
  const char* sql() const { return sql_; }
  std::size_t slot() const { return slot_; }

 private:
  const char* sql_;
  std::size_t slot_;
};

// Maps an SQLite result code to a Status: constraint violations are Conflict, busy/locked,
// full disk and I/O errors are Unavailable, anything else is Internal.
Status StatusFromSqlite(int rc, std::string_view context, std::string_view detail);

// An owned prepared statement.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  bool in_use = false;

 private:
  sqlite3_stmt* stmt_;
};

class Database;

// One use of a prepared statement: bind (1-based), step, read columns (0-based). When
// destroyed it resets the statement and clears its bindings, so text bound without a copy
// only has to outlive the Query. Binding a temporary std::string does not compile.
class Query {
 public:
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query();

  template <std::integral T>
  Query& Bind(int i, T v) {
    if (stmt_) Check(sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v)));
    return *this;
  }
  Query& Bind(int i, double v) {
    if (stmt_) Check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  // Text is not copied: it must stay alive and unchanged until the Query is destroyed.
  Query& Bind(int i, std::string_view v) {
    if (stmt_) Check(sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  Query& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Query& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Query& Bind(int, std::string&&) = delete;
  Query& BindNull(int i) {
    if (stmt_) Check(sqlite3_bind_null(stmt_, i));
    return *this;
  }
  // Binds NULL for 0, the id otherwise (nullable foreign keys).
  Query& BindId(int i, std::int64_t id) { return id == 0 ? BindNull(i) : Bind(i, id); }

  // Steps once: true when a row is ready; false when done or on an error (see status()).
  bool Step();
  // Steps until done; returns the first error.
  Status Run();
  const Status& status() const { return status_; }

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Valid until the next Step() or the end of the Query.
  std::string_view View(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
  }
  std::string Text(int col) const { return std::string(View(col)); }
  void TextTo(int col, std::string& out) const { out.assign(View(col)); }

 private:
  friend class Database;
  Query(Database* db, Statement* cached, std::unique_ptr<Statement> owned, Status prepare_status);
  void Check(int rc);

  Database* db_;
  Statement* cached_;                // borrowed from the cache, or null
  std::unique_ptr<Statement> owned_; // a private statement when the cached one is busy
  sqlite3_stmt* stmt_;
  Status status_;
};

// Sets the process-wide SQLite options that only apply before SQLite initialises itself.
// Every path into SQLite here calls it first; idempotent and thread-safe.
void ConfigureSqlite();

// One connection.
class Database {
 public:
  // Opens (and with `create`, creates) the file through the VFS named `vfs` (env_vfs.h;
  // "" for SQLite's default). NOMUTEX, extended result codes, no URIs.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create, const std::string& vfs = "");
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL written by the code (pragmas, DDL, transaction control); never input.
  Status Exec(const char* sql);
  // A cached statement for a static SQL text.
  Query Use(const SqlKey& key);
  // A statement for SQL composed by code at run time, cached by its text.
  Query UseDynamic(const std::string& sql);

  std::int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  Status Error(int rc, std::string_view context) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<Statement*> PrepareInto(std::unique_ptr<Statement>& slot, const char* sql, int len);
  Query MakeQuery(std::unique_ptr<Statement>& slot, const char* sql, int len);

  sqlite3* db_;
  std::string path_;
  std::vector<std::unique_ptr<Statement>> by_key_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> by_text_;
};

}  // namespace gb::sqlite
