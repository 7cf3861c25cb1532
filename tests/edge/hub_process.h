// A real hub for the agent's delivery tests: `glassbrain import` of the demo district into a
// SQLite store in `dir`, an edge token and a dispatcher account made with the CLI, and
// `glassbrain serve` on a loopback port chosen before it starts (so that an agent can be
// pointed at a hub that is not up yet). Stop()/Start() take it down and up again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "edge_testing.h"

namespace gb::edge::testing {

// A loopback port that was free a moment ago.
std::uint16_t FreePort();

class HubProcess {
 public:
  // Creates the store; `config_toml`, when given, is the hub's --config file.
  explicit HubProcess(const std::string& dir, const std::string& config_toml = "");
  ~HubProcess();

  const std::string& token() const { return token_; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Starts serving and waits until /healthz answers; false when it does not within 60 s.
  bool Start();
  void Stop();
  // The serving process; -1 when it is not started.
  pid_t pid() const;
  const std::string& password() const { return password_; }
  // What the serving process has logged so far (standard output and error).
  std::string serve_log() const { return serve_ ? serve_->out() + serve_->err() : ""; }

  // Every event the hub holds, as idempotency key → how many times it is stored, read
  // through the API as the dispatcher. `evidence` receives each key's evidence count.
  std::map<std::string, int> StoredKeys(std::map<std::string, int>* evidence = nullptr);

 private:
  std::map<std::string, int> ReadStoredKeys(std::map<std::string, int>* evidence);

  std::string dir_, config_, token_, password_ = "correct horse battery staple";
  std::uint16_t port_;
  std::unique_ptr<Process> serve_;
};

// GET http://127.0.0.1:port/path → body ("" when it fails).
std::string HttpGet(std::uint16_t port, const std::string& path);

// The value of an unlabelled or labelled sample in a Prometheus text exposition, e.g.
// MetricValue(text, "glassbrain_edge_source_up{camera=\"cam-b\"}"); -1 when absent.
double MetricValue(const std::string& exposition, const std::string& series);

// The port an agent logged with event=metrics_listening; 0 when not (yet) logged.
std::uint16_t MetricsPortFromLog(const std::string& log);

}  // namespace gb::edge::testing
