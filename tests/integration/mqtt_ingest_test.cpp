// Events over MQTT (serve --mqtt): a real mosquitto broker, a real hub subscribed to it, and
// publishers that wait for the broker's PUBACK, as edge agents and sensors do.
// - an event or an array of events on glassbrain/<site>/events is stored, each key once;
// - malformed messages are counted as rejected and block nothing behind them;
// - nothing is acknowledged before it is committed: while the store cannot write, the hub
//   takes the messages without acknowledging them, and stores them once it can;
// - after a broker restart the hub reconnects by itself and goes on.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "hub_fixture.h"
#include "support/fault_env.h"
#include "support/mqtt_broker.h"
#include "support/mqtt_client.h"

namespace gb::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MqttIngestTest : public ::testing::Test {
 protected:
  MqttIngestTest()
      : hub_([this](HubOptions& o) { o.mqtt.url = broker_.url(); }, &env_), publisher_("gb-test-edge", true) {}

  void SetUp() override {
    ASSERT_TRUE(publisher_.Connect(broker_.port())) << broker_.LogTail();
    // A shared subscription queues nothing before the hub has subscribed: wait for it.
    ASSERT_TRUE(WaitStored("probe/ready", 10s)) << broker_.LogTail();
  }

  // Publishes at QoS 1 and waits for the broker's PUBACK.
  void Publish(const std::string& payload, const std::string& site = "riverside") {
    ASSERT_TRUE(publisher_.Publish("glassbrain/" + site + "/events", payload, 1));
  }
  json Event(const std::string& key) {
    LatLon p = hub_.CentreOf("no_parking");
    return MakeEvent(key, "illegal_parking", p.lat, p.lon);
  }

  // How many events with `key` the store holds (0 or 1).
  int Stored(const std::string& key) {
    auto found = hub_.hub().store().FindEventsByKeys({key});
    return found.ok() && (*found)[0] ? 1 : 0;
  }
  // Publishes `key` again and again (a probe) until it is stored, or `limit` passes.
  bool WaitStored(const std::string& key, std::chrono::milliseconds limit) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
      if (!publisher_.Publish("glassbrain/riverside/events", Event(key).dump(), 1)) return false;
      for (int i = 0; i < 10; ++i) {
        if (Stored(key)) return true;
        std::this_thread::sleep_for(20ms);
      }
    }
    return false;
  }
  bool WaitFor(const std::string& key, std::chrono::milliseconds limit) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
      if (Stored(key)) return true;
      std::this_thread::sleep_for(20ms);
    }
    return Stored(key) == 1;
  }
  // The counter glassbrain_ingested_items_total{path="mqtt",outcome=…} (0 when absent).
  long Counted(const std::string& outcome) {
    auto r = hub_.Bearer(hub_.integration_token(), "GET", "/metrics");
    const std::string series = "glassbrain_ingested_items_total{path=\"mqtt\",outcome=\"" + outcome + "\"} ";
    auto at = r.body.find(series);
    return at == std::string::npos ? 0 : std::stol(r.body.substr(at + series.size()));
  }
  std::string Metric(const std::string& name) {
    auto r = hub_.Bearer(hub_.integration_token(), "GET", "/metrics");
    auto at = r.body.find("\n" + name + " ");
    return at == std::string::npos ? "" : r.body.substr(at + name.size() + 2, 1);
  }

  MosquittoBroker broker_;  // first: the hub connects to it
  test::FaultEnv env_;
  HubFixture hub_;
  MqttClient publisher_;
};

TEST_F(MqttIngestTest, AnEventOrAnArrayIsStoredEachKeyOnce) {
  Publish(Event("mqtt/one").dump());
  Publish(json::array({Event("mqtt/a"), Event("mqtt/b"), Event("mqtt/c")}).dump(), "north-depot");
  Publish(Event("mqtt/one").dump());  // the edge agent sends it again
  ASSERT_TRUE(WaitFor("mqtt/c", 5s));
  EXPECT_TRUE(WaitFor("mqtt/one", 5s));
  EXPECT_EQ(Stored("mqtt/a") + Stored("mqtt/b"), 2);
  for (int i = 0; i < 100 && Counted("duplicate") < 1; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(Counted("duplicate"), 1);
  EXPECT_GE(Counted("stored"), 4);
  EXPECT_EQ(Metric("glassbrain_mqtt_connected"), "1");
  // The incident it made is the same as over HTTP: the API lists it.
  auto dispatcher = hub_.SignIn("dispatcher");
  auto list = dispatcher.Get("/api/v1/incidents?category=illegal_parking");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("illegal_parking"), std::string::npos);
}

TEST_F(MqttIngestTest, MalformedMessagesAreRejectedAndBlockNothing) {
  json wrong_type = Event("mqtt/bad-type");
  wrong_type["confidence"] = "high";
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(Event("mqtt/many/" + std::to_string(i)));
  Publish("this is not JSON");
  Publish(wrong_type.dump());
  Publish(too_many.dump());
  Publish("[{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]");
  Publish(json::array({Event("mqtt/good-beside-bad"), wrong_type}).dump());
  Publish(Event("mqtt/after").dump());
  ASSERT_TRUE(WaitFor("mqtt/after", 5s)) << "a good message after bad ones is stored";
  EXPECT_EQ(Stored("mqtt/good-beside-bad"), 1);
  EXPECT_EQ(Stored("mqtt/bad-type"), 0);
  EXPECT_EQ(Stored("mqtt/many/0"), 0) << "an array over the limit is refused whole";
  EXPECT_EQ(Counted("rejected"), 5);
}

TEST_F(MqttIngestTest, NothingIsAcknowledgedBeforeItIsCommitted) {
  env_.FailWrites(ENOSPC);  // the store cannot commit
  Publish(Event("mqtt/during-fault").dump());
  std::this_thread::sleep_for(1500ms);  // the hub reads it, fails to commit, reconnects, reads it again…
  EXPECT_EQ(Stored("mqtt/during-fault"), 0);
  EXPECT_GT(env_.failed_writes(), 0) << "the hub tried to commit it";
  env_.Clear();
  // Acknowledged too early, the broker would have dropped it: it is stored now only because
  // the broker sent it again.
  EXPECT_TRUE(WaitFor("mqtt/during-fault", 15s));
}

TEST_F(MqttIngestTest, AfterABrokerRestartTheHubReconnectsAndGoesOn) {
  broker_.Stop();
  for (int i = 0; i < 100 && Metric("glassbrain_mqtt_connected") != "0"; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(Metric("glassbrain_mqtt_connected"), "0");
  EXPECT_EQ(hub_.Anonymous("GET", "/readyz").status, 200) << "HTTP ingest still works";
  broker_.Start();
  publisher_.Disconnect();
  ASSERT_TRUE(publisher_.Connect(broker_.port()));
  EXPECT_TRUE(WaitStored("mqtt/after-restart", 15s)) << broker_.LogTail();
  EXPECT_EQ(Metric("glassbrain_mqtt_connected"), "1");
}

}  // namespace
}  // namespace gb::testing
