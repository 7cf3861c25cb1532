// The SQLite store under a FaultEnv (support/fault_env.h), without a hub: what Write, Ping
// and reads answer while the disk fails, and that the store recovers by itself once it
// stops failing (sqlite_store.h, "Faults").
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

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
  bool Stored(const std::string& id) { return store_->GetConfig(ConfigKind::kSetting, id).has_value(); }

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

}  // namespace
}  // namespace gb
