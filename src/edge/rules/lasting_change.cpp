// dumped_object and poster: something that was not there before stays. Both see a thing born
// at rest (it did not arrive under its own power) that the detector calls neither a person nor
// a vehicle and that is more than a change of light; dumped_object also waits until nobody is
// next to it.
#include <algorithm>
#include <cmath>

#include "edge/rules/rule.h"

namespace gb::edge::rules {
namespace {

bool NextTo(const cv::Rect& thing, const cv::Rect& person) {
  // Within half a person's height of the thing, or its own width if larger.
  const int reach = std::max(person.height / 2, thing.width);
  const cv::Rect around(thing.x - reach, thing.y - reach, thing.width + 2 * reach, thing.height + 2 * reach);
  return (around & person).area() > 0;
}

class LastingChange final : public Rule {
 public:
  explicit LastingChange(const Zone& zone) : zone_(zone), needs_nobody_(zone.config().rule == RuleKind::kDumpedObject) {}

  RuleOutput Evaluate(const SceneView& scene) override {
    fired_.Refresh(scene);
    RuleOutput out;
    const auto min_ms = static_cast<std::int64_t>(zone_.config().min_stay_s * 1000);
    for (const track::Track& t : *scene.tracks) {
      if (!t.at_rest || !t.classified_at_rest || t.background) continue;
      if (t.ever_person || t.ever_vehicle || !t.BornWhereItRests() || !zone_.Holds(t.box)) continue;
      if (fired_.Fired(t)) continue;
      if (begun_.Begin(t)) out.began.push_back({t.id, t.box});
      if (scene.now_ms - t.rest_since_ms < min_ms) continue;
      // Only while the masks still show it: a track in its grace after its thing went (someone
      // who stood there and walked off) is no thing left behind.
      if (t.last_seen_ms != scene.now_ms) continue;
      if (needs_nobody_ && SomeoneNextTo(t, *scene.tracks)) continue;
      fired_.Add(t, scene.now_ms);
      Firing f;
      f.situation = t.id;
      f.box = t.box;
      f.started_ms = t.rest_since_ms;
      f.confidence = t.kind == track::Kind::kBag ? std::max(0.6f, t.score) : 0.6;
      out.fired.push_back(f);
    }
    return out;
  }

 private:
  static bool SomeoneNextTo(const track::Track& thing, const std::vector<track::Track>& tracks) {
    return std::any_of(tracks.begin(), tracks.end(), [&](const track::Track& o) {
      return o.id != thing.id && o.ever_person && NextTo(thing.box, o.box);
    });
  }

  const Zone& zone_;
  const bool needs_nobody_;
  FiredSituations fired_;
  BegunTracks begun_;
};

}  // namespace

std::unique_ptr<Rule> MakeLastingChangeRule(const Zone& zone) { return std::make_unique<LastingChange>(zone); }

}  // namespace gb::edge::rules
