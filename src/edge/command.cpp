#include "edge/command.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <thread>

namespace gb::edge {
namespace {

int Usage(const std::string& message) {
  std::cerr << "glassbrain edge: " << message << "\n";
  return 2;
}

int Failed(const Status& s) {
  std::cerr << "glassbrain edge: " << s.message() << "\n";
  return s.code() == Code::kInvalid ? 2 : 1;
}

// The signals that stop live mode (and SIGUSR1, which wakes their waiter when the agent stops
// by itself). Blocked before any thread starts, so that every thread inherits the mask and
// only RunLive's waiter takes them.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  return set;
}

int RunLive(Agent& agent) {
  const sigset_t set = StopSignals();
  std::thread waiter([&agent, set] {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != SIGUSR1) spdlog::info("event=stopping signal={}", sig);
    agent.Stop();
  });
  Status s = agent.Run();
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (!s.ok()) return Failed(s);
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

CLI::App* AddEdgeCommand(CLI::App& app, EdgeCommandArgs& a) {
  auto* edge = app.add_subcommand("edge", "Run the edge agent: camera video in, anonymized events out (docs/edge.md)");
  edge->add_option("--config", a.config, "The agent's TOML file")->required();
  edge->add_flag("--check", a.check, "Check the configuration and list every problem");
  edge->add_flag("--dry-run", a.dry_run, "Read each camera's file to its end; write events to --out, send nothing");
  edge->add_option("--out", a.out, "Dry run: the directory for events.jsonl and evidence/");
  edge->add_option("--source", a.source, "Dry run: a video file replacing the only camera's source");
  edge->add_option("--epoch", a.epoch, "Dry run: RFC 3339 time of the first frame, for every camera");
  edge->add_option("--preview", a.preview, "Write anonymized previews with zones and tracks to this directory");
  edge->add_option("--preview-every", a.preview_every_s, "Seconds of video between previews")->capture_default_str();
  return edge;
}

int RunEdgeCommand(const EdgeCommandArgs& a, const AnalyzerFactory& analyzers) {
  EdgeConfig config;
  std::vector<std::string> problems = LoadEdgeConfig(a.config, config);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cout << p << "\n";
    return 2;
  }
  if (a.check) {
    std::cout << "ok: " << config.cameras.size() << " camera" << (config.cameras.size() == 1 ? "" : "s") << ", "
              << CountZones(config) << " zone" << (CountZones(config) == 1 ? "" : "s") << "\n";
    return 0;
  }
  if (!(a.preview_every_s > 0)) return Usage("--preview-every must be > 0");
  if (!a.dry_run && (!a.out.empty() || !a.source.empty() || !a.epoch.empty()))
    return Usage("--out, --source and --epoch belong to --dry-run");
  if (a.dry_run) {
    if (a.out.empty()) return Usage("--dry-run needs --out DIR");
    if (!a.source.empty()) {
      if (config.cameras.size() != 1) return Usage("--source replaces the source of the only camera, but there are " +
                                                   std::to_string(config.cameras.size()));
      config.cameras[0].source = std::filesystem::absolute(a.source).string();
    }
    if (!a.epoch.empty()) {
      auto epoch = ParseRfc3339(a.epoch);
      if (!epoch) return Usage("--epoch must be an RFC 3339 time, e.g. 2026-11-24T10:15:00Z");
      for (auto& c : config.cameras) c.epoch = epoch;
    }
    for (const auto& c : config.cameras) {
      if (IsStreamSource(c.source)) return Usage("a dry run reads files; camera " + c.id + " has a stream source");
      if (!std::filesystem::is_regular_file(c.source)) return Usage("camera " + c.id + ": no file " + c.source);
    }
  } else if (!config.hub) {
    return Usage("live mode needs a [hub] table (url and token) in " + a.config);
  }
  if (!analyzers) return Failed(Status::Unavailable("this binary was built without the camera analysis"));
  // The log goes to standard error, so that standard output carries only what a command prints.
  auto log = spdlog::stderr_logger_mt("edge");
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_default_logger(log);
  AgentOptions options;
  options.dry_run = a.dry_run;
  options.out_dir = a.out;
  options.preview_dir = a.preview;
  options.preview_every_s = a.preview_every_s;
  if (!a.dry_run) {
    const sigset_t set = StopSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  auto agent = Agent::Create(std::move(config), options, analyzers);
  if (!agent.ok()) return Failed(agent.status());
  if (a.dry_run) {
    Status s = (*agent)->Run();
    return s.ok() ? 0 : Failed(s);
  }
  return RunLive(**agent);
}

}  // namespace gb::edge
