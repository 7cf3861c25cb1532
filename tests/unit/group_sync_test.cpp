// GroupSync: a commit is acknowledged only after a sync that started after it; commits that
// wait together share one sync; a failed sync is permanent.
#include "store/sqlite/group_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace gb::sqlite {
namespace {

// A sync that blocks until the test lets it finish, so the test decides what overlaps.
class GatedSync {
 public:
  std::function<Status()> Fn() {
    return [this] {
      std::unique_lock lock(mu_);
      ++started_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_ >= started_; });
      return result_;
    };
  }
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  void FailFromNowOn() {
    std::lock_guard lock(mu_);
    result_ = Status::Unavailable("disk on fire");
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0, released_ = 0;
  Status result_;
};

TEST(GroupSync, EachLoneCommitWaitsForItsOwnSync) {
  int syncs = 0;
  GroupSync g([&] {
    ++syncs;
    return Status::Ok();
  });
  EXPECT_TRUE(g.WaitDurable(g.Committed()).ok());
  EXPECT_TRUE(g.WaitDurable(g.Committed()).ok());
  EXPECT_EQ(syncs, 2);
  EXPECT_EQ(g.syncs(), 2u);
  EXPECT_TRUE(g.WaitDurable(1).ok());  // already durable: no further sync
  EXPECT_EQ(syncs, 2);
}

TEST(GroupSync, ACommitDuringASyncWaitsForTheNextOneAndWaitersShareIt) {
  GatedSync gate;
  GroupSync g(gate.Fn());
  Status a, b, c, d;
  std::thread ta([&] { a = g.WaitDurable(g.Committed()); });
  gate.WaitStarted(1);  // a's sync is running: it covers ticket 1 only

  std::uint64_t tb = g.Committed();
  std::thread thb([&] { b = g.WaitDurable(tb); });
  gate.Release();  // a's sync ends; b must not take it for its own
  ta.join();
  EXPECT_TRUE(a.ok());
  gate.WaitStarted(2);  // b leads a second sync

  std::uint64_t tc = g.Committed(), td = g.Committed();
  std::thread tthc([&] { c = g.WaitDurable(tc); });
  std::thread tthd([&] { d = g.WaitDurable(td); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let c and d queue behind b's sync
  gate.Release();
  thb.join();
  EXPECT_TRUE(b.ok());
  gate.WaitStarted(3);  // one sync for both c and d
  gate.Release();
  tthc.join();
  tthd.join();
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(gate.started(), 3);
  EXPECT_EQ(g.syncs(), 3u);
}

TEST(GroupSync, AFailedSyncIsPermanent) {
  GatedSync gate;
  gate.FailFromNowOn();
  GroupSync g(gate.Fn());
  EXPECT_TRUE(g.Broken().ok());
  gate.Release();
  Status first = g.WaitDurable(g.Committed());
  EXPECT_EQ(first.code(), Code::kUnavailable);
  EXPECT_NE(first.message().find("disk on fire"), std::string::npos) << first.message();
  EXPECT_EQ(g.Broken().code(), Code::kUnavailable);
  // Later commits are refused without trusting another sync.
  EXPECT_EQ(g.WaitDurable(g.Committed()).code(), Code::kUnavailable);
  EXPECT_EQ(gate.started(), 1);
}

TEST(GroupSync, ManyWritersAllGetAnAnswerWithFewerSyncsThanCommits) {
  GroupSync g([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return Status::Ok();
  });
  std::mutex commit_mu;  // stands for the store's write lock: tickets follow commit order
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        std::uint64_t ticket;
        {
          std::lock_guard lock(commit_mu);
          ticket = g.Committed();
        }
        if (g.WaitDurable(ticket).ok()) ++ok;
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_LT(g.syncs(), 200u);
}

TEST(GroupSync, SyncFileSyncsAnExistingFileAndTreatsAMissingOneAsNothingToSync) {
  const std::string path = ::testing::TempDir() + "group_sync_test.wal";
  std::remove(path.c_str());
  auto sync = GroupSync::SyncFile(path, Env::Default());
  EXPECT_TRUE(sync().ok()) << "no WAL yet: nothing was written, so nothing to sync";
  { std::ofstream(path) << "frames"; }
  EXPECT_TRUE(sync().ok());
  EXPECT_TRUE(sync().ok()) << "the descriptor is kept open between calls";
  auto unreachable = GroupSync::SyncFile(path + "/wal", Env::Default());  // a file is no directory: ENOTDIR
  Status s = unreachable();
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find(path + "/wal"), std::string::npos) << s.message();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gb::sqlite
