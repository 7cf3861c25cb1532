#include "cli/hub.h"

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/auth/routes.h"
#include "api/auth/sessions.h"
#include "api/metrics.h"
#include "api/open311/routes.h"
#include "api/rest/config.h"
#include "api/rest/desk.h"
#include "api/rest/incidents.h"
#include "api/rest/ingest.h"
#include "api/rest/ops.h"
#include "api/rest/privacy.h"
#include "api/rest/public_map.h"
#include "api/rest/residents.h"
#include "api/rest/stream.h"
#include "api/rest/tasks.h"
#include "api/rest/transparency.h"
#include "cli/static_files.h"
#include "district/persist.h"
#include "ingest/mqtt/mqtt_ingest.h"
#include "privacy/image/anonymizer.h"
#include "privacy/retention/retention.h"
#include "store/sqlite/backup.h"

namespace gb {

struct Hub::Parts {
  HubOptions options;
  Env* env;
  std::optional<sqlite::StoreHold> hold;  // a restore is refused while the hub serves the file
  std::unique_ptr<Store> store;
  std::unique_ptr<CatalogHolder> catalog;
  std::unique_ptr<IncidentService> incidents;
  std::unique_ptr<EvidenceStore> evidence;
  std::unique_ptr<Anonymizer> anonymizer;
  Metrics metrics;
  std::unique_ptr<auth::SessionAuthenticator> sessions;
  std::unique_ptr<HubContext> ctx;
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::string openapi;
  // Last, so that it stops (and commits no more) before anything it uses goes.
  std::unique_ptr<MqttSubscriber> mqtt;

  // Background jobs (purge, SLA checks), stopped by the destructor.
  std::vector<std::thread> jobs;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;

  // Runs `job` every `interval` until the hub stops.
  void Every(std::chrono::milliseconds interval, std::function<void()> job) {
    jobs.emplace_back([this, interval, job = std::move(job)] {
      std::unique_lock lock(mu);
      while (!cv.wait_for(lock, interval, [this] { return stopping; })) {
        lock.unlock();
        job();
        lock.lock();
      }
    });
  }
};

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string PublicBaseUrlFor(const std::string& host, std::uint16_t port) {
  std::string name = host;
  if (host.empty() || host == "0.0.0.0" || host == "::") name = "localhost";
  else if (host.find(':') != std::string::npos) name = "[" + host + "]";
  return "http://" + name + ":" + std::to_string(port);
}

std::string DefaultEvidenceDir(const std::string& store_url) {
  std::string path = SqlitePathOf(store_url);
  return (path.empty() ? "glassbrain" : path) + ".evidence";
}

Result<std::unique_ptr<Hub>> Hub::Open(HubOptions options, Env* env) {
  std::unique_ptr<Hub> hub(new Hub());
  hub->parts_ = std::make_unique<Parts>();
  Parts& p = *hub->parts_;
  p.options = std::move(options);
  p.env = env;
  GB_RETURN_IF_ERROR(p.options.api.limits.Check());
  p.options.server.max_body_bytes = p.options.api.limits.max_body_bytes;
  p.options.server.max_header_bytes = p.options.api.limits.max_header_bytes;
  if (p.options.evidence_dir.empty()) p.options.evidence_dir = DefaultEvidenceDir(p.options.store_url);
  if (std::string path = SqlitePathOf(p.options.store_url); !path.empty()) {
    auto hold = sqlite::StoreHold::Take(path, sqlite::StoreHold::Mode::kShared);
    if (!hold.ok()) return hold.status();
    p.hold.emplace(std::move(*hold));
  }
  auto store = OpenStore(p.options.store_url, env);
  if (!store.ok()) return store.status();
  p.store = std::move(*store);
  auto district = LoadDistrictFromStore(*p.store);
  if (!district.ok())
    return Status(district.status().code(), "the store holds no usable district (" + district.status().message() +
                                                "); load one with `glassbrain import` or start with `glassbrain demo`");
  auto catalog = Catalog::Build(std::move(*district));
  if (!catalog.ok()) return catalog.status();
  p.catalog = std::make_unique<CatalogHolder>(std::move(*catalog));
  p.incidents = std::make_unique<IncidentService>(*p.store, *p.catalog, env, p.options.correlation);
  GB_RETURN_IF_ERROR(env->CreateDirs(p.options.evidence_dir));
  p.evidence = std::make_unique<EvidenceStore>(p.options.evidence_dir, env);
  auto anonymizer = Anonymizer::Create();
  if (!anonymizer.ok()) return anonymizer.status();
  p.anonymizer = std::move(*anonymizer);
  auth::SessionOptions session_options;
  session_options.secure_cookie = p.options.secure_cookies;
  session_options.idle = p.options.session_idle;
  p.sessions = std::make_unique<auth::SessionAuthenticator>(*p.store, env, session_options);
  p.ctx = std::make_unique<HubContext>(HubContext{*p.store, *p.catalog, *p.incidents, *p.evidence, *p.anonymizer,
                                                  p.metrics, env, p.options.api});

  p.router.SetAuthenticator(p.sessions.get());
  p.router.SetStrictTransportSecurity(p.options.secure_cookies);
  auth::RegisterSessionRoutes(p.router, *p.sessions, p.options.api.limits.max_login_body_bytes);
  rest::RegisterOpsRoutes(p.router, *p.ctx);
  rest::RegisterIncidentRoutes(p.router, *p.ctx);
  rest::RegisterTaskRoutes(p.router, *p.ctx);
  rest::RegisterDeskRoutes(p.router, *p.ctx);
  rest::RegisterConfigRoutes(p.router, *p.ctx);
  rest::RegisterPrivacyRoutes(p.router, *p.ctx);
  rest::RegisterPublicRoutes(p.router, *p.ctx);
  rest::RegisterResidentRoutes(p.router, *p.ctx);
  rest::RegisterTransparencyRoutes(p.router, *p.ctx);
  rest::RegisterStreamRoutes(p.router, *p.ctx);
  rest::RegisterIngestRoutes(p.router, *p.ctx);
  RegisterOpen311Routes(p.router, *p.ctx);
  p.router.Add("GET", "/api/v1/openapi.json", {}, [&p](http::Request&) { return http::Json(200, p.openapi); },
               "This document");
  p.openapi = rest::OpenApiDocument(p.router);
  if (!p.options.web_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p.options.web_dir, ec))
      spdlog::warn("event=web_pages_missing web_dir=\"{}\" hint=\"build them with scripts/build.sh (in a checkout), "
                   "reinstall them (an installed hub) or set paths.web_dir; pages answer 503 until then\"",
                   p.options.web_dir);
    p.router.SetFallback(StaticFiles(p.options.web_dir));
  }

  Store* st = p.store.get();
  p.metrics.AddCollector([st](std::string& out) {
    out += "# HELP glassbrain_incidents Incidents by state.\n# TYPE glassbrain_incidents gauge\n";
    auto counts = st->CountIncidentsByState();
    if (!counts.ok()) {  // no figures rather than zeros that look true
      out += "# glassbrain_incidents: the store cannot be read now\n";
      return;
    }
    for (auto s : kAllIncidentStates) {
      std::int64_t n = 0;
      for (const auto& [state, c] : *counts)
        if (state == s) n = c;
      out += "glassbrain_incidents{state=\"" + std::string(StateName(s)) + "\"} " + std::to_string(n) + "\n";
    }
  });
  auth::LoginRateLimiter* limiter = &p.sessions->rate_limiter();
  p.metrics.AddCollector([limiter](std::string& out) {
    out += "# HELP glassbrain_login_name_ceiling_total Times a staff name reached the ceiling of failed sign-ins "
           "from all addresses (an attack on that account; see the audit log's session.name_ceiling).\n"
           "# TYPE glassbrain_login_name_ceiling_total counter\n"
           "glassbrain_login_name_ceiling_total " + std::to_string(limiter->name_ceiling_hits()) + "\n";
  });
  Metrics* metrics = &p.metrics;
  p.server = std::make_unique<http::Server>(
      p.options.server, p.router,
      [metrics](const std::string& route, const std::string& method, int status, double seconds) {
        metrics->ObserveRequest(route, method, status, seconds);
      });
  http::Server* server = p.server.get();
  p.metrics.AddCollector([server](std::string& out) {
    out += "# HELP glassbrain_http_connections Open HTTP connections (live streams included).\n"
           "# TYPE glassbrain_http_connections gauge\n"
           "glassbrain_http_connections " + std::to_string(server->open_connections()) + "\n"
           "# HELP glassbrain_http_streams Open live streams (GET /api/v1/stream).\n"
           "# TYPE glassbrain_http_streams gauge\n"
           "glassbrain_http_streams " + std::to_string(server->open_streams()) + "\n";
  });
  return hub;
}

Hub::~Hub() {
  if (!parts_) return;
  {
    std::lock_guard lock(parts_->mu);
    parts_->stopping = true;
  }
  parts_->cv.notify_all();
  for (auto& job : parts_->jobs) job.join();
}

namespace {

// Service managers start processes with a soft limit of 1,024 descriptors, a quarter of the
// connections the hub accepts by default; the hard limit is the administrator's ceiling.
void RaiseOpenFileLimit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t was = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = was;
  }
  spdlog::info("event=open_file_limit soft={} hard={} was={}", limit.rlim_cur, limit.rlim_max, was);
  // The store, the evidence files and the listening socket need descriptors of their own.
  constexpr rlim_t kReserve = 64;
  if (limit.rlim_cur < max_connections + kReserve)
    spdlog::warn("event=open_file_limit_low soft={} max_connections={} hint=\"raise the hard limit (LimitNOFILE=) or "
                 "lower server.max_connections; past the limit new connections wait\"",
                 limit.rlim_cur, max_connections);
}

// The subscriber of [mqtt], committing what it reads through the incident service.
Result<std::unique_ptr<MqttSubscriber>> MakeMqttSubscriber(const MqttSettings& s, std::uint16_t port,
                                                           const Limits& limits, IncidentService& incidents,
                                                           Metrics& metrics) {
  MqttOptions o;
  o.url = s.url;
  o.client_id = s.client_id;
  if (o.client_id.empty()) {
    // Two hubs on one machine differ by port; a restarted hub finds its own session again.
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
    o.client_id = "glassbrain-" + std::string(host) + "-" + std::to_string(port);
  }
  o.username = s.username;
  if (!s.password_file.empty()) {
    std::ifstream in(s.password_file);
    if (!in) return Status::Invalid("cannot read mqtt.password_file " + s.password_file);
    std::ostringstream text;
    text << in.rdbuf();
    o.password = text.str();
    while (!o.password.empty() && (o.password.back() == '\n' || o.password.back() == '\r')) o.password.pop_back();
  }
  o.keepalive_s = s.keepalive_s;
  o.topics = MqttIngestTopics();
  o.max_payload_bytes = limits.max_batch_body_bytes;
  const std::size_t max_items = static_cast<std::size_t>(limits.max_batch_items);
  return MqttSubscriber::Create(std::move(o), [&incidents, &metrics, max_items](std::vector<MqttMessage>& messages) {
    auto counts = IngestMqttMessages(incidents, messages, max_items);
    if (!counts.ok()) return counts.status();
    if (counts->stored) metrics.CountIngest("mqtt", "stored", counts->stored);
    if (counts->duplicate) metrics.CountIngest("mqtt", "duplicate", counts->duplicate);
    if (counts->rejected) metrics.CountIngest("mqtt", "rejected", counts->rejected);
    return Status::Ok();
  });
}

}  // namespace

Status Hub::Listen() {
  Parts& p = *parts_;
  RaiseOpenFileLimit(p.options.server.max_connections);
  GB_RETURN_IF_ERROR(p.server->Listen());
  if (p.ctx->settings.public_base_url.empty()) {
    p.ctx->settings.public_base_url = PublicBaseUrlFor(p.options.server.host, p.server->port());
    if (!IsLoopbackHost(p.options.server.host))
      spdlog::warn("event=public_base_url_unset derived=\"{}\" hint=\"open311.public_base_url is not set and the hub "
                   "listens beyond loopback: photo links and the Open311 discovery document name {}; set it to the "
                   "address residents use\"",
                   p.ctx->settings.public_base_url, p.ctx->settings.public_base_url);
  }
  if (!p.options.mqtt.url.empty()) {
    auto mqtt = MakeMqttSubscriber(p.options.mqtt, p.server->port(), p.options.api.limits, *p.incidents, p.metrics);
    if (!mqtt.ok()) return mqtt.status();
    p.mqtt = std::move(*mqtt);
    MqttSubscriber* subscriber = p.mqtt.get();
    p.metrics.AddCollector([subscriber](std::string& out) {
      out += "# HELP glassbrain_mqtt_connected 1 while the hub holds its session with the MQTT broker.\n"
             "# TYPE glassbrain_mqtt_connected gauge\n"
             "glassbrain_mqtt_connected " + std::string(subscriber->connected() ? "1" : "0") + "\n";
    });
  }
  return Status::Ok();
}
std::uint16_t Hub::port() const { return parts_->server->port(); }

void Hub::Run() {
  Parts& p = *parts_;
  if (p.options.purge_interval_minutes > 0) {
    p.Every(std::chrono::minutes(p.options.purge_interval_minutes), [&p, clock = PurgeClock(p.env)] {
      auto r = PurgeExpired(*p.store, p.catalog->Get()->district, p.options.evidence_dir, p.env, clock.Now());
      if (r.ok())
        spdlog::info("event=purge events={} incidents={} evidence={}", r->events, r->incidents,
                     r->evidence_hashes.size());
      else
        spdlog::error("event=purge_failed reason=\"{}\"", r.status().message());
    });
  }
  if (p.options.sla_check_interval.count() > 0) {
    p.Every(p.options.sla_check_interval, [&p] {
      auto r = p.incidents->CheckSlas();
      if (!r.ok()) spdlog::error("event=sla_check_failed reason=\"{}\"", r.status().message());
      else if (*r > 0) spdlog::info("event=sla_overdue incidents={}", *r);
    });
  }
  spdlog::info("event=listening address={}:{}", p.options.server.host, p.server->port());
  if (p.mqtt) p.mqtt->Start();
  p.server->Run();
  if (p.mqtt) p.mqtt->Stop();
  spdlog::info("event=stopped");
}

void Hub::Stop() { parts_->server->Stop(); }
Store& Hub::store() { return *parts_->store; }
IncidentService& Hub::incidents() { return *parts_->incidents; }
CatalogHolder& Hub::catalog() { return *parts_->catalog; }
const http::Router& Hub::router() const { return parts_->router; }

}  // namespace gb
