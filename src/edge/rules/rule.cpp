#include "edge/rules/rule.h"

#include <algorithm>
#include <cassert>

namespace gb::edge::rules {
namespace {

// A spot empty for this long is free for a new situation.
constexpr std::int64_t kForgetEmptyMs = 3000;
// Below this coverage by the motion masks a spot counts as empty.
constexpr double kOccupied = 0.2;

}  // namespace

std::unique_ptr<Rule> MakeRule(const Zone& zone) {
  switch (zone.config().rule) {
    case RuleKind::kStationaryVehicle: return MakeStationaryVehicleRule(zone);
    case RuleKind::kDumpedObject:
    case RuleKind::kPoster: return MakeLastingChangeRule(zone);
    case RuleKind::kCrowding: return MakeCrowdingRule(zone);
    case RuleKind::kNoHelmet: break;
  }
  assert(false && "no_helmet rules are made from their model");
  return nullptr;
}

bool FiredSituations::Fired(const track::Track& t) const {
  // The same spot, or a part of it (a fragment of the same poster, found on its own).
  return std::any_of(situations_.begin(), situations_.end(), [&](const Situation& s) {
    return s.track_id == t.id || track::IoU(s.box, t.box) >= 0.4 || track::FractionInside(t.box, s.box) >= 0.5 ||
           track::FractionInside(s.box, t.box) >= 0.5;
  });
}

void FiredSituations::Add(const track::Track& t, std::int64_t now_ms) { situations_.push_back({t.id, t.box, now_ms}); }

void FiredSituations::Refresh(const SceneView& scene) {
  for (Situation& s : situations_) {
    const bool tracked = std::any_of(scene.tracks->begin(), scene.tracks->end(),
                                     [&](const track::Track& t) { return t.id == s.track_id; });
    if (tracked || scene.coverage(s.box) >= kOccupied) s.last_occupied_ms = scene.now_ms;
  }
  std::erase_if(situations_, [&](const Situation& s) { return scene.now_ms - s.last_occupied_ms > kForgetEmptyMs; });
}

bool BegunTracks::Begin(const track::Track& t) {
  if (std::find(ids_.begin(), ids_.end(), t.id) != ids_.end()) return false;
  ids_.push_back(t.id);
  return true;
}

}  // namespace gb::edge::rules
