#include "api/rest/change_feed.h"

#include <algorithm>

namespace gb::rest {
namespace {

constexpr int kPage = 500;

}  // namespace

bool ChangeFeed::Filter::Keeps(const std::string& department, const std::string& area) const {
  return (department_id.empty() || department == department_id) && (area_id.empty() || area == area_id);
}

ChangeFeed::ChangeFeed(Store& store, Options options) : store_(store), options_(options) {
  // Unreadable now: the window starts at the log's beginning and fills page by page.
  auto last = store_.LastChangeSeq();
  floor_ = newest_ = last.ok() ? *last : 0;
  if (options_.refresh_interval.count() > 0) {
    thread_ = std::thread([this] {
      std::unique_lock lock(refresh_mu_);
      while (!stop_cv_.wait_for(lock, options_.refresh_interval, [this] { return stopping_; })) {
        lock.unlock();
        Refresh();
        lock.lock();
      }
    });
  }
}

ChangeFeed::~ChangeFeed() {
  {
    std::lock_guard lock(refresh_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ChangeFeed::MessagePtr ChangeFeed::Encode(const IncidentChange& c) {
  auto m = std::make_shared<Message>();
  m->seq = c.seq;
  m->department_id = c.department_id;
  m->area_id = c.area_id;
  m->sse.reserve(c.json.size() + c.type.size() + 48);
  m->sse.append("id: ").append(std::to_string(c.seq)).append("\nevent: incident.").append(c.type);
  m->sse.append("\ndata: ").append(c.json).append("\n\n");
  return m;
}

void ChangeFeed::Refresh() {
  std::lock_guard refreshing(refresh_mu_);
  Id after;
  {
    std::lock_guard lock(mu_);
    after = newest_;
  }
  bool any = false;
  for (;;) {
    auto read = store_.ChangesAfter(after, kPage);
    if (!read.ok() || read->empty()) break;  // a failed read: the next refresh tries again
    const std::vector<IncidentChange>& changes = *read;
    std::vector<MessagePtr> fresh;
    fresh.reserve(changes.size());
    for (const auto& c : changes) fresh.push_back(Encode(c));
    after = changes.back().seq;
    {
      std::lock_guard lock(mu_);
      for (auto& m : fresh) {
        bytes_ += m->sse.size();
        window_.push_back(std::move(m));
      }
      newest_ = after;
      while (bytes_ > options_.window_bytes && window_.size() > 1) {
        bytes_ -= window_.front()->sse.size();
        floor_ = window_.front()->seq;
        window_.pop_front();
      }
    }
    any = true;
    if (changes.size() < static_cast<std::size_t>(kPage)) break;
  }
  if (!any) return;
  std::lock_guard lock(wake_mu_);
  for (auto& [id, wake] : wakers_) wake();
}

ChangeFeed::Batch ChangeFeed::Read(Id cursor, std::size_t budget, const Filter& filter) const {
  {
    std::lock_guard lock(mu_);
    if (cursor >= floor_) {
      Batch b;
      b.cursor = cursor;
      auto it = std::upper_bound(window_.begin(), window_.end(), cursor,
                                 [](Id c, const MessagePtr& m) { return c < m->seq; });
      std::size_t bytes = 0;
      for (; it != window_.end(); ++it) {
        const Message& m = **it;
        if (filter.Keeps(m.department_id, m.area_id)) {
          if (!b.messages.empty() && bytes + m.sse.size() > budget) break;
          bytes += m.sse.size();
          b.messages.push_back(*it);
        }
        b.cursor = m.seq;
      }
      return b;
    }
  }
  return ReadLog(cursor, budget, filter);
}

// Behind the window: the client's own page of the log, encoded for it alone. Pages stay
// small so that a client far behind holds little more than its budget at a time.
ChangeFeed::Batch ChangeFeed::ReadLog(Id cursor, std::size_t budget, const Filter& filter) const {
  Batch b;
  b.cursor = cursor;
  std::size_t bytes = 0;
  for (;;) {
    auto read = store_.ChangesAfter(b.cursor, 64);
    if (!read.ok()) return b;  // what was read; the next call goes on from b.cursor
    const std::vector<IncidentChange>& changes = *read;
    for (const auto& c : changes) {
      if (filter.Keeps(c.department_id, c.area_id)) {
        MessagePtr m = Encode(c);
        if (!b.messages.empty() && bytes + m->sse.size() > budget) return b;
        bytes += m->sse.size();
        b.messages.push_back(std::move(m));
      }
      b.cursor = c.seq;
    }
    if (changes.size() < 64 || bytes >= budget) return b;
  }
}

std::unique_ptr<ChangeFeed::Subscription> ChangeFeed::Subscribe(std::function<void()> wake) {
  std::lock_guard lock(wake_mu_);
  std::uint64_t id = next_waker_++;
  wakers_.emplace(id, std::move(wake));
  return std::unique_ptr<Subscription>(new Subscription(*this, id));
}

void ChangeFeed::Unsubscribe(std::uint64_t id) {
  std::lock_guard lock(wake_mu_);
  wakers_.erase(id);
}

std::size_t ChangeFeed::subscribers() const {
  std::lock_guard lock(wake_mu_);
  return wakers_.size();
}

std::size_t ChangeFeed::window_bytes_held() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace gb::rest
