// `glassbrain backup` and `glassbrain restore` against a real hub under ingest: the backup
// is one consistent snapshot that holds every event acknowledged before it began, its
// evidence comes along, and the restored store serves exactly what the backup held. The
// refusals (an existing backup file, an existing store without --force, a store a running
// hub holds, a file that is no store, a newer schema) change nothing.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/auth/crypto.h"
#include "hub_process.h"
#include "http_client.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

namespace fs = std::filesystem;
using edge::testing::HubProcess;
using nlohmann::json;
using namespace std::chrono_literals;

// Rows of `sql`'s first column in the SQLite file at `path`.
std::vector<std::string> Column(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string Batch(const std::string& prefix, int n) {
  json events = json::array();
  for (int i = 0; i < n; ++i)
    events.push_back({{"idempotency_key", prefix + "/" + std::to_string(i)},
                      {"source", {{"kind", "camera"}, {"id", "cam-01"}}},
                      {"category", "illegal_parking"},
                      {"observed_at", "2026-11-30T10:00:00Z"},
                      {"location", {{"lat", 31.2304 + (i % 20) * 0.001}, {"lon", 121.4737}}}});
  return events.dump();
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("glassbrain-backup-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    hub_ = std::make_unique<HubProcess>(dir_.string());
    ASSERT_TRUE(hub_->Start());
  }
  void TearDown() override {
    hub_.reset();
    fs::remove_all(dir_);
  }
  edge::testing::RunResult Glassbrain(std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), edge::testing::GlassbrainBinary());
    return edge::testing::Run(args, (dir_ / log).string());
  }
  std::string store() const { return "sqlite:" + (dir_ / "hub.db").string(); }

  fs::path dir_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(BackupTest, ABackupDuringIngestHoldsEveryAcknowledgedEventAndRestoresWhole) {
  HttpClient edge(hub_->port());
  const std::string jpeg = GradientJpeg(320, 240);
  auto put = edge.Request("PUT", "/api/v1/evidence/sha256:" + auth::Sha256Hex(jpeg), jpeg,
                          {"Authorization: Bearer " + hub_->token(), "Content-Type: image/jpeg"});
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string ref = json::parse(put.body)["stored_as"];  // the file is named by what is stored

  // Two edge agents send batches until told to stop; a batch's keys count as acknowledged
  // once its 200 has arrived.
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  auto agent = [&](const std::string& name) {
    HttpClient client(hub_->port());
    for (int b = 0; !stop; ++b) {
      const std::string prefix = name + "/" + std::to_string(b);
      auto r = client.Request("POST", "/api/v1/events:batch", Batch(prefix, 100),
                              {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"});
      if (r.status != 200) {
        ++failures;
        continue;
      }
      std::lock_guard lock(mu);
      for (int i = 0; i < 100; ++i) acked.insert(prefix + "/" + std::to_string(i));
    }
  };
  std::thread a(agent, "a"), b(agent, "b");
  while (true) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(mu);
    if (acked.size() >= 2000) break;
  }
  std::set<std::string> before;
  {
    std::lock_guard lock(mu);
    before = acked;
  }
  const std::string file = (dir_ / "backup.db").string();
  auto backup = Glassbrain({"backup", "--store", store(), file}, "backup");
  std::size_t acked_during;
  {
    std::lock_guard lock(mu);
    acked_during = acked.size() - before.size();
  }
  stop = true;
  a.join();
  b.join();
  ASSERT_EQ(backup.exit, 0) << backup.err;
  EXPECT_EQ(failures, 0);
  EXPECT_GT(acked_during, 0u) << "ingest went on while the backup ran";
  EXPECT_NE(backup.err.find("100%"), std::string::npos) << "progress is shown: " << backup.err;
  EXPECT_NE(backup.out.find("1 evidence file"), std::string::npos) << backup.out;

  auto keys = Column(file, "SELECT idempotency_key FROM events");
  std::set<std::string> in_backup(keys.begin(), keys.end());
  EXPECT_EQ(in_backup.size(), keys.size()) << "no key twice";
  for (const auto& k : before) ASSERT_TRUE(in_backup.count(k)) << k << " was acknowledged before the backup began";
  EXPECT_EQ(Column(file, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  const fs::path copied = dir_ / "backup.db.evidence" / ref.substr(7, 2) / (ref.substr(7) + ".jpg");
  EXPECT_TRUE(fs::exists(copied)) << copied;

  // Refusals while the hub runs: they change nothing.
  auto again = Glassbrain({"backup", "--store", store(), file}, "backup-again");
  EXPECT_EQ(again.exit, 2) << again.err;
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  auto busy = Glassbrain({"restore", "--store", store(), "--force", file}, "restore-busy");
  EXPECT_NE(busy.exit, 0);
  EXPECT_NE(busy.err.find("in use by a running hub"), std::string::npos) << busy.err;
  auto no_force = Glassbrain({"restore", "--store", store(), file}, "restore-no-force");
  EXPECT_EQ(no_force.exit, 2) << no_force.err;
  EXPECT_NE(no_force.err.find("--force"), std::string::npos) << no_force.err;
  EXPECT_EQ(hub_->StoredKeys().size(), acked.size()) << "the running hub still serves all it acknowledged";

  // Restored over the stopped hub's store, with its evidence directory gone: the hub serves
  // exactly the backup's events, once each, and the evidence file is back.
  hub_->Stop();
  fs::remove_all(dir_ / "hub.db.evidence");
  auto restore = Glassbrain({"restore", "--store", store(), "--force", file}, "restore");
  ASSERT_EQ(restore.exit, 0) << restore.err;
  EXPECT_TRUE(fs::exists(dir_ / "hub.db.evidence" / ref.substr(7, 2) / (ref.substr(7) + ".jpg")));
  ASSERT_TRUE(hub_->Start());
  auto served = hub_->StoredKeys();
  EXPECT_EQ(served.size(), in_backup.size());
  for (const auto& [key, count] : served) {
    EXPECT_EQ(count, 1) << key;
    EXPECT_TRUE(in_backup.count(key)) << key;
  }
}

TEST_F(BackupTest, WhatIsNoUsableBackupIsRefusedAndChangesNothing) {
  const std::string target = "sqlite:" + (dir_ / "new.db").string();
  std::ofstream(dir_ / "junk.db") << "not a database, only text that is long enough to be read as a header";
  auto junk = Glassbrain({"restore", "--store", target, (dir_ / "junk.db").string()}, "junk");
  EXPECT_EQ(junk.exit, 2) << junk.err;
  EXPECT_NE(junk.err.find("cannot be read as a SQLite database"), std::string::npos) << junk.err;

  const std::string file = (dir_ / "b.db").string();
  ASSERT_EQ(Glassbrain({"backup", "--store", store(), file}, "backup").exit, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto newer = Glassbrain({"restore", "--store", target, file}, "newer");
  EXPECT_EQ(newer.exit, 2) << newer.err;
  EXPECT_NE(newer.err.find("newer than this build's"), std::string::npos) << newer.err;

  auto elsewhere = Glassbrain({"backup", "--store", "postgresql://hub@db/hub", (dir_ / "c.db").string()}, "pg");
  EXPECT_EQ(elsewhere.exit, 2) << elsewhere.err;
  EXPECT_FALSE(fs::exists(dir_ / "new.db"));
  EXPECT_FALSE(fs::exists(dir_ / "c.db"));
}

}  // namespace
}  // namespace gb::testing
