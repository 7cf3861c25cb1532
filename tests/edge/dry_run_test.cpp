// `glassbrain edge --dry-run` with the scripted analysis (a test double that fires at known
// media times): the events and evidence it writes, that they are the same on every run,
// previews, and that nothing but anonymized JPEGs and event records is ever written.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "agent_files.h"
#include "edge_testing.h"
#include "privacy/image/anonymizer.h"

namespace gb::edge::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kEpoch = "2026-11-24T10:00:00Z";

RunResult DryRun(const TempDir& dir, const std::string& config, const std::string& out,
                 std::vector<std::string> extra = {}, const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv = {ScriptedAgentBinary(), "edge", "--config", config, "--dry-run", "--out", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Run(argv, dir / "dry-run", std::chrono::seconds(300), env);
}

TEST(EdgeDryRun, WritesTheWireFormatAndTheSameEventsEveryTime) {
  TempDir dir;
  WriteFile(dir / "edge.toml", CameraToml("cam-04", kVtest,
                                          {{"bus-stop", "stationary_vehicle", "illegal_parking", 10},
                                           {"square", "crowding", "noise", 25}},
                                          kEpoch));
  auto first = DryRun(dir, dir / "edge.toml", dir / "out1");
  ASSERT_EQ(first.exit, 0) << first.err;
  auto second = DryRun(dir, dir / "edge.toml", dir / "out2");
  ASSERT_EQ(second.exit, 0) << second.err;

  const std::string jsonl = ReadFile(dir / "out1/events.jsonl");
  EXPECT_EQ(jsonl, ReadFile(dir / "out2/events.jsonl")) << "one file, camera and epoch give the same events";
  EXPECT_EQ(FilesUnder(dir / "out1"), FilesUnder(dir / "out2"));

  // vtest.avi is 79.5 s at 10 fps: bus-stop fires at 10, 20, …, 70 s, square at 25, 50, 75 s.
  auto events = ReadEvents(dir / "out1/events.jsonl");
  std::vector<std::string> keys;
  for (const auto& e : events) keys.push_back(e["idempotency_key"]);
  const std::vector<std::string> expected = {
      "cam-04/2026-11-24T10:00:10.000Z/stationary_vehicle/1", "cam-04/2026-11-24T10:00:20.000Z/stationary_vehicle/2",
      "cam-04/2026-11-24T10:00:25.000Z/crowding/3",           "cam-04/2026-11-24T10:00:30.000Z/stationary_vehicle/4",
      "cam-04/2026-11-24T10:00:40.000Z/stationary_vehicle/5", "cam-04/2026-11-24T10:00:50.000Z/stationary_vehicle/6",
      "cam-04/2026-11-24T10:00:50.000Z/crowding/7",           "cam-04/2026-11-24T10:01:00.000Z/stationary_vehicle/8",
      "cam-04/2026-11-24T10:01:10.000Z/stationary_vehicle/9", "cam-04/2026-11-24T10:01:15.000Z/crowding/10"};
  EXPECT_EQ(keys, expected);
  ASSERT_EQ(events.size(), expected.size());

  const json& e = events[0];
  EXPECT_EQ(e["source"], json({{"kind", "camera"}, {"id", "cam-04"}}));
  EXPECT_EQ(e["category"], "illegal_parking");
  EXPECT_EQ(e["rule"], "stationary_vehicle");
  EXPECT_EQ(e["observed_at"], "2026-11-24T10:00:10.000Z");
  EXPECT_EQ(e["location"], json({{"lat", 31.2366}, {"lon", 121.4797}}));
  EXPECT_EQ(e["confidence"], 0.9);
  EXPECT_EQ(e["attributes"],
            json({{"zone", "bus-stop"}, {"started_at", "2026-11-24T10:00:09.000Z"}, {"dwell_s", 10}}));
  EXPECT_EQ(events[2]["attributes"],
            json({{"zone", "square"}, {"started_at", "2026-11-24T10:00:24.000Z"}, {"count", 3}}));

  // Every reference names a file of anonymized JPEG bytes with that SHA-256; nothing else.
  std::set<std::string> expected_files = {"events.jsonl"};
  for (const auto& ev : events) {
    ASSERT_EQ(ev["evidence"].size(), 2u);
    for (const std::string ref : ev["evidence"]) {
      ASSERT_TRUE(ref.starts_with("sha256:")) << ref;
      const std::string file = "evidence/sha256-" + ref.substr(7) + ".jpg";
      expected_files.insert(file);
      const std::string jpeg = ReadFile(dir / "out1/" + file);
      EXPECT_EQ(Sha256Hex(jpeg), ref.substr(7));
      EXPECT_FALSE(HasMetadataMarkers(jpeg)) << file;
    }
  }
  EXPECT_EQ(FilesUnder(dir / "out1"), expected_files);
}

TEST(EdgeDryRun, SourceAndEpochFromTheCommandLine) {
  TempDir dir;
  const std::string clip = MakeTestClip(dir / "clip.avi", 5);
  ASSERT_FALSE(clip.empty());
  WriteFile(dir / "edge.toml", CameraToml("cam-09", kVtest, {{"z", "dumped_object", "dumped_rubbish", 2}}, kEpoch));
  auto r = DryRun(dir, dir / "edge.toml", dir / "out",
                  {"--source", clip, "--epoch", "2026-12-01T08:00:00+01:00"});
  ASSERT_EQ(r.exit, 0) << r.err;
  std::vector<std::string> keys;
  for (const auto& e : ReadEvents(dir / "out/events.jsonl")) keys.push_back(e["idempotency_key"]);
  EXPECT_EQ(keys, (std::vector<std::string>{"cam-09/2026-12-01T07:00:02.000Z/dumped_object/1",
                                            "cam-09/2026-12-01T07:00:04.000Z/dumped_object/2"}));
}

TEST(EdgeDryRun, RefusesStreamsAndBadArguments) {
  TempDir dir;
  WriteFile(dir / "stream.toml", CameraToml("cam-01", "rtsp://127.0.0.1:1/none", {}));
  auto r = DryRun(dir, dir / "stream.toml", dir / "out");
  EXPECT_EQ(r.exit, 2);
  EXPECT_NE(r.err.find("a dry run reads files; camera cam-01 has a stream source"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));

  WriteFile(dir / "file.toml", CameraToml("cam-01", kVtest, {}));
  r = DryRun(dir, dir / "file.toml", dir / "out", {"--epoch", "noon"});
  EXPECT_EQ(r.exit, 2);
  EXPECT_NE(r.err.find("--epoch must be an RFC 3339 time"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(EdgeDryRun, PreviewsAreAnonymizedJpegsEveryNSecondsOfVideo) {
  TempDir dir;
  const std::string clip = MakeTestClip(dir / "clip.avi", 12);
  ASSERT_FALSE(clip.empty());
  WriteFile(dir / "edge.toml", CameraToml("cam-07", clip, {{"z", "poster", "unauthorized_poster", 100}}, kEpoch));
  auto r = DryRun(dir, dir / "edge.toml", dir / "out", {"--preview", dir / "preview", "--preview-every", "4"});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(FilesUnder(dir / "preview"),
            (std::set<std::string>{"cam-07/0.jpg", "cam-07/4000.jpg", "cam-07/8000.jpg"}));
  for (const auto& f : FilesUnder(dir / "preview")) {
    const std::string jpeg = ReadFile(dir / "preview/" + f);
    EXPECT_FALSE(HasMetadataMarkers(jpeg)) << f;
    cv::Mat img = cv::imread(dir / "preview/" + f);
    EXPECT_EQ(img.size(), cv::Size(320, 240)) << f;
  }
  EXPECT_EQ(ReadFile(dir / "out/events.jsonl"), "") << "no zone fired in 12 s";
}

// HOME, TMPDIR, the output, previews and the spool all live in one tree; whatever the agent
// does, the tree may afterwards hold only events.jsonl, spool records and anonymized JPEGs.
TEST(EdgePrivacy, NothingButEventsSpoolRecordsAndAnonymizedJpegsIsWritten) {
  TempDir dir;
  const std::string tree = dir / "tree";
  fs::create_directories(tree + "/home");
  fs::create_directories(tree + "/tmp");
  const std::map<std::string, std::string> env = {{"HOME", tree + "/home"}, {"TMPDIR", tree + "/tmp"}};
  const std::string zones = CameraToml("cam-02", kMegamind, {{"z", "dumped_object", "dumped_rubbish", 3}},
                                       RecentEpoch());
  WriteFile(dir / "dry.toml", zones);
  auto r = DryRun(dir, dir / "dry.toml", tree + "/out", {"--preview", tree + "/preview", "--preview-every", "2"}, env);
  ASSERT_EQ(r.exit, 0) << r.err;

  // Live mode with the hub unreachable: every event waits in the spool.
  WriteFile(dir / "live.toml", "[agent]\nspool_dir = \"" + tree + "/spool\"\nmetrics_listen = \"\"\n" +
                                   "[hub]\nurl = \"http://127.0.0.1:9\"\ntoken = \"t\"\n" + zones);
  Process live({ScriptedAgentBinary(), "edge", "--config", dir / "live.toml", "--preview", tree + "/preview"}, env,
               dir / "live");
  ASSERT_TRUE(Eventually([&] { return live.err().find("key=cam-02/") != std::string::npos &&
                                      FilesUnder(tree + "/spool").size() >= 3; },
                         std::chrono::seconds(120)))
      << live.err();
  ASSERT_TRUE(Eventually([&] { return live.err().find("event=source_ended") != std::string::npos; },
                         std::chrono::seconds(120)));
  live.Signal(SIGTERM);
  EXPECT_EQ(live.Wait(std::chrono::seconds(10)), 0) << live.err();

  int jpegs = 0, records = 0;
  for (const auto& f : FilesUnder(tree)) {
    const std::string bytes = ReadFile(tree + "/" + f);
    if (f == "out/events.jsonl") continue;
    if (f.starts_with("spool/") && f.ends_with(".event")) {
      ++records;
      EXPECT_TRUE(bytes.starts_with("GBEDGE1 ")) << f;
      // A record holds the event's JSON and its evidence, which are anonymized JPEGs too.
      for (size_t at = bytes.find("\xff\xd8\xff"); at != std::string::npos; at = bytes.find("\xff\xd8\xff", at + 3)) {
        size_t end = bytes.find("\xff\xd9", at);
        ASSERT_NE(end, std::string::npos);
        EXPECT_FALSE(HasMetadataMarkers(bytes.substr(at, end + 2 - at))) << f;
        at = end;
      }
      continue;
    }
    if (f.ends_with(".jpg") && (f.starts_with("out/evidence/sha256-") || f.starts_with("preview/cam-02/"))) {
      ++jpegs;
      EXPECT_FALSE(HasMetadataMarkers(bytes)) << f;
      continue;
    }
    ADD_FAILURE() << "unexpected file " << f;
  }
  EXPECT_GT(jpegs, 0);
  EXPECT_GE(records, 3);
}

}  // namespace
}  // namespace gb::edge::testing
