// The live stream's one reader of the change log (api/rest/change_feed.h): every change once,
// in order, whatever the budget, the filter or how far behind a client is; each change
// encoded once and shared; wakers called on news and never after they leave.
#include "api/rest/change_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "test_store.h"

namespace gb::rest {
namespace {

class ChangeFeedTest : public ::testing::Test {
 protected:
  // Appends `n` changes of about `bytes` each, alternating between two departments.
  void Append(int n, std::size_t bytes = 1000) {
    ASSERT_TRUE(store_->Write([&](WriteTxn& txn) {
      for (int i = 0; i < n; ++i) {
        IncidentChange c;
        c.incident_id = ++incident_;
        c.at = 1000 + incident_;
        c.type = "created";
        c.department_id = incident_ % 2 ? "roads" : "waste";
        c.area_id = "a1";
        c.json = "{\"id\":" + std::to_string(incident_) + ",\"pad\":\"" + std::string(bytes, 'x') + "\"}";
        GB_RETURN_IF_ERROR(txn.AppendChange(c));
      }
      return Status::Ok();
    }).ok());
  }

  // Reads everything after `cursor` in batches of `budget`, checking each batch's size.
  std::vector<Id> ReadAll(const ChangeFeed& feed, Id cursor, std::size_t budget, const ChangeFeed::Filter& filter = {}) {
    std::vector<Id> seen;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto batch = feed.Read(cursor, budget, filter);
      std::size_t bytes = 0;
      for (const auto& m : batch.messages) {
        bytes += m->sse.size();
        seen.push_back(m->seq);
      }
      if (batch.messages.size() > 1) {
        EXPECT_LE(bytes, budget) << "a batch held more than its budget";
      }
      if (batch.cursor == cursor) break;
      cursor = batch.cursor;
    }
    return seen;
  }

  static std::vector<Id> Range(Id from, Id to, Id step = 1) {
    std::vector<Id> out;
    for (Id i = from; i <= to; i += step) out.push_back(i);
    return out;
  }

  test::TempStore temp_;
  Store* store_ = &temp_.store();
  Id incident_ = 0;
};

TEST_F(ChangeFeedTest, EveryChangeOnceInOrderWithinEachBudget) {
  Append(3);
  ChangeFeed feed(*store_, {.window_bytes = 1 << 20, .refresh_interval = {}});
  Append(40);
  feed.Refresh();
  // Starting where the feed started (the store's newest change then): exactly what came after.
  EXPECT_EQ(ReadAll(feed, 3, 4096), Range(4, 43));
  EXPECT_EQ(ReadAll(feed, 3, 1), Range(4, 43)) << "a budget under one message still moves one at a time";
  EXPECT_EQ(ReadAll(feed, 43, 4096), std::vector<Id>{}) << "an up-to-date client gets nothing";
}

TEST_F(ChangeFeedTest, EachChangeIsEncodedOnceForEveryClient) {
  ChangeFeed feed(*store_, {.window_bytes = 1 << 20, .refresh_interval = {}});
  Append(2);
  feed.Refresh();
  auto a = feed.Read(0, 1 << 20, {});
  auto b = feed.Read(0, 1 << 20, {});
  ASSERT_EQ(a.messages.size(), 2u);
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(a.messages[0].get(), b.messages[0].get()) << "two clients must share one encoding";
  EXPECT_EQ(a.messages[0]->sse.substr(0, 26), "id: 1\nevent: incident.crea");
  EXPECT_TRUE(a.messages[0]->sse.ends_with("}\n\n"));
}

TEST_F(ChangeFeedTest, FilterSkipsOthersAndStillMovesTheCursor) {
  ChangeFeed feed(*store_, {.window_bytes = 1 << 20, .refresh_interval = {}});
  Append(20);
  feed.Refresh();
  EXPECT_EQ(ReadAll(feed, 0, 4096, {.department_id = "roads", .area_id = ""}), Range(1, 19, 2));
  auto none = feed.Read(0, 4096, {.department_id = "parks", .area_id = ""});
  EXPECT_TRUE(none.messages.empty());
  EXPECT_EQ(none.cursor, 20) << "changes a filter drops are passed, not read again";
}

TEST_F(ChangeFeedTest, ClientBehindTheWindowReadsTheLogAndMissesNothing) {
  ChangeFeed feed(*store_, {.window_bytes = 8 << 10, .refresh_interval = {}});
  Append(300);
  feed.Refresh();
  EXPECT_LE(feed.window_bytes_held(), (8u << 10) + 1100) << "the window keeps to its bound";
  EXPECT_EQ(ReadAll(feed, 0, 16 << 10), Range(1, 300)) << "from the log, then from the window";
  EXPECT_EQ(ReadAll(feed, 0, 16 << 10, {.department_id = "waste", .area_id = ""}), Range(2, 300, 2));
}

TEST_F(ChangeFeedTest, WakersHearOfNewsAndNeverAfterLeaving) {
  ChangeFeed feed(*store_, {.window_bytes = 1 << 20, .refresh_interval = {}});
  std::atomic<int> woken{0};
  auto sub = feed.Subscribe([&] { ++woken; });
  EXPECT_EQ(feed.subscribers(), 1u);
  feed.Refresh();
  EXPECT_EQ(woken, 0) << "no news, no wake";
  Append(1);
  feed.Refresh();
  EXPECT_EQ(woken, 1);
  sub.reset();
  EXPECT_EQ(feed.subscribers(), 0u);
  Append(1);
  feed.Refresh();
  EXPECT_EQ(woken, 1);
}

TEST_F(ChangeFeedTest, ItsOwnThreadRefreshesAndWakes) {
  ChangeFeed feed(*store_, {.window_bytes = 1 << 20, .refresh_interval = std::chrono::milliseconds(10)});
  std::atomic<int> woken{0};
  auto sub = feed.Subscribe([&] { ++woken; });
  Append(5);
  for (int i = 0; i < 500 && woken == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(woken, 1);
  EXPECT_EQ(ReadAll(feed, 0, 1 << 20), Range(1, 5));
}

}  // namespace
}  // namespace gb::rest
