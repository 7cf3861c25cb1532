#include "hub_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "integration/http_client.h"

namespace gb::edge::testing {

std::uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

HubProcess::HubProcess(const std::string& dir, const std::string& config_toml) : dir_(dir), port_(FreePort()) {
  const std::string store = "sqlite:" + dir_ + "/hub.db";
  auto r = Run({GlassbrainBinary(), "import", "--store", store, std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo"},
               dir_ + "/import");
  if (r.exit != 0) throw std::runtime_error("import failed: " + r.err);
  r = Run({GlassbrainBinary(), "token", "create", "--store", store, "--name", "edge-test", "--role", "edge"},
          dir_ + "/token");
  if (r.exit != 0) throw std::runtime_error("token create failed: " + r.err);
  token_ = r.out.substr(0, r.out.find('\n'));
  r = Run({GlassbrainBinary(), "user", "add", "--store", store, "--name", "desk", "--role", "dispatcher"},
          dir_ + "/user", std::chrono::seconds(120), {}, password_ + "\n");
  if (r.exit != 0) throw std::runtime_error("user add failed: " + r.err);
  if (!config_toml.empty()) {
    config_ = dir_ + "/hub.toml";
    WriteFile(config_, config_toml);
  }
}

HubProcess::~HubProcess() { Stop(); }

bool HubProcess::Start() {
  std::vector<std::string> argv = {GlassbrainBinary(), "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--store", "sqlite:" + dir_ + "/hub.db"};
  if (!config_.empty()) {
    argv.push_back("--config");
    argv.push_back(config_);
  }
  serve_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir_ + "/serve");
  return Eventually([this] { return HttpGet(port_, "/healthz") == "ok\n"; }, std::chrono::seconds(60));
}

void HubProcess::Stop() {
  if (!serve_) return;
  serve_->Signal(SIGTERM);
  if (serve_->Wait(std::chrono::seconds(15)) < 0) serve_->Signal(SIGKILL);
  serve_.reset();
}

pid_t HubProcess::pid() const { return serve_ ? serve_->pid() : -1; }

std::map<std::string, int> HubProcess::StoredKeys(std::map<std::string, int>* evidence) {
  try {
    return ReadStoredKeys(evidence);
  } catch (const std::exception&) {  // the client throws when the hub is not up
    return {};
  }
}

std::map<std::string, int> HubProcess::ReadStoredKeys(std::map<std::string, int>* evidence) {
  std::map<std::string, int> keys;
  gb::testing::HttpClient client(port_);
  auto session = client.Request("POST", "/api/v1/session",
                                nlohmann::json{{"name", "desk"}, {"password", password_}}.dump(),
                                {"Content-Type: application/json"});
  if (session.status != 200) return keys;
  auto list = nlohmann::json::parse(client.Request("GET", "/api/v1/incidents?limit=1000").body, nullptr, false);
  if (!list.is_object()) return keys;
  for (const auto& incident : list["items"]) {
    auto events = nlohmann::json::parse(
        client.Request("GET", "/api/v1/incidents/" + std::to_string(incident["id"].get<long long>()) + "/events").body,
        nullptr, false);
    if (!events.is_object()) continue;
    for (const auto& e : events["items"]) {
      const std::string key = e["idempotency_key"];
      ++keys[key];
      if (evidence) (*evidence)[key] = static_cast<int>(e["evidence"].size());
    }
  }
  return keys;
}

std::string HttpGet(std::uint16_t port, const std::string& path) {
  try {
    gb::testing::HttpClient client(port);
    auto r = client.Request("GET", path);
    return r.status == 200 ? r.body : "";
  } catch (const std::exception&) {  // nothing listens there (yet)
    return "";
  }
}

double MetricValue(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return -1;
}

std::uint16_t MetricsPortFromLog(const std::string& log) {
  const std::string mark = "event=metrics_listening address=127.0.0.1:";
  size_t at = log.find(mark);
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(log.substr(at + mark.size())));
}

}  // namespace gb::edge::testing
