// MQTT ingest benchmark: events per second published over MQTT and committed by a hub,
// against a plain libmosquitto publisher → subscriber on the same broker in the same run.
//
// A real mosquitto (tests/support/mqtt_broker.h) and a real hub in this process
// (gb::testing::HubFixture on a fresh SQLite store with the demo district, `[mqtt]` pointed at
// the broker). One publisher sends QoS 1 messages to glassbrain/riverside/events, as an edge
// agent does, keeping up to 100 unacknowledged; the figure is events per second from the first
// publish until every event is stored. The baseline sends
// the same payloads, QoS 1, through the same broker (on a topic the hub does not take) to a plain subscriber (its own network
// thread, no work per message): from the first publish to the last message received.
// Two shapes: messages of 100 events (an agent flushing its queue) and of one event (a
// sensor-like stream). Target for each: ratio ≥ 0.3.
//
// GLASSBRAIN_BENCH_SHORT=1 runs a few messages (CI only checks that it works).
// Exit status: 0 when the run worked (a missed target only prints FAIL); 1 when an event was
// not stored or a publish failed.
#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "../tests/integration/hub_fixture.h"
#include "machine.h"
#include "support/mqtt_broker.h"
#include "support/sample_event.h"

namespace gb {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kTopic = "glassbrain/riverside/events";
constexpr const char* kBaselineTopic = "bench/baseline";  // not the hub's: it must not ingest the baseline
constexpr double kTarget = 0.3;

// `messages` payloads of `per_message` events each, keys "<prefix>/<m>/<i>".
std::vector<std::string> Payloads(const std::string& prefix, int messages, int per_message) {
  std::vector<std::string> out;
  out.reserve(messages);
  for (int m = 0; m < messages; ++m) {
    nlohmann::json batch = nlohmann::json::array();
    for (int i = 0; i < per_message; ++i) {
      const int n = m * per_message + i;
      // Places spread over a few hundred metres of the demo district, so that correlation
      // both opens incidents and joins events to them.
      batch.push_back(testing::SampleEvent(prefix + "/" + std::to_string(m) + "/" + std::to_string(i),
                                           "illegal_parking", 31.2330 + (n % 97) * 1e-5, 121.4730 + (n % 89) * 1e-5));
    }
    out.push_back(per_message == 1 ? batch[0].dump() : batch.dump());
  }
  return out;
}

// A libmosquitto client on its own network thread that counts PUBACKs and received messages.
class Client {
 public:
  Client(const std::string& id, std::uint16_t port) {
    mosq_ = mosquitto_new(id.c_str(), true, this);
    mosquitto_max_inflight_messages_set(mosq_, 100);
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int) {
      auto* c = static_cast<Client*>(self);
      c->Bump(c->acked_);
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message*) {
      auto* c = static_cast<Client*>(self);
      c->Bump(c->received_);
    });
    ok_ = mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS && mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
  }
  ~Client() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool ok() const { return ok_; }
  bool Subscribe(const std::string& topic) { return mosquitto_subscribe(mosq_, nullptr, topic.c_str(), 1) == MOSQ_ERR_SUCCESS; }
  bool Publish(const std::string& payload, const char* topic = kTopic) {
    const int rc = mosquitto_publish(mosq_, nullptr, topic, static_cast<int>(payload.size()), payload.data(), 1, false);
    if (rc != MOSQ_ERR_SUCCESS) std::fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
    return rc == MOSQ_ERR_SUCCESS;
  }
  // Waits until `n` messages have come; false after `limit`.
  bool WaitReceived(long n, std::chrono::seconds limit) { return Wait(received_, n, limit); }

 private:
  void Bump(std::atomic<long>& counter) {
    {
      std::lock_guard lock(mu_);
      ++counter;
    }
    cv_.notify_all();
  }
  bool Wait(std::atomic<long>& counter, long n, std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return counter.load() >= n; });
  }

  mosquitto* mosq_ = nullptr;
  bool ok_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<long> acked_{0}, received_{0};
};

// Events per second through a plain subscriber.
double Baseline(std::uint16_t port, const std::vector<std::string>& payloads, int per_message) {
  Client sub("bench-baseline-sub", port), pub("bench-baseline-pub", port);
  if (!sub.ok() || !pub.ok() || !sub.Subscribe(kBaselineTopic)) return -1;
  std::this_thread::sleep_for(200ms);  // the SUBACK
  const auto start = Clock::now();
  for (const auto& p : payloads)
    if (!pub.Publish(p, kBaselineTopic)) return -1;
  if (!sub.WaitReceived(static_cast<long>(payloads.size()), 120s)) return -1;
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(payloads.size()) * per_message / s;
}

// Events per second published and committed by the hub; -1 when an event was not stored.
double ThroughHub(testing::HubFixture& hub, std::uint16_t port, const std::string& prefix,
                  const std::vector<std::string>& payloads, int per_message) {
  Client pub("bench-edge-" + prefix, port);
  if (!pub.ok()) return -1;
  std::vector<std::string> keys;
  for (std::size_t m = 0; m < payloads.size(); ++m)
    for (int i = 0; i < per_message; ++i) keys.push_back(prefix + "/" + std::to_string(m) + "/" + std::to_string(i));
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  auto missing = [&]() -> long {
    auto found = hub.hub().store().FindEventsByKeys(views);
    if (!found.ok()) return -1;
    long n = 0;
    for (const auto& f : *found) n += f ? 0 : 1;
    return n;
  };
  const auto start = Clock::now();
  for (const auto& p : payloads)
    if (!pub.Publish(p)) return -1;
  long left = 0;
  while ((left = missing()) != 0) {
    if (left < 0 || Clock::now() - start > 300s) {
      std::fprintf(stderr, "%ld of %zu events were not stored\n", left, keys.size());
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(keys.size()) / s;
}

int Run() {
  const bool short_run = std::getenv("GLASSBRAIN_BENCH_SHORT") != nullptr;
  testing::MosquittoBroker broker;
  testing::HubFixture hub([&](HubOptions& o) { o.mqtt.url = broker.url(); });
  // Wait for the hub's subscription: a probe event stored.
  {
    Client probe("bench-probe", broker.port());
    const std::string p = testing::SampleEvent("probe", "illegal_parking", 31.2335, 121.4737).dump();
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      probe.Publish(p);
      std::this_thread::sleep_for(100ms);
      auto found = hub.hub().store().FindEventsByKeys({"probe"});
      up = found.ok() && (*found)[0].has_value();
    }
    if (!up) {
      std::fprintf(stderr, "the hub did not subscribe\n");
      return 1;
    }
  }
  bench::WarnIfBusy("both sides share the machine with it; trust the ratios more than the rates");
  std::printf("mqtt_ingest_bench: QoS 1, one publisher with up to 100 messages in flight, one broker\n");
  int status = 0;
  struct Shape {
    const char* name;
    int messages, per_message;
  };
  const Shape shapes[] = {{"100 events per message", short_run ? 10 : 200, 100},
                          {"1 event per message", short_run ? 200 : 5000, 1}};
  int run = 0;
  for (const Shape& shape : shapes) {
    const std::string prefix = "bench" + std::to_string(run++);
    const auto payloads = Payloads(prefix, shape.messages, shape.per_message);
    const double before = Baseline(broker.port(), payloads, shape.per_message);
    const double hub_rate = ThroughHub(hub, broker.port(), prefix, payloads, shape.per_message);
    const double after = Baseline(broker.port(), payloads, shape.per_message);
    if (before <= 0 || after <= 0 || hub_rate <= 0) {
      std::fprintf(stderr, "%s: a publish failed or an event was not stored (baseline %.0f, %.0f; hub %.0f)\n",
                   shape.name, before, after, hub_rate);
      status = 1;
      continue;
    }
    const double baseline = (before + after) / 2, ratio = hub_rate / baseline;
    std::printf("  %s (%d events): hub %.0f events/s committed; plain subscriber %.0f events/s\n", shape.name,
                shape.messages * shape.per_message, hub_rate, baseline);
    std::printf("    ratio %.2f (target >= %.1f): %s\n", ratio, kTarget, ratio >= kTarget ? "PASS" : "FAIL");
  }
  return status;
}

}  // namespace
}  // namespace gb

int main() {
  mosquitto_lib_init();
  const int status = gb::Run();
  mosquitto_lib_cleanup();
  return status;
}
