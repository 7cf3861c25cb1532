// The SQLite store under a FaultEnv (support/fault_env.h), without a hub: what Write, Ping
// and reads answer while the disk fails, and that the store recovers by itself once it
// stops failing (sqlite_store.h, "Faults").
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "support/fault_env.h"

namespace gb {
namespace {

using namespace std::chrono_literals;

class StoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gb-store-fault-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    SqliteStore::Options options;
    options.env = &env_;
    options.probe_interval = 200ms;
    auto opened = SqliteStore::Open(dir_ + "/store.db", options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    env_.Clear();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Status Put(const std::string& id) {
    return store_->Write([&](WriteTxn& txn) { return txn.PutConfig(ConfigDoc{ConfigKind::kSetting, id, "{}"}); });
  }
  bool Stored(const std::string& id) { return store_->GetConfig(ConfigKind::kSetting, id).value().has_value(); }

  bool PingWithin(std::chrono::milliseconds limit) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
      if (store_->Ping()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return store_->Ping();
  }

  test::FaultEnv env_;
  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreFaultTest, AFullDiskIsNoSpaceAndTheProbeFindsTheStoreWritableAgain) {
  ASSERT_TRUE(Put("before").ok());
  env_.FailWrites(ENOSPC);
  Status s = Put("during");
  EXPECT_EQ(s.code(), Code::kNoSpace) << s.message();
  EXPECT_FALSE(store_->Ping());
  std::this_thread::sleep_for(600ms);  // the probe has tried, and failed
  EXPECT_FALSE(store_->Ping());
  env_.Clear();
  EXPECT_TRUE(PingWithin(10s));
  EXPECT_TRUE(Put("after").ok());
  EXPECT_TRUE(Stored("before"));
  EXPECT_FALSE(Stored("during")) << "a failed write stores nothing";
  EXPECT_TRUE(Stored("after"));
}

TEST_F(StoreFaultTest, AFailedFsyncIsNeverRetriedAndTheStoreRecoversByReopening) {
  ASSERT_TRUE(Put("before").ok());
  env_.FailSyncs(1, /*every=*/true);
  EXPECT_EQ(Put("during").code(), Code::kUnavailable);
  const int after_first = env_.failed_syncs();
  EXPECT_EQ(after_first, 1);
  // The next write recovers first, and its checkpoint needs a sync that fails too.
  EXPECT_EQ(Put("during").code(), Code::kUnavailable);
  EXPECT_GT(env_.failed_syncs(), after_first) << "recovery syncs the database file, it does not trust the old sync";
  EXPECT_FALSE(store_->Ping());
  env_.Clear();
  EXPECT_TRUE(PingWithin(10s)) << "the probe recovers the store";
  EXPECT_TRUE(Put("after").ok());
  EXPECT_TRUE(Stored("before"));
  EXPECT_TRUE(Stored("after"));
}

TEST_F(StoreFaultTest, AFailedReadIsUnavailableNotNotFound) {
  ASSERT_TRUE(Put("before").ok());  // readers must read their pages again after a commit
  env_.FailReads();
  auto read = store_->GetIncident(12345);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Code::kUnavailable);
  EXPECT_GT(env_.failed_reads(), 0);
  env_.Clear();
  read = store_->GetIncident(12345);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_FALSE(*read);
}

// Every read, lookups and lists alike: a store that cannot read answers Unavailable, never
// "no such record" or an empty list; and each answers again once the fault clears.
TEST_F(StoreFaultTest, EveryReadThatFailsIsUnavailableNeverNothing) {
  const std::vector<std::pair<const char*, std::function<Status()>>> reads = {
      {"GetReport", [&] { return ToStatus(store_->GetReport(1)); }},
      {"FindReportByToken", [&] { return ToStatus(store_->FindReportByToken("tok")); }},
      {"ListReports", [&] { return ToStatus(store_->ListReports({})); }},
      {"GetConfig", [&] { return ToStatus(store_->GetConfig(ConfigKind::kSetting, "before")); }},
      {"ListConfig", [&] { return ToStatus(store_->ListConfig(ConfigKind::kSetting)); }},
      {"GetUser", [&] { return ToStatus(store_->GetUser("dana")); }},
      {"ListUsers", [&] { return ToStatus(store_->ListUsers()); }},
      {"GetIdempotentReply", [&] { return ToStatus(store_->GetIdempotentReply("dana:key")); }},
      {"ListIncidents", [&] { return ToStatus(store_->ListIncidents({})); }},
      {"EventsOfIncident", [&] { return ToStatus(store_->EventsOfIncident(1, 10)); }},
      {"CountIncidentsByState", [&] { return ToStatus(store_->CountIncidentsByState()); }},
      {"ChangesAfter", [&] { return ToStatus(store_->ChangesAfter(0, 10)); }},
      {"LastChangeSeq", [&] { return ToStatus(store_->LastChangeSeq()); }},
      {"ListAudit", [&] { return ToStatus(store_->ListAudit({})); }},
  };
  for (const auto& [name, read_fn] : reads) {
    ASSERT_TRUE(Put(std::string("before-") + name).ok());  // readers must read their pages again
    env_.FailReads();
    Status failed = read_fn();
    env_.Clear();
    EXPECT_EQ(failed.code(), Code::kUnavailable) << name << ": " << failed.message();
    EXPECT_TRUE(read_fn().ok()) << name << " after the fault cleared";
  }
}

}  // namespace
}  // namespace gb
