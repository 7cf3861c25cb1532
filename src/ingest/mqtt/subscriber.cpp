#include "ingest/mqtt/subscriber.h"

#include <mosquitto.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <mutex>

#include <spdlog/spdlog.h>

namespace gb {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
// How often the loop wakes without traffic: to notice Stop and to send keep-alives.
constexpr int kPollMs = 100;

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

Result<MqttAddress> ParseMqttUrl(const std::string& url) {
  constexpr std::string_view kScheme = "mqtt://";
  if (!url.starts_with(kScheme))
    return Status::Invalid("the MQTT URL '" + url + "' must start with mqtt:// (e.g. mqtt://127.0.0.1:1883)");
  std::string rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/@?#") != std::string::npos)
    return Status::Invalid("the MQTT URL must be mqtt://HOST[:PORT]; give the user name and password file in [mqtt]");
  MqttAddress a;
  const auto colon = rest.rfind(':');
  const bool bracketed = rest.starts_with("[");
  if (colon != std::string::npos && (!bracketed || rest.find(']') < colon)) {
    const std::string port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535)
      return Status::Invalid("the port in the MQTT URL '" + url + "' must be a number from 1 to 65535");
    rest.resize(colon);
  }
  if (bracketed && rest.size() > 2 && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  if (rest.empty()) return Status::Invalid("the MQTT URL '" + url + "' names no host");
  a.host = rest;
  return a;
}

Result<std::unique_ptr<MqttSubscriber>> MqttSubscriber::Create(MqttOptions options, Handler handler) {
  auto address = ParseMqttUrl(options.url);
  if (!address.ok()) return address.status();
  if (options.client_id.empty() || options.client_id.size() > 23 * 10)
    return Status::Invalid("the MQTT client_id must be 1 to 230 characters");
  if (options.topics.empty()) return Status::Invalid("no MQTT topics to subscribe to");
  if (options.keepalive_s < 5 || options.keepalive_s > 3600)
    return Status::Invalid("mqtt.keepalive_s must be from 5 to 3600 seconds");
  return std::unique_ptr<MqttSubscriber>(new MqttSubscriber(std::move(options), *address, std::move(handler)));
}

MqttSubscriber::MqttSubscriber(MqttOptions options, MqttAddress address, Handler handler)
    : options_(std::move(options)), address_(std::move(address)), handler_(std::move(handler)) {
  InitLibraryOnce();
  // clean_session false: the broker keeps the subscriptions and unacknowledged messages of
  // this client_id while it is away, and sends them again when it is back.
  client_ = mosquitto_new(options_.client_id.c_str(), false, this);
  if (!client_) throw std::bad_alloc();
  mosquitto_threaded_set(client_, true);  // PUBACKs wait for mosquitto_loop_write (see the header)
  mosquitto_connect_callback_set(client_, &MqttSubscriber::OnConnect);
  mosquitto_message_callback_set(client_, &MqttSubscriber::OnMessage);
  if (!options_.username.empty())
    mosquitto_username_pw_set(client_, options_.username.c_str(), options_.password.c_str());
}

MqttSubscriber::~MqttSubscriber() {
  Stop();
  mosquitto_destroy(client_);
}

void MqttSubscriber::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void MqttSubscriber::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void MqttSubscriber::OnConnect(struct mosquitto* client, void* self_ptr, int rc) {
  auto* self = static_cast<MqttSubscriber*>(self_ptr);
  if (rc != 0) {
    spdlog::warn("event=mqtt_refused broker={}:{} reason=\"{}\"", self->address_.host, self->address_.port,
                 mosquitto_connack_string(rc));
    return;
  }
  // The session may hold the subscriptions already; subscribing again is harmless and
  // covers a broker that lost its persistence.
  for (const std::string& topic : self->options_.topics)
    if (int s = mosquitto_subscribe(client, nullptr, topic.c_str(), 1); s != MOSQ_ERR_SUCCESS)
      spdlog::error("event=mqtt_subscribe_failed topic={} reason=\"{}\"", topic, mosquitto_strerror(s));
  self->connected_ = true;
  spdlog::info("event=mqtt_connected broker={}:{} client_id={}", self->address_.host, self->address_.port,
               self->options_.client_id);
}

void MqttSubscriber::OnMessage(struct mosquitto*, void* self_ptr, const struct mosquitto_message* m) {
  auto* self = static_cast<MqttSubscriber*>(self_ptr);
  MqttMessage& out = self->pending_.emplace_back();
  out.topic = m->topic ? m->topic : "";
  if (m->payloadlen < 0 || static_cast<std::size_t>(m->payloadlen) > self->options_.max_payload_bytes)
    out.too_large = true;
  else
    out.payload.assign(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen));
}

void MqttSubscriber::Run() {
  std::chrono::milliseconds backoff = kFirstBackoff;
  bool first = true;
  while (!stopping_) {
    int rc = first ? mosquitto_connect(client_, address_.host.c_str(), address_.port, options_.keepalive_s)
                   : mosquitto_reconnect(client_);  // also discards PUBACKs not yet sent
    first = first && rc != MOSQ_ERR_SUCCESS;
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::warn("event=mqtt_unreachable broker={}:{} reason=\"{}\" retry_ms={}", address_.host, address_.port,
                   mosquitto_strerror(rc), backoff.count());
      Pause(backoff);
      continue;
    }
    const bool stopped = Serve();
    const bool was_connected = connected_.exchange(false);
    if (stopped) break;
    ++reconnects_;
    if (was_connected) backoff = kFirstBackoff;
    spdlog::warn("event=mqtt_disconnected broker={}:{} retry_ms={}", address_.host, address_.port, backoff.count());
    Pause(backoff);
  }
  mosquitto_disconnect(client_);
  (void)mosquitto_loop_write(client_, 1);
}

bool MqttSubscriber::Serve() {
  while (!stopping_) {
    const int fd = mosquitto_socket(client_);
    if (fd < 0) return false;
    pollfd p{fd, static_cast<short>(POLLIN | (mosquitto_want_write(client_) ? POLLOUT : 0)), 0};
    const int n = poll(&p, 1, kPollMs);
    if (n < 0 && errno != EINTR) return false;
    if (n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      pending_.clear();
      const int rc = mosquitto_loop_read(client_, 1);
      if (!pending_.empty()) {
        Status s = handler_(pending_);
        pending_.clear();
        if (!s.ok()) {
          // Nothing of this read is acknowledged: the reconnect drops the queued PUBACKs.
          spdlog::warn("event=mqtt_not_committed reason=\"{}\"", s.message());
          return false;
        }
      }
      if (rc != MOSQ_ERR_SUCCESS) return false;
    }
    if (mosquitto_loop_misc(client_) != MOSQ_ERR_SUCCESS) return false;  // keep-alive
    if (mosquitto_want_write(client_) && mosquitto_loop_write(client_, 1) != MOSQ_ERR_SUCCESS) return false;
  }
  return true;
}

void MqttSubscriber::Pause(std::chrono::milliseconds& backoff) {
  for (auto until = std::chrono::steady_clock::now() + backoff; !stopping_ && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  backoff = std::min(backoff * 2, kMaxBackoff);
}

}  // namespace gb
