// crowding: the number of people in the zone reaches min_count and holds for min_s. The count
// is anonymous: boxes of people, nothing about who they are.
#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "edge/rules/rule.h"

namespace gb::edge::rules {
namespace {

// A crowd begins once at least kHoldShare of the frames analysed over the last kWindowMs show
// min_count or more: a count made too high for a moment (two looks at one person while people
// cross, merge and part) starts nothing. It began at the earliest of those frames from which
// that share holds.
constexpr std::int64_t kWindowMs = 2000;
constexpr double kHoldShare = 0.7;
// A count that dips below min_count for less than this is the same crowd (people hide behind
// one another for a moment); a longer dip ends it and re-arms the rule.
constexpr std::int64_t kDipMs = 2000;

class Crowding final : public Rule {
 public:
  explicit Crowding(const Zone& zone) : zone_(zone) {}

  bool CountsPeople() const override { return true; }

  RuleOutput Evaluate(const SceneView& scene) override {
    RuleOutput out;
    const int count = static_cast<int>(std::count_if(scene.people->begin(), scene.people->end(),
                                                     [&](const cv::Rect& p) { return zone_.Holds(p); }));
    const bool enough = count >= zone_.config().min_count;
    recent_.emplace_back(scene.now_ms, count);
    while (scene.now_ms - recent_.front().first > kWindowMs) recent_.pop_front();
    if (enough) last_above_ms_ = scene.now_ms;
    if (!in_crowd_) {
      if (const std::optional<std::int64_t> began = HeldSince()) {
        in_crowd_ = true;
        fired_ = false;
        started_ms_ = *began;
        peak_ = 0;
        --situation_;
        out.began.push_back({situation_, zone_.bounds()});
      }
    } else if (scene.now_ms - last_above_ms_ > kDipMs) {
      in_crowd_ = false;
    }
    if (in_crowd_ && enough) peak_ = std::max(peak_, count);
    const auto min_ms = static_cast<std::int64_t>(zone_.config().min_s * 1000);
    if (in_crowd_ && !fired_ && scene.now_ms - started_ms_ >= min_ms) {
      fired_ = true;
      Firing f;
      f.situation = situation_;
      f.box = zone_.bounds();
      f.started_ms = started_ms_;
      f.confidence = 0.7;
      f.count = peak_;
      out.fired.push_back(f);
    }
    return out;
  }

 private:
  // The earliest frame of the window from which on at least kHoldShare of the frames show
  // enough people, once the window (at least half of it seen) is that full of them; nothing
  // otherwise.
  std::optional<std::int64_t> HeldSince() const {
    if (recent_.back().first - recent_.front().first < kWindowMs / 2) return std::nullopt;
    const int min_count = zone_.config().min_count;
    const auto enough = static_cast<double>(std::count_if(recent_.begin(), recent_.end(),
                                                          [&](const auto& c) { return c.second >= min_count; }));
    if (enough < kHoldShare * static_cast<double>(recent_.size())) return std::nullopt;
    double rest = enough, frames = static_cast<double>(recent_.size());
    for (const auto& [ms, c] : recent_) {
      if (c >= min_count && rest >= kHoldShare * frames) return ms;
      if (c >= min_count) --rest;
      --frames;
    }
    return recent_.back().first;
  }

  const Zone& zone_;
  std::deque<std::pair<std::int64_t, int>> recent_;  // (media ms, count) over the last kWindowMs
  bool in_crowd_ = false, fired_ = false;
  std::int64_t started_ms_ = 0, last_above_ms_ = 0;
  int peak_ = 0;
  int situation_ = 0;  // counts down: situations of counts are negative
};

}  // namespace

std::unique_ptr<Rule> MakeCrowdingRule(const Zone& zone) { return std::make_unique<Crowding>(zone); }

}  // namespace gb::edge::rules
