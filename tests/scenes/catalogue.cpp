#include "scenes/catalogue.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "edge/rules/zone.h"

namespace gb::scenes {
namespace {

constexpr double kMinDwell = 20, kMinStay = 15, kMinCrowd = 10;
constexpr int kCrowdCount = 4;

edge::ZoneConfig MakeZone(const char* id, edge::RuleKind rule, const char* category,
                          std::vector<std::pair<double, double>> polygon) {
  edge::ZoneConfig z;
  z.id = id;
  z.rule = rule;
  z.category = category;
  z.polygon = std::move(polygon);
  std::tie(z.min_area, z.max_area) = edge::rules::DefaultAreaLimits(rule);
  z.min_dwell_s = kMinDwell;
  z.min_stay_s = kMinStay;
  z.min_count = kCrowdCount;
  z.min_s = kMinCrowd;
  return z;
}

// Seeded draws for one scene.
class Dice {
 public:
  explicit Dice(std::uint32_t seed) : rng_(seed) {}
  double Uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  int Int(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }
  bool Coin() { return Int(0, 1) == 1; }
  std::uint32_t Next() { return static_cast<std::uint32_t>(rng_()); }

 private:
  std::mt19937 rng_;
};

// Conditions by scene index, so that every kind meets every condition.
Conditions ConditionsFor(int index, Dice& dice, double jump_at) {
  Conditions c;
  switch (index % 12) {
    case 0: break;
    case 1: c.noise = 5; break;
    case 2: c.drift = -0.3; break;
    case 3: c.jumps = {{jump_at, 0.65}}; break;
    case 4: c.rain = 80; break;
    case 5: c.shake = 2.5; break;
    case 6: c.darkness = 0.5; c.noise = 4; break;
    case 7: c.cloud = 0.35; break;
    case 8: c.jumps = {{jump_at, 1.35}}; break;
    case 9: c.noise = 4; c.shake = 1.5; break;
    case 10: c.rain = 50; c.drift = 0.2; break;
    case 11: c.noise = 3; break;
  }
  c.noise += dice.Uniform(0, 1);
  return c;
}

Actor Person(Dice& dice, Path path) {
  const Assets& assets = LoadAssets();
  Actor a;
  static std::vector<std::shared_ptr<const Sprite>> people = [&] {
    std::vector<std::shared_ptr<const Sprite>> out;
    for (const Sprite& s : assets.people) out.push_back(std::make_shared<const Sprite>(s));
    return out;
  }();
  a.sprite = people[static_cast<size_t>(dice.Int(0, static_cast<int>(people.size()) - 1))];
  a.flip = dice.Coin();
  a.perspective = true;
  a.path = std::move(path);
  a.t_in = a.path.keys.front().first;
  a.t_out = a.path.End() + 0.01;
  return a;
}

Actor Van(double scale, bool flip, Path path) {
  static const auto van = Shared(LoadAssets().van);
  Actor a;
  a.sprite = van;
  a.scale = scale;
  a.flip = flip;
  a.path = std::move(path);
  a.t_in = a.path.keys.front().first;
  a.t_out = a.path.End() + 0.01;
  return a;
}

// Someone walking straight across the view at height y, from one side to the other.
Actor Walker(Dice& dice, double t0, double y, bool leftwards) {
  Path p;
  p.To(t0, {leftwards ? 670.0f : -30.0f, static_cast<float>(y)});
  p.WalkTo({leftwards ? -30.0f : 670.0f, static_cast<float>(y + dice.Uniform(-15, 15))}, dice.Uniform(28, 40));
  return Person(dice, std::move(p));
}

// Someone who walks in from the bottom edge, stands at `spot` from `arrive` to `leave`, and
// walks out again. Returns the person; arrival time is fitted by walking backwards.
Actor Stander(Dice& dice, cv::Point2f spot, double arrive, double leave) {
  const cv::Point2f from(static_cast<float>(dice.Uniform(-30, 670)), 385);
  const double speed = dice.Uniform(28, 38);
  const double walk = std::hypot(spot.x - from.x, spot.y - from.y) / speed;
  Path p;
  p.To(std::max(0.0, arrive - walk), from).To(arrive, spot).To(leave, spot);
  p.WalkTo({spot.x < 320 ? -30.0f : 670.0f, spot.y + static_cast<float>(dice.Uniform(-20, 20))}, speed);
  return Person(dice, std::move(p));
}

Scene Base(const char* kind, int index, std::uint32_t seed) {
  Scene s;
  s.name = std::string(kind) + "-" + (index < 10 ? "0" : "") + std::to_string(index);
  s.seed = seed;
  s.camera = StreetCamera();
  return s;
}

Scene StationaryVehicle(int index, std::uint32_t seed) {
  Dice dice(seed);
  Scene s = Base("stationary_vehicle", index, seed);
  const bool leftwards = dice.Coin();
  const cv::Point2f stop(static_cast<float>(dice.Uniform(160, 290)), static_cast<float>(dice.Uniform(228, 242)));
  const double speed = dice.Uniform(70, 100);
  const float dir = leftwards ? -1.0f : 1.0f;
  Path p;
  p.To(dice.Uniform(2, 5), {leftwards ? 720.0f : -80.0f, stop.y});
  p.WalkTo({stop.x - dir * 30, stop.y}, speed);
  const double t_stop = p.WalkTo(stop, speed / 3);
  const bool long_stop = index % 4 != 3;
  const bool stays = index % 5 == 0;
  const double dwell = long_stop ? kMinDwell + dice.Uniform(8, 25) : kMinDwell - dice.Uniform(5, 10);
  double t_leave;
  if (stays) {
    t_leave = t_stop + kMinDwell + dice.Uniform(10, 14);
    p.To(t_leave, stop);
    s.duration_s = t_leave;
  } else {
    t_leave = t_stop + dwell;
    p.To(t_leave, stop);
    p.WalkTo({stop.x + dir * 30, stop.y}, speed / 3);
    p.WalkTo({leftwards ? -120.0f : 760.0f, stop.y}, speed);
    s.duration_s = p.End() + 4;
  }
  s.actors.push_back(Van(dice.Uniform(1.3, 1.6), dice.Coin(), std::move(p)));
  if (long_stop) s.truth.push_back({"stationary_vehicle", "parking", t_stop, t_leave});
  if (index % 3 == 1) {  // passers-by in front of the parked van
    for (int k = 0; k < 2; ++k) {
      s.actors.push_back(Walker(dice, t_stop + 4 + 6 * k, stop.y + dice.Uniform(14, 24), dice.Coin()));
    }
  }
  s.conditions = ConditionsFor(index, dice, t_stop + 6);
  return s;
}

Scene DumpedObject(int index, std::uint32_t seed) {
  Dice dice(seed);
  Scene s = Base("dumped_object", index, seed);
  const cv::Point2f drop(static_cast<float>(dice.Uniform(420, 580)), static_cast<float>(dice.Uniform(270, 330)));
  const int variant = index % 4 == 3 ? (index / 4) % 3 : -1;  // look-alikes, no event
  s.duration_s = 45;
  if (variant == 1) {  // a person standing still in the zone is not a dumped object
    s.actors.push_back(Stander(dice, drop, 5, 35));
  } else if (variant == 2) {  // nor is a van that drove in and parked
    Path p;
    p.To(3, {720, drop.y});
    p.WalkTo({drop.x + 20, drop.y}, 80);
    const double t = p.WalkTo(drop, 25);
    p.To(t + 30, drop);
    s.actors.push_back(Van(1.4, dice.Coin(), std::move(p)));
  } else {
    // Someone carries a thing in, sets it down and walks on.
    const bool from_right = dice.Coin();
    const double speed = dice.Uniform(28, 38);
    const float side = from_right ? 1.0f : -1.0f;  // the thing is carried on the side away from the walk
    Path carrier;
    carrier.To(dice.Uniform(1, 3), {from_right ? 670.0f : 340.0f, static_cast<float>(drop.y + dice.Uniform(-30, 30))});
    const cv::Point2f stand(drop.x - side * 12, drop.y);
    const double t_set = carrier.WalkTo(stand, speed);
    const bool picked_up_soon = variant == 0;  // set down, then taken again before the minimum: no event
    carrier.To(t_set + 1.0, stand);
    double t_end;
    if (picked_up_soon) {
      carrier.To(t_set + kMinStay - 6, stand);
      t_end = t_set + kMinStay - 6;
    } else {
      t_end = s.duration_s;
    }
    carrier.WalkTo({from_right ? -30.0f : 670.0f, static_cast<float>(drop.y + dice.Uniform(-25, 25))}, speed);
    Path thing;
    for (const auto& [t, at] : carrier.keys) {
      if (t > t_set) break;
      thing.To(t, at + cv::Point2f(side * 10, 0));
    }
    thing.To(t_end, drop);
    if (picked_up_soon) {
      for (const auto& [t, at] : carrier.keys) {
        if (t > t_end) thing.To(t, at + cv::Point2f(side * 10, 0));
      }
    }
    const double scale = PersonScale(drop.y);
    Actor a;
    a.sprite = Shared(DrawObject(index % 3, static_cast<int>(dice.Uniform(16, 24) * scale), dice.Next()));
    a.path = std::move(thing);
    a.t_in = a.path.keys.front().first;
    a.t_out = 1e9;
    const bool taken_later = index % 5 == 2;  // someone takes it away after the event
    if (taken_later && !picked_up_soon) {
      t_end = t_set + kMinStay + 10;
      s.actors.push_back(Stander(dice, drop + cv::Point2f(side * -10, 0), t_end - 1, t_end + 1));
      a.t_out = t_end;
    }
    s.actors.push_back(Person(dice, std::move(carrier)));
    s.actors.push_back(std::move(a));
    if (!picked_up_soon) s.truth.push_back({"dumped_object", "kerb", t_set, t_end});
    if (index % 3 == 1) s.actors.push_back(Walker(dice, t_set + 5, drop.y - dice.Uniform(40, 60), dice.Coin()));
    if (index % 3 == 2) {  // someone waits elsewhere in the zone: still no one next to the thing
      const cv::Point2f far(drop.x > 500 ? drop.x - 110 : drop.x + 110, drop.y - 20);
      s.actors.push_back(Stander(dice, far, t_set + 3, t_set + 25));
    }
  }
  s.conditions = ConditionsFor(index, dice, 20);
  return s;
}

Scene Poster(int index, std::uint32_t seed) {
  Dice dice(seed);
  Scene s = Base("poster", index, seed);
  const double t_up = dice.Uniform(4, 8);
  const bool short_lived = index % 4 == 3;
  const double t_down = short_lived ? t_up + kMinStay - 6 : t_up + kMinStay + dice.Uniform(8, 14);
  s.duration_s = short_lived ? t_up + kMinStay + 10 : t_down + (index % 2 ? 4 : 0);
  const bool two = index % 4 == 1;
  const float x1 = static_cast<float>(dice.Uniform(280, two ? 360 : 460));
  const std::vector<std::pair<double, float>> posters =
      two ? std::vector<std::pair<double, float>>{{t_up, x1}, {t_up + 7, x1 + static_cast<float>(dice.Uniform(70, 100))}}
          : std::vector<std::pair<double, float>>{{t_up, x1}};
  for (const auto& [t, x] : posters) {
    const cv::Point2f at(x, static_cast<float>(dice.Uniform(58, 76)));
    Actor a;
    a.sprite = Shared(DrawPoster(dice.Int(22, 32), dice.Int(28, 40), dice.Next()));
    a.on_wall = true;
    a.path.To(0, at);
    a.t_in = t;
    a.t_out = short_lived ? t_down : 1e9;
    s.actors.push_back(std::move(a));
    if (!short_lived) s.truth.push_back({"poster", "facade", t, s.duration_s});
    if (index % 2 == 0) {  // the person putting it up stands in front for a moment
      Path p;
      p.To(t - 6, {x - 160, 86}).To(t - 1, {x, 86}).To(t + 1, {x, 86}).To(t + 6, {x + 160, 88});
      s.actors.push_back(Person(dice, std::move(p)));
    }
  }
  if (index % 3 == 2) s.actors.push_back(Walker(dice, t_up + 5, 88, dice.Coin()));  // someone walks along the wall
  s.conditions = ConditionsFor(index, dice, t_up + 6);
  return s;
}

Scene Crowding(int index, std::uint32_t seed) {
  Dice dice(seed);
  Scene s = Base("crowding", index, seed);
  const int need = 3 + index % 3;
  for (edge::ZoneConfig& z : s.camera.zones) {
    if (z.rule == edge::RuleKind::kCrowding) z.min_count = need;
  }
  const bool negative = index % 4 == 3;
  const bool too_short = negative && (index / 4) % 2 == 0;
  const int people = negative && !too_short ? need - 1 : need + index % 2;
  const double t0 = dice.Uniform(3, 6);
  const double stand = too_short ? kMinCrowd - 5 : kMinCrowd + dice.Uniform(8, 14);
  // Where they stand: side by side, or one behind the other by more than a person's height, so
  // that nobody stands hidden behind someone else (no camera could count them). Spots are drawn
  // until they fit (a bounded number of times).
  std::vector<cv::Point2f> spots;
  for (int attempt = 0; static_cast<int>(spots.size()) < people; ++attempt) {
    const cv::Point2f p(static_cast<float>(dice.Uniform(385, 615)), static_cast<float>(dice.Uniform(205, 330)));
    const bool apart = std::all_of(spots.begin(), spots.end(), [&](const cv::Point2f& q) {
      return std::abs(p.x - q.x) > 38 || std::abs(p.y - q.y) > 100;
    });
    if (apart || attempt > 10000) spots.push_back(p);
  }
  std::vector<double> arrivals;
  for (int k = 0; k < people; ++k) arrivals.push_back(t0 + 2.0 * k + dice.Uniform(0, 1));
  const double t_leave = arrivals.back() + stand;
  for (int k = 0; k < people; ++k) {
    const auto i = static_cast<size_t>(k);
    s.actors.push_back(Stander(dice, spots[i], arrivals[i], t_leave + dice.Uniform(0, 1.5)));
  }
  s.duration_s = t_leave + 12;
  // The truth: when the count in the zone first reaches the minimum, and when it falls below.
  const edge::ZoneConfig& zone = s.camera.zones[3];
  const edge::rules::Zone geometry(zone, s.size);
  double start = -1;
  for (double t = 0; t < s.duration_s; t += 0.1) {
    int count = 0;
    for (const Actor& a : s.actors) {
      const cv::Point2f b = a.path.At(t);
      if (t >= a.t_in && t < a.t_out && geometry.Contains(b)) ++count;
    }
    if (count >= need && start < 0) start = t;
    if (count < need && start >= 0) {
      if (t - start >= kMinCrowd) s.truth.push_back({"crowding", "square", start, t});
      start = -1;
    }
  }
  s.conditions = ConditionsFor(index, dice, t_leave - 4);
  return s;
}

Scene Control(int index, std::uint32_t seed) {
  Dice dice(seed);
  Scene s = Base("control", index, seed);
  s.duration_s = 40;
  Conditions& c = s.conditions;
  switch (index % 10) {
    case 0: c.noise = 3; break;
    case 1: c.drift = -0.4; c.noise = 3; break;
    case 2: c.jumps = {{10, 0.6}, {25, 1.5}}; break;
    case 3: c.rain = 120; break;
    case 4: c.shake = 3; break;
    case 5: c.darkness = 0.3; c.noise = 8; break;
    case 6:
      c.cloud = 0.4;
      for (int k = 0; k < 3; ++k) s.actors.push_back(Walker(dice, 3 + 9 * k, dice.Uniform(180, 320), dice.Coin()));
      break;
    case 7:
      for (int k = 0; k < 2; ++k) {
        Path p;
        const bool left = dice.Coin();
        const float y = static_cast<float>(dice.Uniform(225, 240));
        p.To(3 + 15 * k, {left ? 720.0f : -80.0f, y});
        p.WalkTo({left ? -120.0f : 760.0f, y}, dice.Uniform(60, 90));
        s.actors.push_back(Van(1.4, dice.Coin(), std::move(p)));
      }
      s.actors.push_back(Walker(dice, 8, 300, dice.Coin()));
      break;
    case 8:  // people waiting: in the parking strip and on the kerb, fewer than a crowd
      s.actors.push_back(Stander(dice, {220, 235}, 4, 34));
      s.actors.push_back(Stander(dice, {500, 300}, 6, 36));
      break;
    case 9:
      c.rain = 60;
      c.shake = 2;
      c.drift = -0.25;
      for (int k = 0; k < 4; ++k) s.actors.push_back(Walker(dice, 2 + 8 * k, dice.Uniform(170, 330), dice.Coin()));
      break;
  }
  c.noise = std::max(c.noise, 2.0);
  return s;
}

}  // namespace

edge::CameraConfig StreetCamera() {
  edge::CameraConfig camera;
  camera.id = "cam-street";
  camera.source = "generated";
  camera.analysis_fps = 5;
  camera.analysis_width = 640;
  camera.zones = {
      MakeZone("parking", edge::RuleKind::kStationaryVehicle, "illegal_parking", {{0.15, 0.48}, {0.52, 0.48}, {0.52, 0.70}, {0.15, 0.70}}),
      MakeZone("kerb", edge::RuleKind::kDumpedObject, "dumped_rubbish", {{0.59, 0.65}, {0.97, 0.65}, {0.97, 0.96}, {0.59, 0.96}}),
      MakeZone("facade", edge::RuleKind::kPoster, "illegal_poster", {{0.40, 0.0}, {0.76, 0.0}, {0.76, 0.24}, {0.40, 0.24}}),
      MakeZone("square", edge::RuleKind::kCrowding, "crowding", {{0.56, 0.42}, {1.0, 0.42}, {1.0, 0.96}, {0.56, 0.96}}),
  };
  return camera;
}

Scene MakeScene(SceneKind kind, int index) {
  const std::uint32_t seed = 7919u * (static_cast<std::uint32_t>(kind) + 1) + 104729u * static_cast<std::uint32_t>(index);
  switch (kind) {
    case SceneKind::kStationaryVehicle: return StationaryVehicle(index, seed);
    case SceneKind::kDumpedObject: return DumpedObject(index, seed);
    case SceneKind::kPoster: return Poster(index, seed);
    case SceneKind::kCrowding: return Crowding(index, seed);
    case SceneKind::kControl: break;
  }
  return Control(index, seed);
}

std::vector<Scene> Catalogue(int per_kind) {
  std::vector<Scene> out;
  for (SceneKind k : {SceneKind::kStationaryVehicle, SceneKind::kDumpedObject, SceneKind::kPoster, SceneKind::kCrowding}) {
    for (int i = 0; i < per_kind; ++i) out.push_back(MakeScene(k, i));
  }
  for (int i = 0; i < std::max(10, per_kind); ++i) out.push_back(MakeScene(SceneKind::kControl, i));
  return out;
}

}  // namespace gb::scenes
