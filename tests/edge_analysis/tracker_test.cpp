// Tracker with scripted candidates: rest and its start, passers-by, splits, endings.
#include "edge/track/tracker.h"

#include <gtest/gtest.h>

namespace gb::edge::track {
namespace {

constexpr std::int64_t kStepMs = 200;

struct Script {
  Tracker tracker;
  double coverage = 1;  // what the masks show inside any box at rest
  std::int64_t now = 0;

  void Step(std::vector<cv::Rect> boxes) {
    std::vector<Candidate> c;
    for (const cv::Rect& b : boxes) c.push_back({b});
    tracker.Update(c, now, [this](const cv::Rect&) { return coverage; });
    now += kStepMs;
  }
  const Track* Only() const { return tracker.tracks().size() == 1 ? &tracker.tracks().front() : nullptr; }
};

TEST(Tracker, AMovingThingThatStopsIsAtRestSinceItStopped) {
  Script s;
  for (int i = 0; i < 20; ++i) s.Step({{100 + 10 * i, 200, 60, 40}});  // 50 px/s for 4 s
  const std::int64_t stopped = s.now - kStepMs;
  for (int i = 0; i < 10; ++i) s.Step({{290, 200, 60, 40}});
  const Track* t = s.Only();
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->at_rest);
  EXPECT_NEAR(static_cast<double>(t->rest_since_ms), static_cast<double>(stopped), 250);
  EXPECT_GT(t->travelled, 2);
}

TEST(Tracker, PassersByDoNotDisturbAThingAtRest) {
  Script s;
  for (int i = 0; i < 15; ++i) s.Step({{300, 200, 60, 40}});
  ASSERT_NE(s.Only(), nullptr);
  const int id = s.Only()->id;
  ASSERT_TRUE(s.Only()->at_rest);
  // Someone walks across in front of it.
  for (int i = 0; i < 30; ++i) s.Step({{300, 200, 60, 40}, {200 + 8 * i, 215, 15, 40}});
  const auto& tracks = s.tracker.tracks();
  const auto it = std::find_if(tracks.begin(), tracks.end(), [&](const Track& t) { return t.id == id; });
  ASSERT_NE(it, tracks.end());
  EXPECT_TRUE(it->at_rest);
  EXPECT_EQ(it->box, cv::Rect(300, 200, 60, 40));
  EXPECT_GE(tracks.size(), 2u);  // the passer-by has a track of their own
}

TEST(Tracker, AThingSetDownIsANewTrackBornAtRest) {
  Script s;
  for (int i = 0; i < 15; ++i) s.Step({{100 + 8 * i, 150, 20, 60}});  // a person walking
  // The bag stays; the person walks on.
  for (int i = 15; i < 30; ++i) s.Step({{100 + 8 * i, 150, 20, 60}, {212, 195, 12, 12}});
  ASSERT_EQ(s.tracker.tracks().size(), 2u);
  const Track& bag = s.tracker.tracks().back();
  EXPECT_EQ(bag.box, cv::Rect(212, 195, 12, 12));
  EXPECT_TRUE(bag.at_rest);
  EXPECT_LT(bag.travelled, 0.5);
  EXPECT_FALSE(s.tracker.tracks().front().at_rest);
}

TEST(Tracker, AThingAtRestEndsOnlyAfterItsGraceWithoutPresence) {
  Script s;
  for (int i = 0; i < 15; ++i) s.Step({{300, 200, 60, 40}});
  ASSERT_TRUE(s.Only()->at_rest);
  s.coverage = 0;
  for (int i = 0; i < 10; ++i) s.Step({});  // 2 s: still held (hidden, or the light changed)
  EXPECT_NE(s.Only(), nullptr);
  for (int i = 0; i < 10; ++i) s.Step({});
  EXPECT_TRUE(s.tracker.tracks().empty());
}

TEST(Tracker, AMovingTrackWithoutCandidatesEnds) {
  Script s;
  for (int i = 0; i < 5; ++i) s.Step({{100 + 10 * i, 200, 20, 50}});
  for (int i = 0; i < 7; ++i) s.Step({});
  EXPECT_TRUE(s.tracker.tracks().empty());
}

}  // namespace
}  // namespace gb::edge::track
