// Zone rules: each watches one zone and fires once per situation, at the moment the situation
// began plus the rule's minimum time (a stay is one event however long it lasts).
//
// - stationary_vehicle: a vehicle at rest in the zone for min_dwell_s. A shorter stop raises
//   nothing; passers-by and lighting changes do not end the stay (the tracker keeps it).
// - dumped_object: a thing that was set down (born at rest, never a person or a vehicle), has
//   stayed min_stay_s, with nobody next to it. A person standing still is never one, nor is a
//   vehicle that drove in.
// - poster: a lasting change of appearance (born at rest, not a person or vehicle, more than a
//   change of brightness) for min_stay_s.
// - crowding: the anonymous count of people in the zone reaches min_count and stays there for
//   min_s; it re-arms once the count has been below for a moment.
// - no_helmet: a person in the zone whose head a deployment's own model sees without a helmet
//   (rules/no_helmet.h).
//
// Thread-safety: not thread-safe; one set of rules per camera.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "edge/rules/zone.h"
#include "edge/track/tracker.h"

namespace gb::edge::rules {

// What the rules see of one analysed frame.
struct SceneView {
  std::int64_t now_ms = 0;
  const std::vector<track::Track>* tracks = nullptr;  // confirmed tracks only
  const std::vector<cv::Rect>* people = nullptr;      // the latest people count's boxes
  const cv::Mat* frame = nullptr;                      // the analysis copy (BGR)
  // Fraction of a box (analysis pixels) that the motion masks cover now.
  std::function<double(const cv::Rect&)> coverage;
};

// A situation has begun (a thing is at rest in the zone, a crowd has formed): the analyzer keeps
// a picture of the zone now, for the evidence of a later firing with the same `situation`.
struct Began {
  int situation = 0;  // the track's id, or a negative number for a count
  cv::Rect box;       // the object, or the zone's bounds; analysis pixels
};

struct Firing {
  int situation = 0;  // as in Began
  cv::Rect box;       // the object, or the zone's bounds; analysis pixels
  std::int64_t started_ms = 0;
  double confidence = 0;
  std::optional<double> dwell_s;
  std::optional<int> count;
};

struct RuleOutput {
  std::vector<Began> began;
  std::vector<Firing> fired;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual RuleOutput Evaluate(const SceneView& scene) = 0;
  // The rule needs `SceneView::people`: the analyzer then counts people in its zone.
  virtual bool CountsPeople() const { return false; }
};

// The rule of `zone` (every rule but no_helmet, which rules/no_helmet.h makes from its model).
// REQUIRES: zone.config().rule != kNoHelmet; `zone` outlives the rule.
std::unique_ptr<Rule> MakeRule(const Zone& zone);
std::unique_ptr<Rule> MakeStationaryVehicleRule(const Zone& zone);
std::unique_ptr<Rule> MakeLastingChangeRule(const Zone& zone);  // dumped_object and poster
std::unique_ptr<Rule> MakeCrowdingRule(const Zone& zone);

// The situations a rule has fired for, so that one situation fires once: a new track on the
// same spot (the tracker lost and found the thing again) is the same situation for as long as
// the spot stays occupied.
class FiredSituations {
 public:
  bool Fired(const track::Track& t) const;
  void Add(const track::Track& t, std::int64_t now_ms);
  // Forgets situations whose spot has been empty for a few seconds.
  void Refresh(const SceneView& scene);

 private:
  struct Situation {
    int track_id;
    cv::Rect box;
    std::int64_t last_occupied_ms;
  };
  std::vector<Situation> situations_;
};

// The tracks whose situation has begun, each reported once.
class BegunTracks {
 public:
  // True the first time `t` is passed.
  bool Begin(const track::Track& t);

 private:
  std::vector<int> ids_;
};

}  // namespace gb::edge::rules
