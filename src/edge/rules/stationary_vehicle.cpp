// stationary_vehicle: a vehicle at rest in the zone for min_dwell_s.
#include "edge/rules/rule.h"

namespace gb::edge::rules {
namespace {

class StationaryVehicle final : public Rule {
 public:
  explicit StationaryVehicle(const Zone& zone) : zone_(zone) {}

  RuleOutput Evaluate(const SceneView& scene) override {
    fired_.Refresh(scene);
    RuleOutput out;
    const auto min_ms = static_cast<std::int64_t>(zone_.config().min_dwell_s * 1000);
    for (const track::Track& t : *scene.tracks) {
      if (!t.at_rest || !t.ever_vehicle || t.ever_person || !zone_.Holds(t.box) || fired_.Fired(t)) continue;
      if (begun_.Begin(t)) out.began.push_back({t.id, t.box});
      if (scene.now_ms - t.rest_since_ms < min_ms) continue;
      fired_.Add(t, scene.now_ms);
      Firing f;
      f.situation = t.id;
      f.box = t.box;
      f.started_ms = t.rest_since_ms;
      f.confidence = t.score;
      f.dwell_s = (scene.now_ms - t.rest_since_ms) / 1000.0;
      out.fired.push_back(f);
    }
    return out;
  }

 private:
  const Zone& zone_;
  FiredSituations fired_;
  BegunTracks begun_;
};

}  // namespace

std::unique_ptr<Rule> MakeStationaryVehicleRule(const Zone& zone) { return std::make_unique<StationaryVehicle>(zone); }

}  // namespace gb::edge::rules
