#include "api/rest/stream.h"

#include <charconv>

#include "api/rest/change_feed.h"
#include "api/rest/common.h"

namespace gb::rest {
namespace {

class ChangeStream final : public http::Stream {
 public:
  ChangeStream(std::shared_ptr<ChangeFeed> feed, Id after, ChangeFeed::Filter filter)
      : feed_(std::move(feed)), cursor_(after), filter_(std::move(filter)) {}

  void Start(std::function<void()> wake) override { subscription_ = feed_->Subscribe(std::move(wake)); }

  std::optional<std::vector<Piece>> Next(std::size_t budget) override {
    static const Piece kRetry = std::make_shared<const std::string>("retry: 3000\n\n");
    std::vector<Piece> out;
    if (first_) {
      out.push_back(kRetry);
      first_ = false;
    }
    ChangeFeed::Batch batch = feed_->Read(cursor_, budget, filter_);
    cursor_ = batch.cursor;
    out.reserve(out.size() + batch.messages.size());
    // Each piece shares its message: the bytes stay one copy for every client.
    for (auto& m : batch.messages) out.emplace_back(m, &m->sse);
    return out;
  }

 private:
  std::shared_ptr<ChangeFeed> feed_;
  Id cursor_;
  ChangeFeed::Filter filter_;
  std::unique_ptr<ChangeFeed::Subscription> subscription_;
  bool first_ = true;
};

}  // namespace

void RegisterStreamRoutes(http::Router& router, HubContext& ctx) {
  auto feed = std::make_shared<ChangeFeed>(ctx.store, ChangeFeed::Options{});
  router.Add("GET", "/api/v1/stream", {Role::kAdmin, Role::kDispatcher}, [&ctx, feed](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    std::string resume(req.Header("last-event-id"));
    if (resume.empty()) resume = http::FormValue(*q, "last_event_id").value_or("");
    Id after = 0;
    if (resume.empty()) {
      auto last = ctx.store.LastChangeSeq();  // a fresh client starts with what happens next
      if (!last.ok()) return http::ErrorFor(last.status());
      after = *last;
    } else {
      auto [end, ec] = std::from_chars(resume.data(), resume.data() + resume.size(), after);
      if (ec != std::errc() || end != resume.data() + resume.size() || after < 0)
        return http::JsonError(400, "Last-Event-ID must be a number from an earlier message");
    }
    http::Response r;
    r.content_type = "text/event-stream";
    ChangeFeed::Filter filter{http::FormValue(*q, "department").value_or(""), http::FormValue(*q, "area").value_or("")};
    r.stream = std::make_shared<ChangeStream>(feed, after, std::move(filter));
    r.SetHeader("X-Accel-Buffering", "no");
    return r;
  }, "Live incident changes as Server-Sent Events; resumable with Last-Event-ID; filters: department, area");
}

}  // namespace gb::rest
