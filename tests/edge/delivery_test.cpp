// Live mode against a real `glassbrain serve`, with the scripted analysis (a test double
// that fires at known media times): the spool keeps events through a hub outage and a
// kill -9, a full spool drops the oldest, the hub's refusals are settled, one broken camera
// stalls no other, and SIGTERM ends the agent within 10 s.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "agent_files.h"
#include "edge_testing.h"
#include "hub_process.h"

namespace gb::edge::testing {
namespace {

namespace fs = std::filesystem;

std::string LiveToml(const std::string& spool, const std::string& hub_url, const std::string& token,
                     const std::string& extra_agent = "") {
  return "[agent]\nspool_dir = \"" + spool + "\"\nmetrics_listen = \"127.0.0.1:0\"\n" + extra_agent +
         "[hub]\nurl = \"" + hub_url + "\"\ntoken = \"" + token + "\"\nmax_backoff_s = 2\n";
}

std::vector<std::string> DryRunKeys(const TempDir& dir, const std::string& config) {
  auto r = Run({ScriptedAgentBinary(), "edge", "--config", config, "--dry-run", "--out", dir / "dry"}, dir / "dry");
  EXPECT_EQ(r.exit, 0) << r.err;
  std::vector<std::string> keys;
  for (const auto& e : ReadEvents(dir / "dry/events.jsonl")) keys.push_back(e["idempotency_key"]);
  return keys;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Metrics(Process& agent) {
  std::uint16_t port = 0;
  Eventually([&] { return (port = MetricsPortFromLog(agent.err())) != 0; }, std::chrono::seconds(30));
  return port ? HttpGet(port, "/metrics") : "";
}

TEST(EdgeDelivery, HubDownAgentKilledAndRestartedEveryEventIsStoredOnce) {
  TempDir dir;
  HubProcess hub(dir / "hub");
  const std::string clip = MakeTestClip(dir / "clip.avi", 12);
  ASSERT_FALSE(clip.empty());
  const std::string camera =
      CameraToml("cam-04", clip, {{"stop", "stationary_vehicle", "illegal_parking", 1}}, RecentEpoch(),
                 "realtime = true\n");
  WriteFile(dir / "edge.toml", LiveToml(dir / "spool", hub.url(), hub.token()) + camera);
  const std::vector<std::string> expected = DryRunKeys(dir, dir / "edge.toml");
  ASSERT_EQ(expected.size(), 11u);  // at 1, 2, …, 11 s of the 12 s clip

  // The hub is down while the first agent raises events; it is killed in the middle.
  {
    Process first({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "first");
    ASSERT_TRUE(Eventually([&] { return Count(first.err(), "event=raised") >= 4 &&
                                        Count(first.err(), "event=send_failed") > 0; },
                           std::chrono::seconds(60)))
        << first.err();
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(10));
  }
  Process second({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "second");
  ASSERT_TRUE(Eventually([&] { return Count(second.err(), "event=raised") >= 6; }, std::chrono::seconds(60)))
      << second.err();
  ASSERT_TRUE(hub.Start());
  std::map<std::string, int> stored;
  Eventually([&] { return (stored = hub.StoredKeys()).size() == expected.size(); }, std::chrono::seconds(60));
  std::map<std::string, int> once;
  for (const auto& k : expected) once[k] = 1;
  EXPECT_EQ(stored, once) << "every event exactly once, with the dry run's keys\n" << second.err();

  const std::string metrics = Metrics(second);
  EXPECT_TRUE(Eventually([&] { return MetricValue(HttpGet(MetricsPortFromLog(second.err()), "/metrics"),
                                                  "glassbrain_edge_spool_events") == 0; },
                         std::chrono::seconds(30)));
  EXPECT_GT(MetricValue(metrics, "glassbrain_edge_send_errors_total"), 0);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(std::chrono::seconds(10)), 0) << second.err();
  int records = 0;
  for (const auto& f : FilesUnder(dir / "spool")) records += f.ends_with(".event");
  EXPECT_EQ(records, 0) << "delivered events leave the spool";
}

TEST(EdgeDelivery, AFullSpoolDropsTheOldestAndCountsThem) {
  TempDir dir;
  HubProcess hub(dir / "hub");
  const std::string clip = MakeTestClip(dir / "clip.avi", 10);
  ASSERT_FALSE(clip.empty());
  const std::string camera =
      CameraToml("cam-04", clip, {{"stop", "stationary_vehicle", "illegal_parking", 1}}, RecentEpoch());
  WriteFile(dir / "edge.toml", LiveToml(dir / "spool", hub.url(), hub.token(), "spool_max_bytes = 65536\n") + camera);
  const std::vector<std::string> expected = DryRunKeys(dir, dir / "edge.toml");
  ASSERT_EQ(expected.size(), 9u);

  Process agent({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "agent");
  ASSERT_TRUE(Eventually([&] { return agent.err().find("event=source_ended") != std::string::npos; },
                         std::chrono::seconds(60)))
      << agent.err();
  std::string metrics = Metrics(agent);
  const double kept = MetricValue(metrics, "glassbrain_edge_spool_events");
  const double dropped = MetricValue(metrics, "glassbrain_edge_spool_dropped_total");
  EXPECT_GT(kept, 0);
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(kept + dropped, 9) << metrics;
  EXPECT_LE(MetricValue(metrics, "glassbrain_edge_spool_bytes"), 65536);
  EXPECT_EQ(Count(agent.err(), "event=spool_dropped reason=full"), static_cast<int>(dropped)) << agent.err();

  ASSERT_TRUE(hub.Start());
  std::map<std::string, int> stored;
  Eventually([&] { return static_cast<double>((stored = hub.StoredKeys()).size()) == kept; },
             std::chrono::seconds(60));
  std::map<std::string, int> newest;
  for (size_t i = expected.size() - static_cast<size_t>(kept); i < expected.size(); ++i) newest[expected[i]] = 1;
  EXPECT_EQ(stored, newest) << "the oldest were dropped";
  EXPECT_TRUE(Eventually([&] { return MetricValue(HttpGet(MetricsPortFromLog(agent.err()), "/metrics"),
                                                  "glassbrain_edge_delivered_total") == kept; },
                         std::chrono::seconds(30)));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(10)), 0);
}

TEST(EdgeDelivery, RejectedEventsAndRefusedEvidenceAreCountedAndDropped) {
  TempDir dir;
  // The hub takes no image over 1 KiB: every evidence upload is refused (413).
  HubProcess hub(dir / "hub", "[open311]\nmax_media_bytes = 1024\n");
  ASSERT_TRUE(hub.Start());
  const std::string clip = MakeTestClip(dir / "clip.avi", 5);
  ASSERT_FALSE(clip.empty());
  const std::string camera = CameraToml(
      "cam-04", clip, {{"stop", "stationary_vehicle", "illegal_parking", 2}, {"odd", "poster", "no_such_service", 2}},
      RecentEpoch());
  WriteFile(dir / "edge.toml", LiveToml(dir / "spool", hub.url(), hub.token()) + camera);
  Process agent({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "agent");
  std::string metrics;
  ASSERT_TRUE(Eventually([&] {
    metrics = Metrics(agent);
    return MetricValue(metrics, "glassbrain_edge_delivered_total") + MetricValue(metrics, "glassbrain_edge_rejected_total") == 4;
  }, std::chrono::seconds(60))) << metrics << agent.err();
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_delivered_total"), 2);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_rejected_total"), 2);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_evidence_refused_total"), 8) << "2 images × 4 events";
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_spool_events"), 0);
  EXPECT_EQ(Count(agent.err(), "event=rejected key=cam-04/"), 2);
  EXPECT_NE(agent.err().find("unknown category 'no_such_service'"), std::string::npos) << agent.err();
  std::map<std::string, int> evidence;
  auto stored = hub.StoredKeys(&evidence);
  EXPECT_EQ(stored.size(), 2u);
  for (const auto& [key, n] : evidence) EXPECT_EQ(n, 0) << key << ": refused evidence is dropped from its event";
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(10)), 0);
}

TEST(EdgeDelivery, ABrokenSourceStallsNoOtherCamera) {
  TempDir dir;
  HubProcess hub(dir / "hub");
  ASSERT_TRUE(hub.Start());
  const std::string clip = MakeTestClip(dir / "clip.avi", 5);
  ASSERT_FALSE(clip.empty());
  WriteFile(dir / "corrupt.avi", std::string(100000, '\x5a'));
  const std::string cameras =
      CameraToml("cam-a", clip, {{"stop", "stationary_vehicle", "illegal_parking", 1}}, RecentEpoch()) +
      CameraToml("cam-b", "http://127.0.0.1:" + std::to_string(FreePort()) + "/video",
                 {{"stop", "stationary_vehicle", "illegal_parking", 1}}) +
      CameraToml("cam-c", dir / "corrupt.avi", {{"stop", "stationary_vehicle", "illegal_parking", 1}}, RecentEpoch());
  WriteFile(dir / "edge.toml", LiveToml(dir / "spool", hub.url(), hub.token()) + cameras);
  Process agent({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "agent");
  std::map<std::string, int> stored;
  EXPECT_TRUE(Eventually([&] { return (stored = hub.StoredKeys()).size() == 4; }, std::chrono::seconds(60)))
      << agent.err();
  for (const auto& [key, n] : stored) EXPECT_TRUE(key.starts_with("cam-a/")) << key;
  const std::string metrics = Metrics(agent);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_frames_decoded_total{camera=\"cam-a\"}"), 50) << metrics;
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_frames_analyzed_total{camera=\"cam-a\"}"), 25);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_frames_dropped_total{camera=\"cam-a\"}"), -1) << "files drop none";
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_source_up{camera=\"cam-b\"}"), 0);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_source_up{camera=\"cam-c\"}"), 0);
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_events_total{camera=\"cam-a\",rule=\"stationary_vehicle\"}"), 4);
  EXPECT_NE(metrics.find("glassbrain_edge_stage_seconds_count{stage=\"decode\"}"), std::string::npos);
  EXPECT_EQ(HttpGet(MetricsPortFromLog(agent.err()), "/healthz"), "ok\n");
  // cam-b keeps retrying with backoff; SIGTERM still ends the agent promptly.
  EXPECT_GE(Count(agent.err(), "event=source_unavailable camera=cam-b"), 1);
  const auto asked = std::chrono::steady_clock::now();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(10)), 0) << agent.err();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(10));
}

TEST(EdgeDelivery, StreamsRunOnTheWallClockAndAreReopenedWhenTheyBreak) {
  TempDir dir;
  HubProcess hub(dir / "hub");
  ASSERT_TRUE(hub.Start());
  const std::string clip = MakeTestClip(dir / "clip.avi", 6);
  ASSERT_FALSE(clip.empty());
  // ffmpeg serves the clip once, paced, as an MPEG-TS stream over HTTP, then goes away.
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/live.ts";
  Process stream({"/usr/bin/ffmpeg", "-loglevel", "error", "-re", "-i", clip, "-c:v", "mpeg4", "-f", "mpegts",
                  "-listen", "1", url},
                 {}, dir / "ffmpeg");
  WriteFile(dir / "edge.toml", LiveToml(dir / "spool", hub.url(), hub.token()) +
                                   CameraToml("cam-s", url, {{"stop", "stationary_vehicle", "illegal_parking", 2}}));
  using namespace std::chrono;
  const TimeMs started = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  Process agent({ScriptedAgentBinary(), "edge", "--config", dir / "edge.toml"}, {}, dir / "agent");
  ASSERT_TRUE(Eventually([&] { return agent.err().find("event=source_broken camera=cam-s") != std::string::npos; },
                         seconds(60)))
      << agent.err();
  EXPECT_TRUE(Eventually([&] { return Count(agent.err(), "event=source_unavailable camera=cam-s") >= 1; },
                         seconds(30)))
      << "reopened after the break: " << agent.err();
  std::map<std::string, int> stored;
  EXPECT_TRUE(Eventually([&] { return !(stored = hub.StoredKeys()).empty(); }, seconds(30))) << agent.err();
  for (const auto& [key, n] : stored) {
    // "cam-s/<observed_at>/stationary_vehicle/<n>": the wall clock of the firing.
    const auto observed = ParseRfc3339(key.substr(6, key.find('/', 6) - 6));
    ASSERT_TRUE(observed) << key;
    EXPECT_GE(*observed, started) << key;
    EXPECT_LE(*observed, started + 60'000) << key;
  }
  const std::string metrics = Metrics(agent);
  EXPECT_GT(MetricValue(metrics, "glassbrain_edge_frames_decoded_total{camera=\"cam-s\"}"), 10) << metrics;
  EXPECT_EQ(MetricValue(metrics, "glassbrain_edge_source_up{camera=\"cam-s\"}"), 0);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(seconds(10)), 0) << agent.err();
}

}  // namespace
}  // namespace gb::edge::testing
