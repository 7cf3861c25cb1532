// The mosquitto test broker (support/mqtt_broker.h) is what the MQTT link's tests will stand
// on: a real broker that delivers QoS 1, shares a `$share/` subscription among a group, and
// keeps a persistent session's queued messages while its client is away, even across a
// broker restart. The clients here are libmosquitto's, as the hub's will be.
#include "support/mqtt_broker.h"

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

struct Message {
  std::string topic, payload;
  int qos = 0;
};

// A libmosquitto client with its network loop in a thread of its own; each call waits for
// the broker's answer (CONNACK, SUBACK, PUBACK) and returns false when none came in time.
class Client {
 public:
  Client(const std::string& id, bool clean_session) : id_(id) {
    mosq_ = mosquitto_new(id.c_str(), clean_session, this);
    if (!mosq_) throw std::runtime_error("mosquitto_new failed");
    mosquitto_connect_with_flags_callback_set(mosq_, [](mosquitto*, void* self, int rc, int flags) {
      static_cast<Client*>(self)->Note([&](Client& c) {
        c.connack_ = rc;
        c.session_present_ = flags & 1;
      });
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int mid, int, const int*) {
      static_cast<Client*>(self)->Note([&](Client& c) { c.acked_.insert(mid); });
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
      static_cast<Client*>(self)->Note([&](Client& c) { c.acked_.insert(mid); });
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      Message msg{m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->qos};
      static_cast<Client*>(self)->Note([&](Client& c) { c.messages_.push_back(std::move(msg)); });
    });
  }
  ~Client() {
    Disconnect();
    mosquitto_destroy(mosq_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Connect(std::uint16_t port) {
    if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return false;
    if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) return false;
    looping_ = true;
    return WaitUntil([&] { return connack_ == 0; });
  }
  // Sends DISCONNECT, so that the broker keeps a persistent session, and stops the loop.
  void Disconnect() {
    if (!looping_) return;
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    looping_ = false;
  }
  bool Subscribe(const std::string& pattern, int qos) {
    int mid = 0;
    return mosquitto_subscribe(mosq_, &mid, pattern.c_str(), qos) == MOSQ_ERR_SUCCESS &&
           WaitUntil([&] { return acked_.contains(mid); });
  }
  // Returns once the broker has acknowledged it (PUBACK for QoS 1).
  bool Publish(const std::string& topic, const std::string& payload, int qos) {
    int mid = 0;
    return mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                             false) == MOSQ_ERR_SUCCESS &&
           WaitUntil([&] { return acked_.contains(mid); });
  }
  // Waits until `n` messages have arrived; returns what has arrived by then.
  std::vector<Message> Received(std::size_t n, std::chrono::milliseconds timeout = kTimeout) {
    WaitUntil([&] { return messages_.size() >= n; }, timeout);
    std::lock_guard lock(mu_);
    return messages_;
  }
  bool session_present() {
    std::lock_guard lock(mu_);
    return session_present_;
  }

 private:
  template <typename F>
  void Note(F change) {
    {
      std::lock_guard lock(mu_);
      change(*this);
    }
    cv_.notify_all();
  }
  template <typename F>
  bool WaitUntil(F condition, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, condition);
  }

  std::string id_;
  mosquitto* mosq_ = nullptr;
  bool looping_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  int connack_ = -1;
  bool session_present_ = false;
  std::set<int> acked_;
  std::vector<Message> messages_;
};

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
  Client sub("gb-test-sub", true), pub("gb-test-pub", true);
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
  Client a("gb-test-share-a", true), b("gb-test-share-b", true), all("gb-test-share-all", true),
      pub("gb-test-share-pub", true);
  for (Client* c : {&a, &b, &all, &pub}) ASSERT_TRUE(c->Connect(broker().port())) << broker().LogTail();
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
    Client c(id, /*clean_session=*/false);
    ASSERT_TRUE(c.Connect(broker().port())) << broker().LogTail();
    ASSERT_TRUE(c.Subscribe("glassbrain/commands/hub-1", 1));
  }  // disconnected: the broker keeps the session and queues QoS 1 messages for it
  {
    Client pub("gb-test-persistent-pub", true);
    ASSERT_TRUE(pub.Connect(broker().port()));
    ASSERT_TRUE(pub.Publish("glassbrain/commands/hub-1", "while away", 1));
  }
  Client back(id, false);
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
    Client c(id, false);
    ASSERT_TRUE(c.Connect(broker().port())) << broker().LogTail();
    ASSERT_TRUE(c.Subscribe("glassbrain/commands/hub-2", 1));
  }
  {
    Client pub("gb-test-restart-pub", true);
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
    Client pub("gb-test-restart-pub", true);
    ASSERT_TRUE(pub.Connect(broker().port())) << broker().LogTail();  // same port
    ASSERT_TRUE(pub.Publish("glassbrain/commands/hub-2", "after the restart", 1));
  }
  Client back(id, false);
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
  Client c("gb-test-after-kill", true);
  EXPECT_TRUE(c.Connect(broker().port())) << broker().LogTail();
}

}  // namespace
}  // namespace gb::testing
