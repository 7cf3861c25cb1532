// The baseline of the ingest benchmark: how fast this machine's SQLite stores event-shaped
// rows when nothing but SQLite runs. A raw in-process batched insert into a table with the
// same columns as the store's events table and a UNIQUE idempotency key, in WAL mode with
// synchronous=FULL (every commit fsync'd, as the hub's), one transaction per batch, one
// prepared statement reused for every row. The hub's HTTP ingest is reported as a ratio
// to this number measured in the same run.
//
// REQUIRES: `path` names a scratch file in an existing directory; the file and its -wal and
// -shm companions are replaced. batches ≥ 1, batch_size ≥ 1. Returns rows per second, or 0
// when SQLite fails. Not thread-safe with respect to `path`.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace gb {

inline double RawSqliteInsertRowsPerSecond(const std::string& path, int batches, int batch_size) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close_v2(db);
    return 0;
  }
  const char* setup =
      "PRAGMA journal_mode = WAL;"
      "PRAGMA synchronous = FULL;"
      "PRAGMA cache_size = -65536;"
      "CREATE TABLE events ("
      " id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, source_kind TEXT NOT NULL,"
      " source_id TEXT NOT NULL, category TEXT NOT NULL, rule TEXT NOT NULL, observed_at INTEGER NOT NULL,"
      " lat REAL NOT NULL, lon REAL NOT NULL, confidence REAL NOT NULL, attributes TEXT NOT NULL,"
      " evidence TEXT NOT NULL, incident_id INTEGER);";
  sqlite3_stmt* insert = nullptr;
  bool ok = sqlite3_exec(db, setup, nullptr, nullptr, nullptr) == SQLITE_OK &&
            sqlite3_prepare_v3(db,
                               "INSERT INTO events (idempotency_key, source_kind, source_id, category, rule, "
                               "observed_at, lat, lon, confidence, attributes, evidence, incident_id) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                               -1, SQLITE_PREPARE_PERSISTENT, &insert, nullptr) == SQLITE_OK;
  const std::string evidence = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const std::string attributes = "{\"dwell_s\": 312}";
  std::string key;
  const auto start = std::chrono::steady_clock::now();
  long long n = 0;
  for (int b = 0; ok && b < batches; ++b) {
    ok = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    for (int i = 0; ok && i < batch_size; ++i, ++n) {
      const int camera = static_cast<int>(n % 97);
      key = "cam-" + std::to_string(camera) + "/2026-11-24T10:15:02.120Z/stationary_vehicle/" + std::to_string(n);
      const std::string source = "cam-" + std::to_string(camera);
      sqlite3_bind_text(insert, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert, 2, "camera", -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 3, source.data(), static_cast<int>(source.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert, 4, "illegal_parking", -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 5, "stationary_vehicle", -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 6, 1795515302120LL + n);
      sqlite3_bind_double(insert, 7, 31.2304 + static_cast<double>(n % 1000) * 1e-5);
      sqlite3_bind_double(insert, 8, 121.4737 + static_cast<double>(n % 977) * 1e-5);
      sqlite3_bind_double(insert, 9, 0.87);
      sqlite3_bind_text(insert, 10, attributes.data(), static_cast<int>(attributes.size()), SQLITE_STATIC);
      sqlite3_bind_text(insert, 11, evidence.data(), static_cast<int>(evidence.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 12, 1 + n / 10);
      ok = sqlite3_step(insert) == SQLITE_DONE;
      sqlite3_reset(insert);
    }
    ok = ok && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close_v2(db);
  if (!ok || seconds <= 0) return 0;
  return static_cast<double>(n) / seconds;
}

}  // namespace gb
