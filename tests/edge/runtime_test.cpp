// The agent's runtime pieces on their own: frame picking, event building, the spool's
// records and limits, the metrics text, and the publisher's settling of a sink's answers
// (against a scripted sink, a test double of the hub).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "edge/event.h"
#include "edge/frame_picker.h"
#include "edge/metrics.h"
#include "edge/publisher.h"
#include "edge/spool.h"
#include "edge_testing.h"

namespace gb::edge {
namespace {

using testing::TempDir;

EdgeEvent MakeEvent(const std::string& key, std::size_t jpeg_bytes = 1000) {
  EdgeEvent e;
  e.idempotency_key = key;
  e.json = nlohmann::json{{"idempotency_key", key}}.dump();
  e.evidence.push_back({"sha256:" + std::string(64, 'a'), std::string(jpeg_bytes, '\x01')});
  return e;
}

TEST(FramePicker, PicksTheFirstFrameOfEachSlotByTime) {
  FramePicker picker(5);  // slots of 200 ms
  std::vector<std::int64_t> picked;
  for (std::int64_t t = 0; t < 1000; t += 40)  // 25 fps
    if (picker.Pick(t)) picked.push_back(t);
  EXPECT_EQ(picked, (std::vector<std::int64_t>{0, 200, 400, 600, 800}));

  FramePicker slow(5);
  std::int64_t missed = -1;
  EXPECT_TRUE(slow.Pick(0, &missed));
  EXPECT_EQ(missed, 0);
  EXPECT_TRUE(slow.Pick(1000, &missed));  // slots 1–4 had no frame
  EXPECT_EQ(missed, 4);
}

TEST(BuildEvent, TheWireFormatWithKeyTimesAndAttributes) {
  CameraConfig camera;
  camera.id = "cam-12";
  ZoneConfig zone;
  zone.id = "kerb";
  zone.rule = RuleKind::kStationaryVehicle;
  zone.category = "illegal_parking";
  zone.location = {31.2304, 121.4737};
  camera.zones.push_back(zone);
  Observation obs;
  obs.zone = &camera.zones[0];
  obs.confidence = 0.8712;
  obs.started_ms = 2'120;
  obs.fired_ms = 314'120;
  obs.dwell_s = 312;
  const TimeMs epoch = *ParseRfc3339("2026-11-24T10:10:00Z");
  EdgeEvent e = BuildEvent(camera, obs, epoch, 7, {{"sha256:" + std::string(64, 'f'), "jpeg"}});
  EXPECT_EQ(e.idempotency_key, "cam-12/2026-11-24T10:15:14.120Z/stationary_vehicle/7");
  EXPECT_EQ(e.json,
            R"({"idempotency_key":"cam-12/2026-11-24T10:15:14.120Z/stationary_vehicle/7",)"
            R"("source":{"kind":"camera","id":"cam-12"},"category":"illegal_parking","rule":"stationary_vehicle",)"
            R"("observed_at":"2026-11-24T10:15:14.120Z","location":{"lat":31.2304,"lon":121.4737},"confidence":0.87,)"
            R"("attributes":{"zone":"kerb","started_at":"2026-11-24T10:10:02.120Z","dwell_s":312},)"
            R"("evidence":["sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"]})");
  auto without = nlohmann::json::parse(EventJsonWithEvidence(e, {}));
  EXPECT_EQ(without["evidence"], nlohmann::json::array());
  EXPECT_EQ(without["idempotency_key"], e.idempotency_key);
}

TEST(Spool, RecordsSurviveAReopenAndInterruptedWritesAreDiscarded) {
  TempDir dir;
  EdgeMetrics metrics;
  {
    auto spool = Spool::Open(dir / "spool", 1 << 20, Env::Default(), &metrics);
    ASSERT_TRUE(spool.ok()) << spool.status().message();
    ASSERT_TRUE((*spool)->Raise(MakeEvent("a/1")).ok());
    ASSERT_TRUE((*spool)->Raise(MakeEvent("a/2")).ok());
    ASSERT_TRUE((*spool)->Raise(MakeEvent("a/1")).ok());  // the same key again: kept once
    EXPECT_EQ((*spool)->events(), 2);
  }
  testing::WriteFile(dir / "spool/00000000000000000003.event.tmp123.0", "half a record");
  testing::WriteFile(dir / "spool/00000000000000000009.event", "GBEDGE1 garbage");
  auto spool = Spool::Open(dir / "spool", 1 << 20, Env::Default(), &metrics);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->events(), 2);
  auto oldest = (*spool)->Oldest(10, 1 << 20);
  ASSERT_EQ(oldest.size(), 2u);
  EXPECT_EQ(oldest[0].event.idempotency_key, "a/1");
  EXPECT_EQ(oldest[1].event.idempotency_key, "a/2");
  EXPECT_EQ(oldest[0].event.json, MakeEvent("a/1").json);
  EXPECT_EQ(oldest[0].event.evidence[0].jpeg, MakeEvent("a/1").evidence[0].jpeg);
  EXPECT_EQ(testing::ReadFile(dir / "spool/00000000000000000003.event.tmp123.0"), "") << "removed";
  EXPECT_FALSE(std::filesystem::exists(dir / "spool/00000000000000000009.event")) << "unreadable: removed";
  ASSERT_TRUE((*spool)->Remove(oldest[0].seq).ok());
  ASSERT_TRUE((*spool)->Raise(MakeEvent("a/3")).ok());
  oldest = (*spool)->Oldest(10, 1 << 20);
  ASSERT_EQ(oldest.size(), 2u);
  EXPECT_EQ(oldest[1].event.idempotency_key, "a/3");
  EXPECT_GT(oldest[1].seq, oldest[0].seq) << "numbers continue after a reopen";
}

TEST(Spool, AFullSpoolDropsTheOldest) {
  TempDir dir;
  EdgeMetrics metrics;
  const auto one = static_cast<std::int64_t>(Spool::EncodeRecord(MakeEvent("k/0", 30'000)).size());
  auto spool = Spool::Open(dir / "spool", 3 * one + 10, Env::Default(), &metrics);
  ASSERT_TRUE(spool.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*spool)->Raise(MakeEvent("k/" + std::to_string(i), 30'000)).ok());
  EXPECT_EQ((*spool)->events(), 3);
  EXPECT_LE((*spool)->bytes(), 3 * one + 10);
  EXPECT_EQ(metrics.Value("spool_dropped_total"), 2);
  auto oldest = (*spool)->Oldest(10, 1 << 20);
  ASSERT_EQ(oldest.size(), 3u);
  EXPECT_EQ(oldest[0].event.idempotency_key, "k/2");
  // An event larger than the whole spool is dropped itself.
  ASSERT_TRUE((*spool)->Raise(MakeEvent("huge", 200'000)).ok());
  EXPECT_EQ((*spool)->events(), 3);
  EXPECT_EQ(metrics.Value("spool_dropped_total"), 3);
  EXPECT_NE(metrics.Render().find("glassbrain_edge_spool_events 3\n"), std::string::npos) << metrics.Render();
}

TEST(Spool, BatchesStopAtTheirJsonBudget) {
  TempDir dir;
  EdgeMetrics metrics;
  auto spool = Spool::Open(dir / "spool", 1 << 20, Env::Default(), &metrics);
  ASSERT_TRUE(spool.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*spool)->Raise(MakeEvent("b/" + std::to_string(i))).ok());
  const std::size_t json = MakeEvent("b/0").json.size();
  EXPECT_EQ((*spool)->Oldest(10, 2 * json).size(), 2u);
  EXPECT_EQ((*spool)->Oldest(3, 1 << 20).size(), 3u);
  EXPECT_EQ((*spool)->Oldest(10, 1).size(), 1u) << "the first event always goes";
}

// A sink that answers from a script: first `failures` calls are Unavailable, then each event
// whose key ends in "/bad" is rejected and the rest accepted.
class ScriptedSink : public EventSink {
 public:
  explicit ScriptedSink(int failures) : failures_(failures) {}
  Result<SendReport> Send(const std::vector<const EdgeEvent*>& events) override {
    ++calls;
    if (failures_-- > 0) return Status::Unavailable("hub down");
    SendReport r;
    for (const EdgeEvent* e : events)
      r.results.push_back({!e->idempotency_key.ends_with("/bad"), "unknown category"});
    r.evidence_refused = 1;
    return r;
  }
  int calls = 0;

 private:
  int failures_;
};

TEST(Publisher, SettlesEveryEventAndRetriesWhileTheSinkIsDown) {
  TempDir dir;
  EdgeMetrics metrics;
  auto spool = Spool::Open(dir / "spool", 1 << 20, Env::Default(), &metrics);
  ASSERT_TRUE(spool.ok());
  for (const char* key : {"p/1", "p/bad", "p/3"}) ASSERT_TRUE((*spool)->Raise(MakeEvent(key)).ok());
  ScriptedSink sink(2);
  StopSignal stop;
  PublisherOptions options;
  options.max_backoff = std::chrono::milliseconds(1000);
  std::thread t([&] { RunPublisher(**spool, sink, metrics, stop, options); });
  const bool settled = testing::Eventually([&] { return (*spool)->events() == 0; }, std::chrono::seconds(20));
  stop.Set();
  t.join();
  ASSERT_TRUE(settled);
  EXPECT_EQ(sink.calls, 3);
  EXPECT_EQ(metrics.Value("send_errors_total"), 2);
  EXPECT_EQ(metrics.Value("delivered_total"), 2);
  EXPECT_EQ(metrics.Value("rejected_total"), 1);
  EXPECT_EQ(metrics.Value("evidence_refused_total"), 1);
}

TEST(EdgeMetrics, RendersThePrometheusTextFormat) {
  EdgeMetrics m;
  m.FrameDecoded("cam-1");
  m.FrameDecoded("cam-1");
  m.SourceUp("cam-1", true);
  m.EventRaised("cam-1", "crowding");
  m.ObserveStage("detect", 0.004);
  const std::string text = m.Render();
  for (const char* line : {"glassbrain_edge_frames_decoded_total{camera=\"cam-1\"} 2\n",
                           "glassbrain_edge_source_up{camera=\"cam-1\"} 1\n",
                           "glassbrain_edge_events_total{camera=\"cam-1\",rule=\"crowding\"} 1\n",
                           "glassbrain_edge_stage_seconds_bucket{stage=\"detect\",le=\"0.0025\"} 0\n",
                           "glassbrain_edge_stage_seconds_bucket{stage=\"detect\",le=\"0.005\"} 1\n",
                           "glassbrain_edge_stage_seconds_count{stage=\"detect\"} 1\n",
                           "# TYPE glassbrain_edge_stage_seconds histogram\n", "glassbrain_edge_delivered_total 0\n",
                           "glassbrain_edge_spool_bytes 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
}

}  // namespace
}  // namespace gb::edge
