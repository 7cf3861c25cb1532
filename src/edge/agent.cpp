#include "edge/agent.h"

#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "api/router.h"
#include "api/server.h"
#include "edge/camera.h"
#include "edge/dry_run_output.h"
#include "edge/evidence.h"
#include "edge/http_sink.h"
#include "edge/publisher.h"
#include "edge/spool.h"
#include "edge/stop_signal.h"
#include "privacy/image/anonymizer.h"

namespace gb::edge {

struct Agent::Impl {
  EdgeConfig config;
  AgentOptions options;
  Env* env = nullptr;
  EdgeMetrics metrics;
  StopSignal stop;
  std::unique_ptr<Anonymizer> anonymizer;
  std::unique_ptr<EvidenceEncoder> encoder;
  std::vector<std::unique_ptr<CameraAnalyzer>> analyzers;  // one per camera, in config order
  std::unique_ptr<EventOutput> output;                     // the dry run's files or the spool
  Spool* spool = nullptr;                                  // live mode: output, as a spool
  std::unique_ptr<HubClient> hub;
  std::unique_ptr<HttpSink> sink;
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::thread server_thread;

  Status StartMetricsServer() {
    const std::string& listen = config.agent.metrics_listen;
    if (listen.empty()) return Status::Ok();
    router.Add("GET", "/metrics", {}, [this](http::Request&) {
      http::Response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics.Render();
      return r;
    });
    router.Add("GET", "/healthz", {}, [](http::Request&) {
      http::Response r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "ok\n";
      return r;
    });
    http::ServerOptions o;
    size_t colon = listen.rfind(':');
    o.host = listen.substr(0, colon);
    if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
    o.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
    o.threads = 1;
    o.handle_signals = false;
    o.shutdown_grace = std::chrono::seconds(1);
    server = std::make_unique<http::Server>(o, router);
    GB_RETURN_IF_ERROR(server->Listen());
    server_thread = std::thread([this] { server->Run(); });
    spdlog::info("event=metrics_listening address={}:{}", o.host, server->port());
    return Status::Ok();
  }

  void StopMetricsServer() {
    if (!server) return;
    server->Stop();
    if (server_thread.joinable()) server_thread.join();
  }
};

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() {
  impl_->stop.Set();
  impl_->StopMetricsServer();
}

Result<std::unique_ptr<Agent>> Agent::Create(EdgeConfig config, AgentOptions options,
                                             const AnalyzerFactory& analyzers, Env* env) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->options = std::move(options);
  impl->env = env;
  auto anonymizer = Anonymizer::Create();
  if (!anonymizer.ok()) return anonymizer.status();
  impl->anonymizer = std::move(*anonymizer);
  impl->encoder = std::make_unique<EvidenceEncoder>(*impl->anonymizer, impl->config.agent.keep_plates_for);
  for (const auto& camera : impl->config.cameras) {
    auto analyzer = analyzers(camera);
    if (!analyzer.ok()) return WithContext(analyzer.status(), "camera " + camera.id);
    impl->analyzers.push_back(std::move(*analyzer));
  }
  if (impl->options.dry_run) {
    auto out = DryRunOutput::Create(impl->options.out_dir, env);
    if (!out.ok()) return out.status();
    impl->output = std::move(*out);
  } else {
    if (!impl->config.hub) return Status::Invalid("live mode needs a [hub] table with url and token");
    auto spool = Spool::Open(impl->config.agent.spool_dir, impl->config.agent.spool_max_bytes, env, &impl->metrics);
    if (!spool.ok()) return spool.status();
    impl->spool = spool->get();
    impl->output = std::move(*spool);
    impl->hub = std::make_unique<HubClient>(impl->config.hub->url, impl->config.hub->token);
    impl->sink = std::make_unique<HttpSink>(*impl->hub);
    GB_RETURN_IF_ERROR(impl->StartMetricsServer());
  }
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Status Agent::Run() {
  auto& im = *impl_;
  CameraContext ctx{*im.output, *im.encoder, im.metrics, im.stop, im.env, im.options.preview_dir,
                    im.options.preview_every_s};
  std::thread publisher;
  if (im.spool) {
    PublisherOptions po;
    po.max_backoff = std::chrono::milliseconds(static_cast<std::int64_t>(im.config.hub->max_backoff_s * 1000));
    publisher = std::thread([&im, po] { RunPublisher(*im.spool, *im.sink, im.metrics, im.stop, po); });
  }
  std::vector<std::thread> cameras;
  for (size_t i = 0; i < im.config.cameras.size(); ++i)
    cameras.emplace_back([&im, &ctx, i] { RunCamera(im.config.cameras[i], *im.analyzers[i], ctx); });
  for (auto& t : cameras) t.join();
  if (!im.options.dry_run) {
    // Files that ended stay ended; the agent keeps delivering until it is told to stop.
    while (!im.stop.WaitFor(std::chrono::seconds(3600))) {
    }
  }
  im.stop.Set();
  if (publisher.joinable()) publisher.join();
  im.StopMetricsServer();
  return Status::Ok();
}

void Agent::Stop() { impl_->stop.Set(); }

EdgeMetrics& Agent::metrics() { return impl_->metrics; }

std::uint16_t Agent::metrics_port() const { return impl_->server ? impl_->server->port() : 0; }

}  // namespace gb::edge
