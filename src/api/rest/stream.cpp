#include "api/rest/stream.h"

#include <charconv>

#include "api/rest/common.h"

namespace gb::rest {
namespace {

class ChangeStream final : public http::Stream {
 public:
  ChangeStream(Store& store, Env* env, Id after, std::string department, std::string area)
      : store_(store), env_(env), last_(after), department_(std::move(department)), area_(std::move(area)) {
    last_write_ = env_->MonotonicMs();
  }

  std::optional<std::string> Poll() override {
    std::string out;
    if (first_) {
      out = "retry: 3000\n\n";
      first_ = false;
    }
    // Several pages at most per poll, so one slow client cannot hog a worker.
    for (int page = 0; page < 4; ++page) {
      auto changes = store_.ChangesAfter(last_, 500);
      for (const auto& c : changes) {
        last_ = c.seq;
        if (!department_.empty() && c.department_id != department_) continue;
        if (!area_.empty() && c.area_id != area_) continue;
        out += "id: " + std::to_string(c.seq) + "\nevent: incident." + c.type + "\ndata: " + c.json + "\n\n";
      }
      if (changes.size() < 500) break;
    }
    TimeMs now = env_->MonotonicMs();
    if (out.empty() && now - last_write_ > 15'000) out = ": keep-alive\n\n";  // lets proxies and us see dead peers
    if (!out.empty()) last_write_ = now;
    return out;
  }

 private:
  Store& store_;
  Env* env_;
  Id last_;
  std::string department_, area_;
  TimeMs last_write_;
  bool first_ = true;
};

}  // namespace

void RegisterStreamRoutes(http::Router& router, HubContext& ctx) {
  router.Add("GET", "/api/v1/stream", {Role::kAdmin, Role::kDispatcher}, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    std::string resume(req.Header("last-event-id"));
    if (resume.empty()) resume = http::FormValue(*q, "last_event_id").value_or("");
    Id after = 0;
    if (resume.empty()) {
      after = ctx.store.LastChangeSeq();  // a fresh client starts with what happens next
    } else {
      auto [end, ec] = std::from_chars(resume.data(), resume.data() + resume.size(), after);
      if (ec != std::errc() || end != resume.data() + resume.size() || after < 0)
        return http::JsonError(400, "Last-Event-ID must be a number from an earlier message");
    }
    http::Response r;
    r.content_type = "text/event-stream";
    r.stream = std::make_shared<ChangeStream>(ctx.store, ctx.env, after,
                                              http::FormValue(*q, "department").value_or(""),
                                              http::FormValue(*q, "area").value_or(""));
    r.SetHeader("X-Accel-Buffering", "no");
    return r;
  }, "Live incident changes as Server-Sent Events; resumable with Last-Event-ID; filters: department, area");
}

}  // namespace gb::rest
