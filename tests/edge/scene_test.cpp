// The whole agent with the real analysis on generated street scenes with known ground truth
// (tests/scenes): for every rule, `glassbrain edge --dry-run` on an H.264 file of a scene that
// holds one situation raises that situation, in its zone, while it lasts, and nothing else;
// live mode delivers the same event to a real `glassbrain serve`, where it joins an incident.
#include <signal.h>

#include <gtest/gtest.h>

#include <sstream>

#include "agent_files.h"
#include "core/time.h"
#include "edge_testing.h"
#include "hub_process.h"
#include "scene_clip.h"
#include "scenes/catalogue.h"

namespace gb::edge::testing {
namespace {

using scenes::SceneKind;

constexpr double kFps = 5;  // the zones' analysis rate: every frame of the clip is analysed

// The hub's service code for each of the street's zones (data/demo's catalogue).
std::string Category(const ZoneConfig& zone) {
  switch (zone.rule) {
    case RuleKind::kStationaryVehicle: return "illegal_parking";
    case RuleKind::kDumpedObject: return "dumped_rubbish";
    case RuleKind::kPoster: return "unauthorized_poster";
    case RuleKind::kCrowding:
    case RuleKind::kNoHelmet: break;
  }
  return "noise";
}

// A [[camera]] table with the scene's zones, their minimum times and the clip as its file.
std::string SceneCameraToml(const scenes::Scene& scene, const std::string& clip, const std::string& epoch,
                            const std::string& extra = "") {
  std::ostringstream t;
  t << CameraToml(scene.camera.id, clip, {}, epoch, extra);
  for (const ZoneConfig& z : scene.camera.zones) {
    t << "[[camera.zone]]\nid = \"" << z.id << "\"\nrule = \"" << RuleKindName(z.rule) << "\"\ncategory = \""
      << Category(z) << "\"\npolygon = [";
    for (size_t i = 0; i < z.polygon.size(); ++i)
      t << (i ? ", " : "") << "[" << z.polygon[i].first << ", " << z.polygon[i].second << "]";
    t << "]\nmin_dwell_s = " << z.min_dwell_s << "\nmin_stay_s = " << z.min_stay_s << "\nmin_count = " << z.min_count
      << "\nmin_s = " << z.min_s << "\n";
  }
  return t.str();
}

// Seconds from `epoch` to an RFC 3339 time.
double SecondsAfter(const std::string& epoch, const std::string& time) {
  auto from = ParseRfc3339(epoch), to = ParseRfc3339(time);
  return from && to ? (*to - *from) / 1000.0 : -1;
}

// A scene of the catalogue and its kind: the first of each kind that holds one situation and
// that the analysis reports on its frames (its accuracy is the analysis tests' subject; here
// the runtime must carry what it reports from a video file to the wire unchanged).
struct SceneCase {
  const char* name;
  SceneKind kind;
  int index;
};
void PrintTo(const SceneCase& c, std::ostream* out) { *out << c.name << " " << c.index; }

class EdgeScene : public ::testing::TestWithParam<SceneCase> {};

TEST_P(EdgeScene, TheDryRunRaisesTheScenesSituationAndNothingElse) {
  const scenes::Scene scene = scenes::MakeScene(GetParam().kind, GetParam().index);
  ASSERT_EQ(scene.truth.size(), 1u) << scene.TruthJson();
  const scenes::TruthEvent& truth = scene.truth[0];
  TempDir dir;
  const std::string clip = dir / "scene.mp4";
  ASSERT_TRUE(MakeSceneClip(scene, clip, kFps)) << "ffmpeg could not make the clip";
  const std::string epoch = "2026-11-24T10:00:00Z";
  WriteFile(dir / "edge.toml", SceneCameraToml(scene, clip, epoch));
  auto r = edge::testing::Run({GlassbrainBinary(), "edge", "--config", dir / "edge.toml", "--dry-run", "--out", dir / "out"},
               dir / "run", std::chrono::seconds(600));
  ASSERT_EQ(r.exit, 0) << r.err;

  const std::vector<nlohmann::json> events = ReadEvents(dir / "out/events.jsonl");
  ASSERT_EQ(events.size(), 1u) << scene.TruthJson() << "\n" << r.err;
  const nlohmann::json& e = events[0];
  EXPECT_EQ(e["rule"], truth.rule);
  EXPECT_EQ(e["attributes"]["zone"], truth.zone);
  EXPECT_EQ(e["source"]["id"], scene.camera.id);
  const double fired = SecondsAfter(epoch, e["observed_at"]);
  const double began = SecondsAfter(epoch, e["attributes"]["started_at"]);
  // It fires once the situation has lasted its minimum, before it ends; it began about when
  // the truth says (within the time the tracker needs to see a thing settle).
  EXPECT_GT(fired, truth.start_s) << e.dump();
  EXPECT_LE(fired, truth.end_s + 1) << e.dump();
  EXPECT_NEAR(began, truth.start_s, 6) << e.dump();
  EXPECT_GE(e["evidence"].size(), 1u);
  for (const auto& ref : e["evidence"]) {
    const std::string hex = ref.get<std::string>().substr(7);
    EXPECT_EQ(Sha256Hex(ReadFile(dir / ("out/evidence/sha256-" + hex + ".jpg"))), hex);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRule, EdgeScene,
                         ::testing::Values(SceneCase{"StationaryVehicle", SceneKind::kStationaryVehicle, 0},
                                           SceneCase{"DumpedObject", SceneKind::kDumpedObject, 0},
                                           SceneCase{"Poster", SceneKind::kPoster, 4},
                                           SceneCase{"Crowding", SceneKind::kCrowding, 0}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(EdgeSceneLive, AParkedVanBecomesAnIncidentAtTheHub) {
  const scenes::Scene scene = scenes::MakeScene(SceneKind::kStationaryVehicle, 0);
  TempDir dir;
  HubProcess hub(dir / "hub");
  ASSERT_TRUE(hub.Start());
  const std::string clip = dir / "scene.mp4";
  ASSERT_TRUE(MakeSceneClip(scene, clip, kFps)) << "ffmpeg could not make the clip";
  const std::string camera = SceneCameraToml(scene, clip, RecentEpoch());
  WriteFile(dir / "dry.toml", camera);
  auto dry = edge::testing::Run({GlassbrainBinary(), "edge", "--config", dir / "dry.toml", "--dry-run", "--out", dir / "dry"},
                 dir / "dry-run", std::chrono::seconds(600));
  ASSERT_EQ(dry.exit, 0) << dry.err;
  std::map<std::string, int> expected;
  for (const auto& e : ReadEvents(dir / "dry/events.jsonl")) expected[e["idempotency_key"]] = 1;
  ASSERT_EQ(expected.size(), 1u) << dry.err;

  WriteFile(dir / "edge.toml", "[agent]\nspool_dir = \"" + dir / "spool" + "\"\nmetrics_listen = \"\"\n[hub]\nurl = \"" +
                                   hub.url() + "\"\ntoken = \"" + hub.token() + "\"\nmax_backoff_s = 2\n" + camera);
  Process agent({GlassbrainBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "live");
  std::map<std::string, int> stored, evidence;
  Eventually([&] { return (stored = hub.StoredKeys(&evidence)).size() == expected.size(); }, std::chrono::seconds(600));
  EXPECT_EQ(stored, expected) << "the dry run's event, stored once in an incident\n" << agent.err();
  for (const auto& [key, n] : evidence) EXPECT_GE(n, 1) << key << ": its evidence";
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(10)), 0) << agent.err();
}

}  // namespace
}  // namespace gb::edge::testing
