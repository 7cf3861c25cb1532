// ChangeFeed: the one reader of the store's change log in a hub, for every live stream.
//
// Each change is read once and encoded once as a Server-Sent Events message, then shared by
// every client that is to receive it: with 1,000 clients, formatting per client would hold
// 1,000 copies of each change. The feed keeps a window of the newest messages, bounded in
// bytes. A client whose cursor is older than the window (it lagged, or resumed with an old
// Last-Event-ID) reads the log itself, by cursor, a page within its budget at a time: it
// misses nothing however far behind it is, and nothing is held for it meanwhile.
//
// Thread-safety: every method may be called from any thread. Wakers run on the thread
// that refreshes (the feed's own, or Refresh()'s caller) and must only schedule work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace gb::rest {

class ChangeFeed {
 public:
  // One change as every stream sends it.
  struct Message {
    Id seq = 0;
    std::string department_id, area_id;
    std::string sse;  // "id: …\nevent: incident.…\ndata: …\n\n"
  };
  using MessagePtr = std::shared_ptr<const Message>;

  // Which changes a stream wants; an empty field matches all.
  struct Filter {
    std::string department_id, area_id;
    bool Keeps(const std::string& department, const std::string& area) const;
  };

  // What Read() found: the messages to send, and the cursor to read on from (past
  // messages the filter dropped too).
  struct Batch {
    std::vector<MessagePtr> messages;
    Id cursor = 0;
  };

  struct Options {
    std::size_t window_bytes = 8u << 20;           // newest messages held for every stream
    std::chrono::milliseconds refresh_interval{50};  // 0: no thread; the owner calls Refresh()
  };

  // Starts after the store's newest change: the window fills from then on.
  ChangeFeed(Store& store, Options options);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Encodes a change as the stream sends it.
  static MessagePtr Encode(const IncidentChange& change);

  // Reads the changes committed since the last refresh into the window, evicting the oldest
  // past window_bytes, and calls every waker when there were any.
  void Refresh();

  // The messages after `cursor` that `filter` keeps, oldest first, adding up to at most
  // `budget` bytes (at least one message when any is due). From the window when it reaches
  // back to `cursor`; otherwise from the store, a page at a time. An empty batch whose
  // cursor equals `cursor` means nothing is due now. When the store cannot be read it gives
  // what it read before (perhaps nothing): a later call goes on from the batch's cursor.
  Batch Read(Id cursor, std::size_t budget, const Filter& filter) const;

  // Calls `wake` after each refresh that found changes, until the returned handle is
  // destroyed (after which it is never called again).
  class Subscription;
  std::unique_ptr<Subscription> Subscribe(std::function<void()> wake);

  std::size_t subscribers() const;
  std::size_t window_bytes_held() const;

 private:
  Batch ReadLog(Id cursor, std::size_t budget, const Filter& filter) const;
  void Unsubscribe(std::uint64_t id);

  Store& store_;
  const Options options_;

  mutable std::mutex mu_;
  std::deque<MessagePtr> window_;  // seq ascending
  Id floor_ = 0;    // every change after floor_ and up to newest_ is in the window
  Id newest_ = 0;
  std::size_t bytes_ = 0;

  // Wakers are called with wake_mu_ held, so that one is never called once unsubscribed.
  mutable std::mutex wake_mu_;
  std::map<std::uint64_t, std::function<void()>> wakers_;
  std::uint64_t next_waker_ = 0;

  std::mutex refresh_mu_;  // one refresh at a time
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

class ChangeFeed::Subscription {
 public:
  ~Subscription() { feed_.Unsubscribe(id_); }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  friend class ChangeFeed;
  Subscription(ChangeFeed& feed, std::uint64_t id) : feed_(feed), id_(id) {}
  ChangeFeed& feed_;
  std::uint64_t id_;
};

}  // namespace gb::rest
