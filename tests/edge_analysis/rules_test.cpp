// Zone rules with scripted tracks: each fires once per situation at its start plus its minimum
// time, never for the look-alikes it must ignore.
#include "edge/rules/rule.h"

#include <gtest/gtest.h>

namespace gb::edge::rules {
namespace {

const cv::Size kFrame{640, 360};

ZoneConfig Config(RuleKind rule) {
  ZoneConfig z;
  z.id = "z";
  z.rule = rule;
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  std::tie(z.min_area, z.max_area) = DefaultAreaLimits(rule);
  z.min_dwell_s = 20;
  z.min_stay_s = 15;
  z.min_count = 3;
  z.min_s = 5;
  return z;
}

// One rule over a whole-frame zone of its kind.
struct Watched {
  explicit Watched(RuleKind kind) : config(Config(kind)), zone(config, kFrame), rule(MakeRule(zone)) {}
  ZoneConfig config;
  Zone zone;
  std::unique_ptr<Rule> rule;
};

track::Track AtRest(int id, cv::Rect box, std::int64_t since, track::Kind kind) {
  track::Track t;
  t.id = id;
  t.box = box;
  t.at_rest = true;
  t.rest_since_ms = since;
  t.kind = kind;
  t.ever_vehicle = kind == track::Kind::kVehicle;
  t.ever_person = kind == track::Kind::kPerson;
  t.classified_at_rest = true;
  t.score = 0.8f;
  return t;
}

// Runs `rule` from `from_ms` to `to_ms` in 200 ms steps with `tracks(now)`, each seen in that
// frame unless it says when it was last seen (a negative time); returns the firings.
template <typename Tracks>
std::vector<Firing> RunRule(Rule& rule, std::int64_t from_ms, std::int64_t to_ms, Tracks tracks,
                            double coverage = 0) {
  std::vector<Firing> fired;
  for (std::int64_t now = from_ms; now <= to_ms; now += 200) {
    std::vector<track::Track> ts = tracks(now);
    for (track::Track& t : ts) t.last_seen_ms = t.last_seen_ms < 0 ? now + t.last_seen_ms : now;
    SceneView view;
    view.now_ms = now;
    view.tracks = &ts;
    std::vector<cv::Rect> people;
    view.people = &people;
    view.coverage = [coverage](const cv::Rect&) { return coverage; };
    for (Firing& f : rule.Evaluate(view).fired) fired.push_back(f);
  }
  return fired;
}

TEST(StationaryVehicle, FiresOnceAtRestPlusDwell) {
  Watched w(RuleKind::kStationaryVehicle);
  Rule& rule = *w.rule;
  const auto car = AtRest(1, {100, 150, 80, 60}, 2000, track::Kind::kVehicle);
  std::int64_t first = -1;
  std::vector<Firing> fired;
  for (std::int64_t now = 2000; now <= 90000; now += 200) {
    std::vector<track::Track> ts = {car};
    std::vector<cv::Rect> none;
    SceneView v{now, &ts, &none, nullptr, [](const cv::Rect&) { return 1.0; }};
    for (Firing& f : rule.Evaluate(v).fired) {
      if (first < 0) first = now;
      fired.push_back(f);
    }
  }
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(first, 22000);
  EXPECT_EQ(fired[0].started_ms, 2000);
  EXPECT_NEAR(*fired[0].dwell_s, 20, 0.01);
}

TEST(StationaryVehicle, AShorterStopRaisesNothing) {
  Watched w(RuleKind::kStationaryVehicle);
  Rule& rule = *w.rule;
  const auto car = AtRest(1, {100, 150, 80, 60}, 0, track::Kind::kVehicle);
  auto fired = RunRule(rule, 0, 40000, [&](std::int64_t now) {
    return now < 15000 ? std::vector<track::Track>{car} : std::vector<track::Track>{};
  });
  EXPECT_TRUE(fired.empty());
}

TEST(StationaryVehicle, TheSameStayFoundAgainDoesNotFireAgain) {
  Watched w(RuleKind::kStationaryVehicle);
  Rule& rule = *w.rule;
  // The tracker loses the car after the event and finds it again as a new track, while the
  // masks show it all along.
  auto fired = RunRule(
      rule, 0, 80000,
      [&](std::int64_t now) {
        return now < 30000 ? std::vector<track::Track>{AtRest(1, {100, 150, 80, 60}, 0, track::Kind::kVehicle)}
                           : std::vector<track::Track>{AtRest(2, {102, 151, 78, 60}, 30000, track::Kind::kVehicle)};
      },
      1.0);
  EXPECT_EQ(fired.size(), 1u);
}

TEST(StationaryVehicle, APersonStandingStillIsNoVehicle) {
  Watched w(RuleKind::kStationaryVehicle);
  Rule& rule = *w.rule;
  auto fired = RunRule(rule, 0, 60000, [&](std::int64_t) {
    return std::vector<track::Track>{AtRest(1, {100, 150, 25, 70}, 0, track::Kind::kPerson)};
  });
  EXPECT_TRUE(fired.empty());
}

TEST(DumpedObject, FiresForAThingSetDownOnceNobodyIsNextToIt) {
  Watched w(RuleKind::kDumpedObject);
  Rule& rule = *w.rule;
  auto bag = AtRest(1, {300, 250, 16, 14}, 1000, track::Kind::kNothing);
  track::Track owner = AtRest(2, {318, 200, 22, 62}, 0, track::Kind::kPerson);
  auto fired = RunRule(rule, 1000, 60000, [&](std::int64_t now) {
    std::vector<track::Track> ts = {bag};
    if (now < 20000) ts.push_back(owner);  // the owner stands next to it until 20 s
    return ts;
  });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].started_ms, 1000);
}

TEST(DumpedObject, NothingOnceTheMasksNoLongerShowIt) {
  // Someone stood there and walked off; their track is in its grace without presence when
  // nobody is next to it any more: no thing was left.
  Watched w(RuleKind::kDumpedObject);
  Rule& rule = *w.rule;
  auto fired = RunRule(rule, 0, 40000, [&](std::int64_t now) {
    auto gone = AtRest(1, {300, 250, 16, 14}, 0, track::Kind::kNothing);
    if (now >= 20000) gone.last_seen_ms = 20000 - now - 1;  // unseen since 20 s
    std::vector<track::Track> ts = {gone};
    if (now < 20000) ts.push_back(AtRest(2, {318, 200, 22, 62}, 0, track::Kind::kPerson));
    if (now > 23000) ts.clear();  // the grace is over
    return ts;
  });
  EXPECT_TRUE(fired.empty());
}

TEST(DumpedObject, NeverAPersonAVehicleOrSomethingThatArrivedByItself) {
  Watched w(RuleKind::kDumpedObject);
  Rule& rule = *w.rule;
  auto walked_in = AtRest(3, {400, 250, 16, 14}, 0, track::Kind::kNothing);
  walked_in.travelled = 5;
  auto fired = RunRule(rule, 0, 60000, [&](std::int64_t) {
    return std::vector<track::Track>{AtRest(1, {100, 250, 22, 60}, 0, track::Kind::kPerson),
                                     AtRest(2, {200, 250, 60, 45}, 0, track::Kind::kVehicle), walked_in};
  });
  EXPECT_TRUE(fired.empty());
}

TEST(DumpedObject, AChangeOfLightIsNoObject) {
  Watched w(RuleKind::kDumpedObject);
  Rule& rule = *w.rule;
  auto patch = AtRest(1, {300, 250, 30, 20}, 0, track::Kind::kNothing);
  patch.background = true;
  EXPECT_TRUE(RunRule(rule, 0, 60000, [&](std::int64_t) { return std::vector<track::Track>{patch}; }).empty());
}

TEST(Poster, OnePosterFiresOnce) {
  Watched w(RuleKind::kPoster);
  Rule& rule = *w.rule;
  auto poster = AtRest(1, {300, 40, 26, 34}, 5000, track::Kind::kNothing);
  auto fired = RunRule(rule, 5000, 120000, [&](std::int64_t) { return std::vector<track::Track>{poster}; });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].started_ms, 5000);
}

TEST(Crowding, FiresAtTheCountForMinSAndReArmsOnceBelow) {
  Watched w(RuleKind::kCrowding);
  Rule& rule = *w.rule;
  ASSERT_TRUE(rule.CountsPeople());
  const std::vector<cv::Rect> three = {{100, 100, 20, 60}, {200, 100, 20, 60}, {300, 100, 20, 60}};
  const std::vector<cv::Rect> two(three.begin(), three.begin() + 2);
  std::vector<std::pair<std::int64_t, Firing>> fired;
  for (std::int64_t now = 0; now <= 60000; now += 200) {
    // Three people from 2 s to 20 s with a 1 s dip at 5 s, then two, then three again from 30 s.
    const bool crowd = (now >= 2000 && now < 20000 && !(now >= 5000 && now < 6000)) || now >= 30000;
    std::vector<track::Track> none;
    SceneView v{now, &none, crowd ? &three : &two, nullptr, [](const cv::Rect&) { return 0.0; }};
    for (Firing& f : rule.Evaluate(v).fired) fired.emplace_back(now, f);
  }
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 7000);
  EXPECT_EQ(fired[0].second.started_ms, 2000);
  EXPECT_EQ(*fired[0].second.count, 3);
  EXPECT_EQ(fired[1].second.started_ms, 30000);
}

}  // namespace
}  // namespace gb::edge::rules
