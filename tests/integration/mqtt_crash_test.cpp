// A hub on MQTT killed with kill -9 while events arrive, and started again: every event the
// broker accepted is stored, each once (DESIGN §4.3). The hub's persistent session keeps
// what the hub had not acknowledged, and what arrives while it is down; its client id
// (hostname and listen port) finds that session again after the restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "edge/hub_process.h"
#include "support/mqtt_broker.h"
#include "support/mqtt_client.h"
#include "support/sample_event.h"

namespace gb::edge::testing {
namespace {

using gb::testing::MosquittoBroker;
using gb::testing::MqttClient;
using gb::testing::SampleEvent;

std::string Event(const std::string& key, int i) {
  return SampleEvent(key, "illegal_parking", 31.2335 + (i % 50) * 1e-5, 121.4737).dump();
}

TEST(MqttCrash, AHubKilledAndRestartedLosesNothingTheBrokerAccepted) {
  TempDir dir;
  MosquittoBroker broker;
  HubProcess hub(dir / "hub", "[mqtt]\nurl = \"" + broker.url() + "\"\n");
  ASSERT_TRUE(hub.Start()) << hub.serve_log();
  MqttClient edge("gb-test-crash-edge", true);
  ASSERT_TRUE(edge.Connect(broker.port())) << broker.LogTail();
  const std::string topic = "glassbrain/riverside/events";
  // A shared subscription queues nothing before the hub has subscribed: probe until it has.
  ASSERT_TRUE(Eventually([&] { return edge.Publish(topic, Event("probe", 0), 1) && hub.StoredKeys().count("probe"); },
                         std::chrono::seconds(30)))
      << hub.serve_log();

  constexpr int kEvents = 300, kKillAt = 120;
  for (int i = 0; i < kEvents; ++i) {
    if (i == kKillAt) {
      ASSERT_EQ(kill(hub.pid(), SIGKILL), 0);
      hub.Stop();  // reaps it
    }
    ASSERT_TRUE(edge.Publish(topic, Event("crash/" + std::to_string(i), i), 1)) << "the broker accepts it";
  }
  ASSERT_TRUE(hub.Start()) << hub.serve_log();
  std::map<std::string, int> stored;
  Eventually([&] {
    stored = hub.StoredKeys();
    return stored.size() >= kEvents + 1;
  }, std::chrono::seconds(60));
  int missing = 0;
  for (int i = 0; i < kEvents; ++i) {
    auto it = stored.find("crash/" + std::to_string(i));
    if (it == stored.end()) ++missing;
    else EXPECT_EQ(it->second, 1) << it->first;
  }
  EXPECT_EQ(missing, 0) << "of " << kEvents << " events the broker accepted";
}

}  // namespace
}  // namespace gb::edge::testing
