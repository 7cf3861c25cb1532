// The mosquitto test broker (support/mqtt_broker.h) is what the MQTT link's tests will stand
// on: a real broker that delivers QoS 1, shares a `$share/` subscription among a group, and
// keeps a persistent session's queued messages while its client is away, even across a
// broker restart. The clients here are libmosquitto's, as the hub's will be.
#include "support/mqtt_broker.h"
#include "support/mqtt_client.h"

#include <gtest/gtest.h>
#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gb::testing {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10s;

class MqttBrokerTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    mosquitto_lib_init();
    const auto start = std::chrono::steady_clock::now();
    try {
      broker_ = new MosquittoBroker();
    } catch (const std::exception& e) {
      error_ = e.what();
      return;
    }
    std::cout << "mosquitto test broker ready in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
              << " ms on port " << broker_->port() << "\n";
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
    mosquitto_lib_cleanup();
  }

 protected:
  // Each test fails with why the suite's server is not there (a test never skips). A test
  // that stopped it and failed before starting it again does not take the next one down.
  void SetUp() override {
    if (!broker_) FAIL() << error_;
    broker_->Start();
  }
  MosquittoBroker& broker() { return *broker_; }

 private:
  static inline MosquittoBroker* broker_ = nullptr;
  static inline std::string error_;
};

TEST_F(MqttBrokerTest, DeliversQos1FromPublisherToSubscriber) {
  EXPECT_EQ(broker().url(), "mqtt://127.0.0.1:" + std::to_string(broker().port()));
  MqttClient sub("gb-test-sub", true), pub("gb-test-pub", true);
  ASSERT_TRUE(sub.Connect(broker().port())) << broker().LogTail();
  ASSERT_TRUE(pub.Connect(broker().port())) << broker().LogTail();
  ASSERT_TRUE(sub.Subscribe("glassbrain/test/+/events", 1));
  ASSERT_TRUE(pub.Publish("glassbrain/test/cam-01/events", R"({"key":"e-1"})", 1));
  auto got = sub.Received(1);
  ASSERT_EQ(got.size(), 1u) << broker().LogTail();
  EXPECT_EQ(got[0].topic, "glassbrain/test/cam-01/events");
  EXPECT_EQ(got[0].payload, R"({"key":"e-1"})");
  EXPECT_EQ(got[0].qos, 1);
}

TEST_F(MqttBrokerTest, SharedSubscriptionGivesEachMessageToOneMemberOfTheGroup) {
  MqttClient a("gb-test-share-a", true), b("gb-test-share-b", true), all("gb-test-share-all", true),
      pub("gb-test-share-pub", true);
  for (MqttClient* c : {&a, &b, &all, &pub}) ASSERT_TRUE(c->Connect(broker().port())) << broker().LogTail();
  ASSERT_TRUE(a.Subscribe("$share/hubs/glassbrain/shared", 1));
  ASSERT_TRUE(b.Subscribe("$share/hubs/glassbrain/shared", 1));
  ASSERT_TRUE(all.Subscribe("glassbrain/shared", 1));  // an ordinary subscriber gets every one
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub.Publish("glassbrain/shared", "m" + std::to_string(i), 1));
  ASSERT_EQ(all.Received(kMessages).size(), std::size_t{kMessages});
  // Every message reached exactly one of the two members, and the group spread them.
  std::set<std::string> seen;
  std::size_t total = 0;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (total < kMessages && std::chrono::steady_clock::now() < deadline) {
    total = a.Received(0).size() + b.Received(0).size();
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);  // a duplicate would have arrived by now
  const auto got_a = a.Received(0), got_b = b.Received(0);
  for (const auto* got : {&got_a, &got_b})
    for (const auto& m : *got) {
      EXPECT_EQ(m.topic, "glassbrain/shared");
      EXPECT_TRUE(seen.insert(m.payload).second) << m.payload << " came twice";
    }
  EXPECT_EQ(seen.size(), std::size_t{kMessages});
  EXPECT_FALSE(got_a.empty());
  EXPECT_FALSE(got_b.empty());
}

TEST_F(MqttBrokerTest, PersistentSessionReceivesWhatWasPublishedWhileItWasAway) {
  const std::string id = "gb-test-persistent";
  {
    MqttClient c(id, /*clean_session=*/false);
    ASSERT_TRUE(c.Connect(broker().port())) << broker().LogTail();
    ASSERT_TRUE(c.Subscribe("glassbrain/commands/hub-1", 1));
  }  // disconnected: the broker keeps the session and queues QoS 1 messages for it
  {
    MqttClient pub("gb-test-persistent-pub", true);
    ASSERT_TRUE(pub.Connect(broker().port()));
    ASSERT_TRUE(pub.Publish("glassbrain/commands/hub-1", "while away", 1));
  }
  MqttClient back(id, false);
  ASSERT_TRUE(back.Connect(broker().port())) << broker().LogTail();
  EXPECT_TRUE(back.session_present());
  auto got = back.Received(1);
  ASSERT_EQ(got.size(), 1u) << broker().LogTail();
  EXPECT_EQ(got[0].payload, "while away");
  EXPECT_EQ(got[0].qos, 1);
}

TEST_F(MqttBrokerTest, PersistentSessionAndItsQueueSurviveABrokerRestart) {
  const std::string id = "gb-test-restart";
  {
    MqttClient c(id, false);
    ASSERT_TRUE(c.Connect(broker().port())) << broker().LogTail();
    ASSERT_TRUE(c.Subscribe("glassbrain/commands/hub-2", 1));
  }
  {
    MqttClient pub("gb-test-restart-pub", true);
    ASSERT_TRUE(pub.Connect(broker().port()));
    ASSERT_TRUE(pub.Publish("glassbrain/commands/hub-2", "before the restart", 1));
  }
  const auto start = std::chrono::steady_clock::now();
  broker().Stop();  // saves the persistence file
  EXPECT_FALSE(broker().running());
  broker().Start();
  std::cout << "restart took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
            << " ms\n";
  {
    MqttClient pub("gb-test-restart-pub", true);
    ASSERT_TRUE(pub.Connect(broker().port())) << broker().LogTail();  // same port
    ASSERT_TRUE(pub.Publish("glassbrain/commands/hub-2", "after the restart", 1));
  }
  MqttClient back(id, false);
  ASSERT_TRUE(back.Connect(broker().port())) << broker().LogTail();
  EXPECT_TRUE(back.session_present());
  auto got = back.Received(2);
  ASSERT_EQ(got.size(), 2u) << broker().LogTail();
  EXPECT_EQ(got[0].payload, "before the restart");
  EXPECT_EQ(got[1].payload, "after the restart");
}

TEST_F(MqttBrokerTest, StartsAgainAfterBeingKilled) {
  broker().Kill();
  EXPECT_FALSE(broker().running());
  broker().Start();
  MqttClient c("gb-test-after-kill", true);
  EXPECT_TRUE(c.Connect(broker().port())) << broker().LogTail();
}

}  // namespace
}  // namespace gb::testing
