// The agent's configuration: the documented example holds the documented defaults, every
// problem of a file is listed with its line, and `glassbrain edge --check` reports them the
// way an operator sees them.
#include "edge/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "edge/rules/zone.h"
#include "edge_testing.h"

namespace gb::edge {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::vector<std::string> Parse(const std::string& text, EdgeConfig& out, const std::string& path = "/etc/edge.toml") {
  return ParseEdgeConfig(text, path, out);
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

const char* kMinimal = R"(
[[camera]]
id = "cam-04"
source = "rtsp://10.0.0.4/s1"
location = [121.4797, 31.2366]
[[camera.zone]]
id = "bus-stop"
rule = "stationary_vehicle"
category = "illegal_parking"
polygon = [[0.10,0.60],[0.45,0.55],[0.50,0.95],[0.05,0.95]]
)";

// The ```toml block of docs/edge.md.
std::string DocumentedExample() {
  const std::string doc = testing::ReadFile(std::string(GLASSBRAIN_SOURCE_DIR) + "/docs/edge.md");
  const auto begin = doc.find("```toml\n");
  const auto end = doc.find("```", begin + 8);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return doc.substr(begin + 8, end - begin - 8);
}

TEST(EdgeConfig, TheDocumentedExampleIsAcceptedWithItsValues) {
  const std::string example = DocumentedExample();
  ASSERT_FALSE(example.empty()) << "docs/edge.md has no ```toml block";
  EdgeConfig c;
  auto problems = Parse(example, c, "/srv/edge/edge.toml");
  ASSERT_TRUE(problems.empty()) << Joined(problems);
  const AgentConfig agent_defaults;
  EXPECT_EQ(c.agent.spool_dir, "/srv/edge/edge-spool");  // relative to the file
  EXPECT_EQ(c.agent.spool_max_bytes, agent_defaults.spool_max_bytes);
  EXPECT_EQ(c.agent.metrics_listen, agent_defaults.metrics_listen);
  ASSERT_TRUE(c.hub);
  EXPECT_EQ(c.hub->max_backoff_s, HubConfig{}.max_backoff_s);
  ASSERT_EQ(c.cameras.size(), 1u);
  const CameraConfig& cam = c.cameras[0];
  const CameraConfig camera_defaults;
  EXPECT_EQ(cam.id, "cam-04");
  EXPECT_DOUBLE_EQ(cam.location.lon, 121.4797);
  EXPECT_DOUBLE_EQ(cam.location.lat, 31.2366);
  EXPECT_EQ(cam.analysis_fps, camera_defaults.analysis_fps);
  EXPECT_EQ(cam.analysis_width, camera_defaults.analysis_width);
  EXPECT_EQ(cam.realtime, camera_defaults.realtime);
  EXPECT_EQ(cam.loop, camera_defaults.loop);
  EXPECT_FALSE(cam.epoch);
  ASSERT_EQ(cam.zones.size(), 1u);
  const ZoneConfig& z = cam.zones[0];
  EXPECT_EQ(z.rule, RuleKind::kStationaryVehicle);
  EXPECT_EQ(z.polygon.size(), 4u);
  EXPECT_DOUBLE_EQ(z.location.lat, 31.2368);
  EXPECT_DOUBLE_EQ(z.min_area, 0.005);
  EXPECT_EQ(z.min_dwell_s, ZoneConfig{}.min_dwell_s);
}

TEST(EdgeConfig, DefaultsApplyWhereKeysAreAbsent) {
  EdgeConfig c;
  auto problems = Parse(kMinimal, c);
  ASSERT_TRUE(problems.empty()) << Joined(problems);
  EXPECT_FALSE(c.hub);  // --check and --dry-run work without one
  EXPECT_EQ(c.agent.spool_dir, "/etc/edge-spool");
  const ZoneConfig& z = c.cameras[0].zones[0];
  EXPECT_DOUBLE_EQ(z.location.lat, 31.2366);  // the camera's
  EXPECT_DOUBLE_EQ(z.location.lon, 121.4797);
  // The rules' own limits for what the zone watches (a vehicle is not a speck).
  EXPECT_EQ(std::pair(z.min_area, z.max_area), rules::DefaultAreaLimits(RuleKind::kStationaryVehicle));
  EXPECT_GT(z.min_area, 0);
  EXPECT_EQ(CountZones(c), 1);
}

TEST(EdgeConfig, EveryProblemIsListedWithItsLineInTheFilesOrder) {
  const std::string text = R"([agent]
spool_max_bytes = "big"
colour = "red"
[[camera]]
id = "cam-04"
source = "rtsp://10.0.0.4/s1"
location = [121.4797, 31.2366]
analysis_fps = 0
[[camera.zone]]
id = "bus-stop"
rule = "stationary_vehicle"
category = "illegal_parking"
min_dwell_s = -5
polygon = [[0.1,0.6],[0.45,0.55]]
[[camera.zone]]
id = "bus-stop"
rule = "loitering"
category = "x"
polygon = [[0.1,0.6],[0.45,0.55],[1.5,0.9]]
[[camera]]
source = "rtsp://10.0.0.5/s1"
location = [200, 31]
epoch = "yesterday"
)";
  EdgeConfig c;
  auto problems = Parse(text, c, "edge.toml");
  const std::vector<std::string> expected = {
      "edge.toml:2: agent: spool_max_bytes must be an integer, got a string",
      "edge.toml:3: agent: unknown key colour (see docs/edge.md)",
      "edge.toml:8: camera 0 (cam-04): analysis_fps must be > 0 and at most 60, got 0",
      "edge.toml:13: camera 0 (cam-04) zone 0 (bus-stop): min_dwell_s must be > 0, got -5",
      "edge.toml:14: camera 0 (cam-04) zone 0 (bus-stop): polygon must be at least 3 [x, y] points",
      "edge.toml:16: camera 0 (cam-04) zone 1 (bus-stop): zone id bus-stop is used twice in this camera",
      "edge.toml:17: camera 0 (cam-04) zone 1 (bus-stop): rule must be stationary_vehicle, dumped_object, poster, "
      "crowding or no_helmet, got \"loitering\"",
      "edge.toml:19: camera 0 (cam-04) zone 1 (bus-stop): polygon points must have x and y from 0 to 1 (fractions "
      "of the frame, origin top left)",
      "edge.toml:20: camera 1: id is required",
      "edge.toml:22: camera 1: location must have lon in [-180, 180] and lat in [-90, 90], got [200, 31]",
      "edge.toml:23: camera 1: epoch must be an RFC 3339 time (e.g. 2026-11-24T10:15:00Z) or \"\", got \"yesterday\"",
  };
  EXPECT_EQ(Joined(problems), Joined(expected));
}

TEST(EdgeConfig, WrongTypesAndUnknownKeysInEveryTable) {
  const std::string text = R"(agents = 1
[hub]
url = "https://hub.example"
token = "t"
max_backoff_s = "30"
[[camera]]
id = "c"
source = "rtsp://x/y"
location = [1, 2]
realtime = "yes"
analysis_width = 640.5
[[camera.zone]]
id = "z"
rule = "crowding"
category = "noise"
polygon = [[0,0],[1,0],[1,1]]
min_count = 0
min_s = "long"
radius = 3
)";
  EdgeConfig c;
  auto problems = Parse(text, c, "e.toml");
  const std::vector<std::string> expected = {
      "e.toml:1: unknown key agents (see docs/edge.md)",
      "e.toml:3: hub: url must start with http://, got \"https://hub.example\"",
      "e.toml:5: hub: max_backoff_s must be a number, got a string",
      "e.toml:10: camera 0 (c): realtime must be true or false, got a string",
      "e.toml:11: camera 0 (c): analysis_width must be an integer, got a number",
      "e.toml:17: camera 0 (c) zone 0 (z): min_count must be at least 1, got 0",
      "e.toml:18: camera 0 (c) zone 0 (z): min_s must be a number, got a string",
      "e.toml:19: camera 0 (c) zone 0 (z): unknown key radius (see docs/edge.md)",
  };
  EXPECT_EQ(Joined(problems), Joined(expected));
}

TEST(EdgeConfig, ASyntaxErrorIsOneProblemWithItsLine) {
  EdgeConfig c;
  auto problems = Parse("[agent]\nspool_dir = \"x\nmetrics_listen = 1\n", c, "e.toml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(problems[0].starts_with("e.toml:2: ")) << problems[0];
}

TEST(EdgeConfig, NoCameraIsAProblem) {
  EdgeConfig c;
  auto problems = Parse("[agent]\n", c, "e.toml");
  EXPECT_EQ(Joined(problems), "e.toml:1: no [[camera]]: the agent needs at least one camera\n");
}

TEST(EdgeConfig, RelativePathsAreFromTheFile) {
  TempDir dir;
  WriteFile(dir / "videos/street.avi", "not checked for content here");
  WriteFile(dir / "secrets/edge.token", "s3cret\n");
  const std::string text = R"([agent]
spool_dir = "state/spool"
[hub]
url = "http://127.0.0.1:8080/"
token_file = "secrets/edge.token"
[[camera]]
id = "c"
source = "videos/street.avi"
location = [1, 2]
)";
  WriteFile(dir / "edge.toml", text);
  EdgeConfig c;
  auto problems = LoadEdgeConfig(dir / "edge.toml", c);
  ASSERT_TRUE(problems.empty()) << Joined(problems);
  EXPECT_EQ(c.agent.spool_dir, dir / "state/spool");
  EXPECT_EQ(c.cameras[0].source, dir / "videos/street.avi");
  EXPECT_EQ(c.hub->token, "s3cret");
  EXPECT_EQ(c.hub->url, "http://127.0.0.1:8080");

  EdgeConfig missing;
  problems = ParseEdgeConfig(text, dir / "elsewhere/edge.toml", missing);
  EXPECT_EQ(Joined(problems), dir / "elsewhere/edge.toml:5: hub: cannot read token_file " + dir / "elsewhere/secrets/edge.token\n" +
                                  dir / "elsewhere/edge.toml:8: camera 0 (c): source " + dir / "elsewhere/videos/street.avi" +
                                  " is neither an rtsp:// or http:// URL nor a file\n");
}

TEST(EdgeConfig, NoHelmetNeedsAModelWithHelmetAndHeadClasses) {
  TempDir dir;
  const std::string zone = R"(
[[camera]]
id = "site"
source = "rtsp://x/y"
location = [1, 2]
[[camera.zone]]
id = "gate"
rule = "no_helmet"
category = "no_helmet"
polygon = [[0,0],[1,0],[1,1]]
)";
  EdgeConfig c;
  auto problems = ParseEdgeConfig(zone, dir / "e.toml", c);
  EXPECT_EQ(Joined(problems), dir / "e.toml:6: camera 0 (site) zone 0 (gate): no_helmet needs a model (an ONNX "
                                    "detector whose classes include helmet and head)\n");

  WriteFile(dir / "models/helmet.onnx", "weights");
  WriteFile(dir / "models/names.txt", "person\nhelmet\n");
  problems = ParseEdgeConfig(zone + "model = \"models/helmet.onnx\"\n", dir / "e.toml", c);
  EXPECT_EQ(Joined(problems), dir / "e.toml:6: camera 0 (site) zone 0 (gate): the classes of model " +
                                  dir / "models/helmet.onnx (" + dir / "models/names.txt) must include helmet and head\n");

  WriteFile(dir / "models/names.txt", "person\nhelmet\nhead\n");
  problems = ParseEdgeConfig(zone + "model = \"models/helmet.onnx\"\n", dir / "e.toml", c);
  EXPECT_TRUE(problems.empty()) << Joined(problems);
  EXPECT_EQ(c.cameras[0].zones[0].classes, dir / "models/names.txt");
}

TEST(EdgeConfig, IdsAreUnique) {
  EdgeConfig c;
  auto problems = Parse(std::string(kMinimal) + kMinimal, c, "e.toml");
  EXPECT_EQ(Joined(problems), "e.toml:13: camera 1 (cam-04): camera id cam-04 is used twice\n");
}

// ---- the command line ----------------------------------------------------------------------

TEST(EdgeCheck, PrintsCamerasAndZonesWhenTheFileIsGood) {
  TempDir dir;
  WriteFile(dir / "edge.toml", std::string(kMinimal) + R"(
[[camera]]
id = "cam-05"
source = "http://10.0.0.5/mjpeg"
location = [121.48, 31.24]
[[camera.zone]]
id = "a"
rule = "dumped_object"
category = "dumped_rubbish"
polygon = [[0,0],[1,0],[1,1]]
[[camera.zone]]
id = "b"
rule = "poster"
category = "unauthorized_poster"
polygon = [[0,0],[1,0],[1,1]]
)");
  auto r = testing::Run({testing::GlassbrainBinary(), "edge", "--check", "--config", dir / "edge.toml"}, dir / "check");
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok: 2 cameras, 3 zones\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "edge-spool")) << "--check writes nothing";
}

TEST(EdgeCheck, ListsEveryProblemAndExitsWith2) {
  TempDir dir;
  WriteFile(dir / "edge.toml", R"([[camera]]
id = "cam-04"
source = "rtsp://10.0.0.4/s1"
location = [121.4797, 31.2366]
[[camera.zone]]
id = "bus-stop"
rule = "stationary_vehicle"
category = "illegal_parking"
polygon = [[0.1,0.6],[0.45,0.55],[0.5,0.95]]
min_dwell_s = -5
[[camera.zone]]
id = "gate"
rule = "no_helmet"
category = "no_helmet"
polygon = [[0.1,0.6],[0.45,0.55],[0.5,0.95]]
)");
  auto r = testing::Run({testing::GlassbrainBinary(), "edge", "--check", "--config", dir / "edge.toml"}, dir / "check");
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.out, dir / "edge.toml:10: camera 0 (cam-04) zone 0 (bus-stop): min_dwell_s must be > 0, got -5\n" +
                       dir / "edge.toml:11: camera 0 (cam-04) zone 1 (gate): no_helmet needs a model (an ONNX "
                             "detector whose classes include helmet and head)\n");
}

TEST(EdgeCheck, AMissingFileIsAProblem) {
  TempDir dir;
  auto r = testing::Run({testing::GlassbrainBinary(), "edge", "--check", "--config", dir / "none.toml"}, dir / "check");
  EXPECT_EQ(r.exit, 2);
  EXPECT_EQ(r.out, dir / "none.toml: cannot read the file\n");
}

}  // namespace
}  // namespace gb::edge
