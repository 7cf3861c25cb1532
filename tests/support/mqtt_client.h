// MqttClient: a libmosquitto client for tests, with its network loop in a thread of its own;
// each call waits for the broker's answer (CONNACK, SUBACK, PUBACK) and returns false when
// none came in time. It publishes and subscribes as a sensor, an edge agent or a hub would.
#pragma once

#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace gb::testing {

inline constexpr std::chrono::seconds kMqttTimeout{10};

struct MqttReceived {
  std::string topic, payload;
  int qos = 0;
};

class MqttClient {
 public:
  MqttClient(const std::string& id, bool clean_session) : id_(id) {
    mosq_ = mosquitto_new(id.c_str(), clean_session, this);
    if (!mosq_) throw std::runtime_error("mosquitto_new failed");
    mosquitto_connect_with_flags_callback_set(mosq_, [](mosquitto*, void* self, int rc, int flags) {
      static_cast<MqttClient*>(self)->Note([&](MqttClient& c) {
        c.connack_ = rc;
        c.session_present_ = flags & 1;
      });
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int mid, int, const int*) {
      static_cast<MqttClient*>(self)->Note([&](MqttClient& c) { c.acked_.insert(mid); });
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
      static_cast<MqttClient*>(self)->Note([&](MqttClient& c) { c.acked_.insert(mid); });
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      MqttReceived msg{m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->qos};
      static_cast<MqttClient*>(self)->Note([&](MqttClient& c) { c.messages_.push_back(std::move(msg)); });
    });
  }
  ~MqttClient() {
    Disconnect();
    mosquitto_destroy(mosq_);
  }
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

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
  std::vector<MqttReceived> Received(std::size_t n, std::chrono::milliseconds timeout = kMqttTimeout) {
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
  bool WaitUntil(F condition, std::chrono::milliseconds timeout = kMqttTimeout) {
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
  std::vector<MqttReceived> messages_;
};

}  // namespace gb::testing
