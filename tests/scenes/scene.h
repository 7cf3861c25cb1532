// Generated street scenes with known ground truth, for the edge analysis' accuracy tests and
// the edge benchmark's clips. A Scene is a list of actors (people, a van, objects, posters)
// moving along paths over a real empty street, seen through conditions (noise, lighting drift,
// sudden brightness changes, rain, camera shake, darkness, cloud shadows). Render(t) is a pure
// function of the scene and t: the same scene gives the same frames every time.
//
// Thread-safety: a Scene is immutable once made; Render() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "edge/config.h"
#include "scenes/assets.h"

namespace gb::scenes {

// One situation the analysis must report: the rule, its zone, when it began and when it ended
// (the thing left, the crowd thinned, or the scene ended).
struct TruthEvent {
  std::string rule;  // "stationary_vehicle", …
  std::string zone;
  double start_s = 0;
  double end_s = 0;
};

// Where an actor's bottom centre is: straight lines between timed points, still before the
// first and after the last.
struct Path {
  std::vector<std::pair<double, cv::Point2f>> keys;  // seconds, frame pixels; times increasing
  cv::Point2f At(double t) const;
  Path& To(double t, cv::Point2f p) {
    keys.emplace_back(t, p);
    return *this;
  }
  // Walks from the last point to `p` at `speed` pixels per second; returns the arrival time.
  double WalkTo(cv::Point2f p, double speed);
  double End() const { return keys.empty() ? 0 : keys.back().first; }
};

struct Actor {
  std::shared_ptr<const Sprite> sprite;
  double scale = 1;
  bool perspective = false;  // scaled by PersonScale() of where it stands instead
  bool flip = false;
  bool on_wall = false;  // drawn before everything else (posters)
  double t_in = 0, t_out = 1e9;  // visible in [t_in, t_out)
  Path path;
};

struct Conditions {
  double noise = 2;        // sigma of Gaussian pixel noise
  double darkness = 1;     // overall light (night: about 0.3)
  double drift = 0;        // change of light from the start to the end (−0.3 = 30 % darker)
  std::vector<std::pair<double, double>> jumps;  // (time, factor): sudden lasting changes of light
  int rain = 0;            // streaks per frame
  double shake = 0;        // camera shake, pixels either way
  double cloud = 0;        // a soft cloud shadow crossing the view, this much darker at its centre
};

struct Scene {
  std::string name;
  std::uint32_t seed = 0;
  double duration_s = 60;
  cv::Size size{640, 360};
  edge::CameraConfig camera;  // the zones the truth refers to
  std::vector<TruthEvent> truth;
  std::vector<Actor> actors;
  Conditions conditions;

  // The frame at `t_s` seconds, `size` pixels (BGR). REQUIRES: LoadAssets() succeeds.
  cv::Mat Render(double t_s) const;
  // {"name", "seed", "duration_s", "zones": [{"id", "rule", "polygon", …}], "truth": [[rule, start_s, end_s, zone], …]}
  std::string TruthJson() const;
};

// Shorthands for making scenes.
std::shared_ptr<const Sprite> Shared(Sprite s);
// The scale at which a person stands at `y` (pixels of the 640×360 street): nearer is larger.
double PersonScale(double y);

}  // namespace gb::scenes
