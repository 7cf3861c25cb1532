// The SQLite schema as numbered migration steps. Step N brings a database from
// PRAGMA user_version N-1 to N. Steps are only ever appended: a released step never changes.
//
// Thread-safety: ApplyMigrations needs exclusive use of the connection it is given.
#pragma once

#include <span>

#include "core/status.h"
#include "store/sqlite/db.h"

namespace gb::sqlite {

struct Migration {
  int version;
  const char* sql;
  // Runs after `sql` in the same transaction, for what SQL cannot compute (hashes).
  Status (*then)(Database& db) = nullptr;
};

// All steps in order; the last one's version is the schema version of this build.
std::span<const Migration> Migrations();
int LatestSchemaVersion();

// Applies every pending step in one IMMEDIATE transaction and sets user_version. Fails with
// Unavailable when the file's schema is newer than this build knows.
Status ApplyMigrations(Database& db);

}  // namespace gb::sqlite
