// crowding: the number of people in the zone reaches min_count and holds for min_s. The count
// is anonymous: boxes of people, nothing about who they are.
#include <algorithm>

#include "edge/rules/rule.h"

namespace gb::edge::rules {
namespace {

// A count that dips below min_count for less than this is the same crowd (people hide behind
// one another for a moment, and counts come about once a second); a longer dip ends it and
// re-arms the rule.
constexpr std::int64_t kDipMs = 3000;

class Crowding final : public Rule {
 public:
  explicit Crowding(const Zone& zone) : zone_(zone) {}

  bool CountsPeople() const override { return true; }

  RuleOutput Evaluate(const SceneView& scene) override {
    RuleOutput out;
    const int count = static_cast<int>(std::count_if(scene.people->begin(), scene.people->end(),
                                                     [&](const cv::Rect& p) { return zone_.Holds(p); }));
    if (count >= zone_.config().min_count) {
      if (!in_crowd_) {
        in_crowd_ = true;
        fired_ = false;
        started_ms_ = scene.now_ms;
        peak_ = 0;
        --situation_;
        out.began.push_back({situation_, zone_.bounds()});
      }
      last_above_ms_ = scene.now_ms;
      peak_ = std::max(peak_, count);
    } else if (in_crowd_ && scene.now_ms - last_above_ms_ > kDipMs) {
      in_crowd_ = false;
    }
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
  const Zone& zone_;
  bool in_crowd_ = false, fired_ = false;
  std::int64_t started_ms_ = 0, last_above_ms_ = 0;
  int peak_ = 0;
  int situation_ = 0;  // counts down: situations of counts are negative
};

}  // namespace

std::unique_ptr<Rule> MakeCrowdingRule(const Zone& zone) { return std::make_unique<Crowding>(zone); }

}  // namespace gb::edge::rules
