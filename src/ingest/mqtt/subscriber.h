// MqttSubscriber: a persistent MQTT session (libmosquitto 2.0.11) whose QoS 1 messages are
// acknowledged only after the hub has committed them.
//
// Why its own loop: libmosquitto answers a QoS 1 PUBLISH with its PUBACK before it calls
// on_message (lib/handle_publish.c). With the library's own loop the PUBACK leaves at once,
// so returning from the callback would prove nothing, and a hub killed between the PUBACK
// and its commit would lose a message the broker then forgets. In threaded mode
// (mosquitto_threaded_set(true)) packet__queue only queues outgoing packets and
// mosquitto_loop_write is what sends them. So this class's one thread runs
//
//   poll the socket → mosquitto_loop_read (on_message collects the messages) →
//   handler(messages) commits them → mosquitto_loop_write (the PUBACKs leave)
//
// and when the handler fails it drops the connection without writing: mosquitto_reconnect
// discards the queued PUBACKs, and the broker sends the messages again to the same session
// (clean_session false) once it is back. A message therefore reaches the handler at least
// once; the handler makes a redelivery store nothing twice (events by key).
//
// Reconnects after a broker outage with backoff doubling from 100 ms, capped at 5 s, and
// subscribes again each time. Thread-safe: Start/Stop from any one thread; connected() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

struct mosquitto;
struct mosquitto_message;

namespace gb {

struct MqttOptions {
  std::string url;        // mqtt://HOST[:PORT] (1883 by default)
  std::string client_id;  // the persistent session's name: unique per hub, stable across restarts
  std::string username;   // empty: anonymous
  std::string password;
  int keepalive_s = 30;
  std::vector<std::string> topics;        // subscribed at QoS 1, e.g. "$share/glassbrain/glassbrain/+/events"
  std::size_t max_payload_bytes = 8u << 20;  // larger messages reach the handler as `too_large`
};

struct MqttAddress {
  std::string host;
  int port = 1883;
};
// Invalid naming the problem for anything but mqtt://HOST[:PORT].
Result<MqttAddress> ParseMqttUrl(const std::string& url);

struct MqttMessage {
  std::string topic;
  std::string payload;  // empty when too_large
  bool too_large = false;
};

class MqttSubscriber {
 public:
  // Called on the subscriber's thread with what one read brought, in arrival order. OK: every
  // message is done with (stored, or rejected for good) and is acknowledged. Not OK (the store
  // failed): none is, and each will come again.
  using Handler = std::function<Status(std::vector<MqttMessage>& messages)>;

  // Invalid for a bad URL, an empty client_id or no topics.
  static Result<std::unique_ptr<MqttSubscriber>> Create(MqttOptions options, Handler handler);
  ~MqttSubscriber();  // stops
  MqttSubscriber(const MqttSubscriber&) = delete;
  MqttSubscriber& operator=(const MqttSubscriber&) = delete;

  void Start();
  void Stop();
  bool connected() const { return connected_.load(); }
  std::int64_t reconnects() const { return reconnects_.load(); }

 private:
  MqttSubscriber(MqttOptions options, MqttAddress address, Handler handler);
  void Run();
  bool Connect();            // false when the broker cannot be reached now
  bool Serve();              // until the connection breaks (false) or Stop (true)
  void Pause(std::chrono::milliseconds& backoff);

  static void OnConnect(::mosquitto*, void* self, int rc);
  static void OnMessage(::mosquitto*, void* self, const ::mosquitto_message* m);

  const MqttOptions options_;
  const MqttAddress address_;
  Handler handler_;
  ::mosquitto* client_ = nullptr;
  std::vector<MqttMessage> pending_;  // filled by OnMessage during one loop_read
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::int64_t> reconnects_{0};
  std::thread thread_;
};

}  // namespace gb
