// The whole CameraAnalyzer with the real object detector: event-level accuracy on generated
// scenes (scenes/catalogue.h), crowding on vtest.avi's real pedestrians, evidence shots, stage
// times, speed, and zones that cannot run.
//
// A match is the right rule and zone, started_at within 2 s of the truth, fired within 5 s
// after start + the rule's minimum time while the situation lasts; a second event for one
// situation is a false positive. Precision, recall and F1 must each be ≥ 0.9 per rule, and
// control scenes raise nothing.
#include "edge/analysis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/videoio.hpp>
#include <string>

#include "scenes/catalogue.h"
#include "vision/object_detector.h"

namespace gb::edge {
namespace {

using scenes::Scene;
using scenes::SceneKind;

#if defined(__SANITIZE_ADDRESS__)
// Sanitizers make every frame many times slower: a few scenes of each kind show the analyzer
// runs clean; the accuracy figures come from the optimised build.
constexpr int kScenesPerKind = 2;
constexpr bool kJudgeAccuracy = false;
#else
constexpr int kScenesPerKind = 12;
constexpr bool kJudgeAccuracy = true;
#endif

constexpr double kFps = 5;

std::unique_ptr<vision::ObjectDetector> Detector() {
  auto d = vision::ObjectDetector::Create();
  if (!d.ok()) {
    ADD_FAILURE() << d.status().message();
    return nullptr;
  }
  return std::move(d).value();
}

std::string RuleName(RuleKind r) {
  switch (r) {
    case RuleKind::kStationaryVehicle: return "stationary_vehicle";
    case RuleKind::kDumpedObject: return "dumped_object";
    case RuleKind::kPoster: return "poster";
    case RuleKind::kCrowding: return "crowding";
    case RuleKind::kNoHelmet: return "no_helmet";
  }
  return "";
}

double MinimumS(const ZoneConfig& z) {
  switch (z.rule) {
    case RuleKind::kStationaryVehicle: return z.min_dwell_s;
    case RuleKind::kDumpedObject:
    case RuleKind::kPoster: return z.min_stay_s;
    default: return z.min_s;
  }
}

struct Seen {
  std::string rule, zone;
  double started_s, fired_s, minimum_s;
  size_t shots;
};

struct SceneRun {
  std::vector<Seen> seen;
  double cpu_s = 0;  // motion + detection + tracking + rules
  StageSeconds stages;
  int frames = 0;
  bool shots_ok = true;
};

SceneRun RunScene(const Scene& scene) {
  SceneRun run;
  auto detector = Detector();
  if (!detector) return run;
  auto analyzer = CameraAnalyzer::Create(scene.camera, std::move(detector));
  EXPECT_TRUE(analyzer.ok()) << analyzer.status().message();
  if (!analyzer.ok()) return run;
  const int frames = static_cast<int>(scene.duration_s * kFps);
  for (int i = 0; i < frames; ++i) {
    const auto ms = static_cast<std::int64_t>(std::llround(i * 1000 / kFps));
    AnalysisResult r = (*analyzer)->Process(scene.Render(ms / 1000.0), ms);
    for (double s : {r.seconds.motion, r.seconds.detect, r.seconds.track, r.seconds.rules}) EXPECT_GE(s, 0);
    run.stages.motion += r.seconds.motion;
    run.stages.detect += r.seconds.detect;
    run.stages.track += r.seconds.track;
    run.stages.rules += r.seconds.rules;
    for (const Observation& o : r.observations) {
      run.seen.push_back({RuleName(o.zone->rule), o.zone->id, o.started_ms / 1000.0, o.fired_ms / 1000.0, MinimumS(*o.zone),
                          o.evidence.size()});
      bool ok = !o.evidence.empty() && o.evidence.size() <= 3 && o.fired_ms >= o.started_ms && o.confidence > 0 &&
                o.confidence <= 1;
      for (const EvidenceShot& shot : o.evidence) ok = ok && !shot.bgr.empty() && shot.bgr.type() == CV_8UC3;
      run.shots_ok = run.shots_ok && ok;
    }
  }
  run.frames = frames;
  run.cpu_s = run.stages.motion + run.stages.detect + run.stages.track + run.stages.rules;
  return run;
}

struct Score {
  int tp = 0, fp = 0, fn = 0;
  double Precision() const { return tp + fp ? static_cast<double>(tp) / (tp + fp) : 1; }
  double Recall() const { return tp + fn ? static_cast<double>(tp) / (tp + fn) : 1; }
  double F1() const { return Precision() + Recall() > 0 ? 2 * Precision() * Recall() / (Precision() + Recall()) : 0; }
};

// Matches one scene's events to its truth, adding to `scores` (by rule) and printing misses.
void Judge(const Scene& scene, const SceneRun& run, std::map<std::string, Score>& scores) {
  std::vector<bool> used(run.seen.size(), false);
  for (const scenes::TruthEvent& t : scene.truth) {
    bool found = false;
    for (size_t i = 0; i < run.seen.size() && !found; ++i) {
      const Seen& s = run.seen[i];
      const double due = t.start_s + s.minimum_s;
      if (used[i] || s.rule != t.rule || s.zone != t.zone) continue;
      if (std::abs(s.started_s - t.start_s) <= 2 && s.fired_s >= due - 2 && s.fired_s <= due + 5 && s.fired_s <= t.end_s + 0.5) {
        used[i] = found = true;
      }
    }
    ++(found ? scores[t.rule].tp : scores[t.rule].fn);
    if (!found) std::printf("  %s: missed %s in %s from %.1f s to %.1f s\n", scene.name.c_str(), t.rule.c_str(), t.zone.c_str(), t.start_s, t.end_s);
  }
  for (size_t i = 0; i < run.seen.size(); ++i) {
    if (used[i]) continue;
    const Seen& s = run.seen[i];
    ++scores[s.rule].fp;
    std::printf("  %s: false %s in %s, started %.1f s, fired %.1f s\n", scene.name.c_str(), s.rule.c_str(), s.zone.c_str(), s.started_s, s.fired_s);
  }
}

class SceneAccuracy : public ::testing::TestWithParam<SceneKind> {};

TEST_P(SceneAccuracy, EventsMatchTheTruth) {
  std::map<std::string, Score> scores;
  double cpu = 0, video = 0, detect = 0;
  int events = 0;
  for (int i = 0; i < kScenesPerKind; ++i) {
    const Scene scene = scenes::MakeScene(GetParam(), i);
    const SceneRun run = RunScene(scene);
    EXPECT_TRUE(run.shots_ok) << scene.name << ": an observation without proper evidence";
    Judge(scene, run, scores);
    cpu += run.cpu_s;
    detect += run.stages.detect;
    video += run.frames / kFps;
    events += static_cast<int>(run.seen.size());
    if (GetParam() == SceneKind::kControl) {
      EXPECT_TRUE(run.seen.empty()) << scene.name << " raised events";
    }
  }
  std::printf("%d scenes, %.0f s of video, %d events; CPU per second of video (motion+detection+tracking+rules): "
              "%.4f s, of which detection %.4f s\n",
              kScenesPerKind, video, events, cpu / video, detect / video);
  for (const auto& [rule, s] : scores) {
    std::printf("%-20s tp %3d  fp %3d  fn %3d  precision %.3f  recall %.3f  F1 %.3f\n", rule.c_str(), s.tp, s.fp, s.fn,
                s.Precision(), s.Recall(), s.F1());
    if (!kJudgeAccuracy) continue;
    EXPECT_GE(s.Precision(), 0.9) << rule;
    EXPECT_GE(s.Recall(), 0.9) << rule;
    EXPECT_GE(s.F1(), 0.9) << rule;
  }
}

std::string KindName(const ::testing::TestParamInfo<SceneKind>& info) {
  static const char* const kNames[] = {"StationaryVehicle", "DumpedObject", "Poster", "Crowding", "Control"};
  return kNames[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Scenes, SceneAccuracy,
                         ::testing::Values(SceneKind::kStationaryVehicle, SceneKind::kDumpedObject, SceneKind::kPoster,
                                           SceneKind::kCrowding, SceneKind::kControl),
                         KindName);

TEST(CameraAnalyzer, CrowdingFiresOnVtestPedestrians) {
  cv::VideoCapture video(scenes::kStreetVideo);
  ASSERT_TRUE(video.isOpened()) << scenes::kStreetVideo << ": install " << scenes::kStreetVideoPackage;
  CameraConfig camera;
  camera.id = "vtest";
  ZoneConfig z;
  z.id = "all";
  z.rule = RuleKind::kCrowding;
  z.category = "crowding";
  z.polygon = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  z.min_area = 0;
  z.max_area = 1;
  z.min_count = 3;
  z.min_s = 3;
  camera.zones = {z};
  auto analyzer = CameraAnalyzer::Create(camera, Detector());
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().message();
  const double fps = video.get(cv::CAP_PROP_FPS) > 0 ? video.get(cv::CAP_PROP_FPS) : 10;
  cv::Mat frame;
  std::vector<Observation> seen;
  std::int64_t next_ms = 0;
  for (int i = 0; video.read(frame) && i < static_cast<int>(60 * fps); ++i) {
    const auto ms = static_cast<std::int64_t>(std::llround(i * 1000 / fps));
    if (ms < next_ms) continue;  // analysed at 5 fps, picked by timestamp
    next_ms += 200;
    for (Observation& o : (*analyzer)->Process(frame, ms).observations) seen.push_back(std::move(o));
  }
  ASSERT_FALSE(seen.empty()) << "no crowd of three for 3 s in vtest.avi";
  EXPECT_GE(*seen.front().count, 3);
  EXPECT_GE(seen.front().fired_ms - seen.front().started_ms, 3000);
  std::printf("vtest.avi: %zu crowding events, the first began at %.1f s with %d people\n", seen.size(),
              seen.front().started_ms / 1000.0, *seen.front().count);
}

TEST(CameraAnalyzer, EvidenceShowsTheVanWithItsBoxAndNoMore) {
  // A long stop with passers-by (scene 1 of the stationary vehicles).
  const Scene scene = scenes::MakeScene(SceneKind::kStationaryVehicle, 1);
  auto analyzer = CameraAnalyzer::Create(scene.camera, Detector());
  ASSERT_TRUE(analyzer.ok());
  std::vector<Observation> seen;
  for (int i = 0; i < static_cast<int>(scene.duration_s * kFps); ++i) {
    const auto ms = static_cast<std::int64_t>(i * 200);
    for (Observation& o : (*analyzer)->Process(scene.Render(ms / 1000.0), ms).observations) seen.push_back(std::move(o));
  }
  ASSERT_EQ(seen.size(), 1u);
  const Observation& o = seen.front();
  ASSERT_EQ(o.evidence.size(), 3u);  // the van with context, the zone when it stopped, the whole view
  const cv::Size full = scene.size;
  const EvidenceShot& crop = o.evidence[0];
  EXPECT_LT(crop.bgr.cols * crop.bgr.rows, full.area() / 2) << "the object's shot is a crop";
  ASSERT_FALSE(crop.vehicles.empty()) << "the van's box goes with the shot, for plate blurring";
  for (const EvidenceShot& shot : o.evidence) {
    for (const cv::Rect& r : shot.people) EXPECT_EQ(r & cv::Rect(0, 0, shot.bgr.cols, shot.bgr.rows), r);
    for (const cv::Rect& r : shot.vehicles) EXPECT_EQ(r & cv::Rect(0, 0, shot.bgr.cols, shot.bgr.rows), r);
  }
  EXPECT_LE(o.evidence[2].bgr.cols, 640);
  EXPECT_EQ(o.zone->id, "parking");
  EXPECT_NEAR(*o.dwell_s, 20, 1);
}

TEST(CameraAnalyzer, TracksAreReportedInFullResolutionPixels) {
  Scene scene = scenes::MakeScene(SceneKind::kStationaryVehicle, 0);
  scene.size = {1280, 720};
  auto analyzer = CameraAnalyzer::Create(scene.camera, Detector());
  ASSERT_TRUE(analyzer.ok());
  bool van = false;
  for (int i = 0; i < 120 && !van; ++i) {
    const auto ms = static_cast<std::int64_t>(i * 200);
    (*analyzer)->Process(scene.Render(ms / 1000.0), ms);
    for (const TrackView& t : (*analyzer)->Tracks()) {
      if (t.label == "vehicle" && t.box.width > 120) van = true;  // about 100 px wide at 640
    }
  }
  EXPECT_TRUE(van);
}

class NoHelmetZone : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gb-no-helmet-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    camera_.id = "cam-site";
    ZoneConfig z;
    z.id = "gate";
    z.rule = RuleKind::kNoHelmet;
    z.category = "safety";
    z.polygon = {{0, 0}, {1, 0}, {1, 1}};
    camera_.zones = {z};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Message() {
    auto a = CameraAnalyzer::Create(camera_, Detector());
    EXPECT_FALSE(a.ok());
    if (a.ok()) return "";
    EXPECT_EQ(a.status().code(), Code::kInvalid);
    return a.status().message();
  }

  std::filesystem::path dir_;
  CameraConfig camera_;
};

TEST_F(NoHelmetZone, WithoutAModelItCannotBeCreated) {
  const std::string m = Message();
  EXPECT_NE(m.find("zone 0 (gate)"), std::string::npos) << m;
  EXPECT_NE(m.find("no_helmet needs `model`"), std::string::npos) << m;
}

TEST_F(NoHelmetZone, AMissingFileOrClassesWithoutHeadAndHelmetAreRefused) {
  camera_.zones[0].model = (dir_ / "absent.onnx").string();
  EXPECT_NE(Message().find("does not exist"), std::string::npos);
  std::ofstream(dir_ / "helmet.onnx") << "not a network";
  camera_.zones[0].model = (dir_ / "helmet.onnx").string();
  std::ofstream(dir_ / "names.txt") << "person\nhelmet\n";
  EXPECT_NE(Message().find("must name both helmet and head"), std::string::npos);
  std::ofstream(dir_ / "names.txt") << "helmet\nhead\n";
  EXPECT_NE(Message().find("is not an ONNX network"), std::string::npos);
}

}  // namespace
}  // namespace gb::edge
