#include "cli/hub.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>

#include "api/auth/routes.h"
#include "api/auth/sessions.h"
#include "api/metrics.h"
#include "api/open311/routes.h"
#include "api/rest/config.h"
#include "api/rest/incidents.h"
#include "api/rest/ops.h"
#include "api/rest/privacy.h"
#include "api/rest/public_map.h"
#include "api/rest/stream.h"
#include "cli/static_files.h"
#include "district/persist.h"
#include "ingest/routes.h"
#include "privacy/image/anonymizer.h"

namespace gb {

struct Hub::Parts {
  HubOptions options;
  Env* env;
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

  std::thread purger;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
};

std::string DefaultEvidenceDir(const std::string& store_url) {
  std::string path = SqlitePathOf(store_url);
  return (path.empty() ? "glassbrain" : path) + ".evidence";
}

Result<PurgeResult> PurgeExpired(Store& store, const District& d, const std::string& evidence_dir, Env* env) {
  constexpr TimeMs kDay = 86'400'000;
  TimeMs now = env->NowMs();
  RetentionCutoffs c;
  c.events_before = now - d.retention.events_days * kDay;
  c.evidence_before = now - d.retention.evidence_days * kDay;
  c.incidents_before = now - d.retention.incidents_days * kDay;
  c.audit_before = now - d.retention.audit_days * kDay;
  for (const auto& s : d.services) c.category_events_before.emplace_back(s.code, now - s.retention_days * kDay);
  auto result = store.Purge(c);
  if (!result.ok()) return result;
  EvidenceStore files(evidence_dir, env);
  for (const auto& ref : result->evidence_hashes) {
    Status s = files.Remove(ref);
    if (!s.ok()) spdlog::warn("event=purge_file_failed ref={} reason=\"{}\"", ref, s.message());
  }
  return result;
}

Result<std::unique_ptr<Hub>> Hub::Open(HubOptions options, Env* env) {
  std::unique_ptr<Hub> hub(new Hub());
  hub->parts_ = std::make_unique<Parts>();
  Parts& p = *hub->parts_;
  p.options = std::move(options);
  p.env = env;
  if (p.options.evidence_dir.empty()) p.options.evidence_dir = DefaultEvidenceDir(p.options.store_url);
  auto store = OpenStore(p.options.store_url);
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
  p.sessions = std::make_unique<auth::SessionAuthenticator>(*p.store, env, session_options);
  p.ctx = std::make_unique<HubContext>(HubContext{*p.store, *p.catalog, *p.incidents, *p.evidence, *p.anonymizer,
                                                  p.metrics, env, p.options.api});

  p.router.SetAuthenticator(p.sessions.get());
  auth::RegisterSessionRoutes(p.router, *p.sessions);
  rest::RegisterOpsRoutes(p.router, *p.ctx);
  rest::RegisterIncidentRoutes(p.router, *p.ctx);
  rest::RegisterConfigRoutes(p.router, *p.ctx);
  rest::RegisterPrivacyRoutes(p.router, *p.ctx);
  rest::RegisterPublicRoutes(p.router, *p.ctx);
  rest::RegisterStreamRoutes(p.router, *p.ctx);
  RegisterIngestRoutes(p.router, *p.ctx);
  RegisterOpen311Routes(p.router, *p.ctx);
  p.router.Add("GET", "/api/v1/openapi.json", {}, [&p](http::Request&) { return http::Json(200, p.openapi); },
               "This document");
  p.openapi = rest::OpenApiDocument(p.router);
  if (!p.options.web_dir.empty()) p.router.SetFallback(StaticFiles(p.options.web_dir));

  Store* st = p.store.get();
  p.metrics.AddCollector([st](std::string& out) {
    out += "# HELP glassbrain_incidents Incidents by state.\n# TYPE glassbrain_incidents gauge\n";
    auto counts = st->CountIncidentsByState();
    for (auto s : kAllIncidentStates) {
      std::int64_t n = 0;
      for (const auto& [state, c] : counts)
        if (state == s) n = c;
      out += "glassbrain_incidents{state=\"" + std::string(StateName(s)) + "\"} " + std::to_string(n) + "\n";
    }
  });
  Metrics* metrics = &p.metrics;
  p.server = std::make_unique<http::Server>(
      p.options.server, p.router,
      [metrics](const std::string& route, const std::string& method, int status, double seconds) {
        metrics->ObserveRequest(route, method, status, seconds);
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
  if (parts_->purger.joinable()) parts_->purger.join();
}

Status Hub::Listen() { return parts_->server->Listen(); }
std::uint16_t Hub::port() const { return parts_->server->port(); }

void Hub::Run() {
  Parts& p = *parts_;
  if (p.options.purge_interval_minutes > 0) {
    p.purger = std::thread([&p] {
      std::unique_lock lock(p.mu);
      while (!p.cv.wait_for(lock, std::chrono::minutes(p.options.purge_interval_minutes), [&p] { return p.stopping; })) {
        lock.unlock();
        auto r = PurgeExpired(*p.store, p.catalog->Get()->district, p.options.evidence_dir, p.env);
        if (r.ok())
          spdlog::info("event=purge events={} incidents={} evidence={}", r->events, r->incidents,
                       r->evidence_hashes.size());
        else
          spdlog::error("event=purge_failed reason=\"{}\"", r.status().message());
        lock.lock();
      }
    });
  }
  spdlog::info("event=listening address={}:{}", p.options.server.host, p.server->port());
  p.server->Run();
  spdlog::info("event=stopped");
}

void Hub::Stop() { parts_->server->Stop(); }
Store& Hub::store() { return *parts_->store; }
IncidentService& Hub::incidents() { return *parts_->incidents; }
CatalogHolder& Hub::catalog() { return *parts_->catalog; }

}  // namespace gb
