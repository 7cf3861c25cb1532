// Serve-under-load benchmark: what live streams and a large store cost a real `glassbrain
// serve` (a separate process, started by tests/edge/hub_process.h on the demo district), read
// from its /proc entries, each against a baseline measured in the same run.
//
//  1. Idle streams: 1,000 clients on GET /api/v1/stream. Memory per stream client (growth of
//     the hub's RSS divided by the clients), against the same number of idle keep-alive
//     connections; CPU of the idle hub with them, in % of one core, against the same hub
//     with no clients. Goals: ≤ 64 KiB per client, ≤ 5% of a core.
//  2. Fan-out: one change (one event posted), time until 99% of the reading clients have it,
//     against the time the POST itself took. Goal: ≤ 2 s.
//  3. Burst: 10,000 changes while the clients read, a fifth of them never reading. The hub's
//     RSS growth (peak during the burst over the level before it), against the growth through
//     the same burst before any client connected (the store's page caches filling as the file
//     grows, after a first burst that is not measured; what is left is the streams' share), and
//     against the bytes of one encoded copy
//     of the burst: each change is encoded once and shared, so the streams' share stays near
//     one copy plus the clients' budgets, not clients × burst. Goal: ≤ 64 MB.
//  4. A large store: idle RSS of `serve` holding 1,000,000 incidents, against its idle RSS on
//     the demo district alone in the same run. Goal: ≤ 200 MB.
//
// Incidents are made by posting events that cannot join each other (1,260 places 60 m apart,
// 11 categories, a new 35-minute slot past the join window for each round).
// GLASSBRAIN_BENCH_SHORT=1: 100 clients, 1,000 changes, 20,000 incidents (CI only checks
// that it works). Exit status 0 when the run worked (a missed goal prints FAIL), 1 otherwise.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../tests/edge/hub_process.h"
#include "../tests/integration/http_client.h"
#include "machine.h"
#include "support/process_stats.h"

namespace gb {
namespace {

using edge::testing::HubProcess;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double RssKiB(pid_t pid) { return static_cast<double>(testing::RssKib(pid)); }

bool SendAll(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

// Stream clients read on one epoll thread; each remembers the newest id it has seen. Those
// that do not read are never polled: their sockets fill and the hub must let them go.
class StreamClients {
 public:
  StreamClients(std::uint16_t port, const std::string& cookie, int readers, int sleepers) {
    epoll_ = ::epoll_create1(0);
    const std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n";
    for (int i = 0; i < readers + sleepers; ++i) {
      int fd = testing::ConnectLoopback(port);
      if (fd < 0 || !SendAll(fd, req)) {
        ok_ = false;
        return;
      }
      clients_.push_back({fd, i < readers});
    }
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      if (!clients_[i].reads) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, clients_[i].fd, &ev);
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~StreamClients() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& c : clients_) ::close(c.fd);
    ::close(epoll_);
  }
  bool ok() const { return ok_; }
  int readers() const {
    return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [](const Client& c) { return c.reads; }));
  }
  // How many readers have seen a change with an id of at least `seq`.
  int HaveSeen(long seq) const {
    int n = 0;
    for (const auto& c : clients_) n += c.reads && c.newest.load() >= seq;
    return n;
  }
  // The newest id any reader has seen.
  long Newest() const {
    long n = 0;
    for (const auto& c : clients_) n = std::max(n, c.newest.load());
    return n;
  }
  // How many readers have their stream's head (they are connected and served).
  int Started() const {
    int n = 0;
    for (const auto& c : clients_) n += c.reads && c.started.load();
    return n;
  }

 private:
  struct Client {
    int fd;
    bool reads;
    std::atomic<long> newest{0};
    std::atomic<bool> started{false};
    std::string tail;  // the end of what was read, for an id split across reads
    Client(int f, bool r) : fd(f), reads(r) {}
    Client(Client&& o) noexcept : fd(o.fd), reads(o.reads), newest(o.newest.load()), started(o.started.load()) {}
  };

  void Loop() {
    std::vector<epoll_event> events(256);
    std::vector<char> buf(1 << 16);
    while (!stop_) {
      int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        Client& c = clients_[events[static_cast<std::size_t>(i)].data.u64];
        ssize_t got = ::recv(c.fd, buf.data(), buf.size(), 0);
        if (got <= 0) {
          ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
          continue;
        }
        std::string text = c.tail + std::string(buf.data(), static_cast<std::size_t>(got));
        if (text.find("retry:") != std::string::npos) c.started = true;
        for (std::size_t at = text.rfind("\nid: "); at != std::string::npos;) {
          std::size_t end = text.find('\n', at + 5);
          if (end == std::string::npos) {  // incomplete: look at the one before
            at = at == 0 ? std::string::npos : text.rfind("\nid: ", at - 1);
            continue;
          }
          c.newest = std::max(c.newest.load(), std::stol(text.substr(at + 5, end - at - 5)));
          break;
        }
        c.tail = text.size() > 40 ? text.substr(text.size() - 40) : text;
      }
    }
  }

  int epoll_ = -1;
  std::vector<Client> clients_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool ok_ = true;
};

const char* const kCategories[] = {"illegal_parking", "dumped_rubbish", "unauthorized_poster", "no_helmet",
                                   "overflowing_bin", "flooding",       "broken_streetlight",  "graffiti",
                                   "pothole",         "noise",          "air_quality"};

class Bench {
 public:
  explicit Bench(const std::string& dir) : hub_(dir, "[open311]\nposts_per_minute = 0\n") {}
  bool Start() { return hub_.Start(); }
  pid_t pid() const { return hub_.pid(); }
  std::uint16_t port() const { return hub_.port(); }

  std::string SignIn() {
    testing::HttpClient c(hub_.port());
    auto r = c.Request("POST", "/api/v1/session", json{{"name", "desk"}, {"password", hub_.password()}}.dump(),
                       {"Content-Type: application/json"});
    return r.status == 200 ? c.cookie : "";
  }

  // Posts `n` events that each open an incident; false when the hub refused a batch.
  bool PostIncidents(long n) {
    testing::KeepAliveClient c(hub_.port());
    for (long done = 0; done < n;) {
      std::string batch = "[";
      for (long i = 0; i < std::min(1000L, n - done); ++i, ++key_) {
        const long place = key_ % 1260, category = (key_ / 1260) % 11, slot = key_ / (1260 * 11);
        char at[40];
        std::snprintf(at, sizeof at, "2026-11-%02ldT%02ld:%02ld:00.000Z", 1 + slot * 35 / 1440, slot * 35 / 60 % 24,
                      slot * 35 % 60);
        if (i > 0) batch += ',';
        batch += json{{"idempotency_key", "load/" + std::to_string(key_)},
                      {"source", {{"kind", "camera"}, {"id", "cam-01"}}},
                      {"category", kCategories[category]},
                      {"rule", "bench"},
                      {"observed_at", at},
                      {"location", {{"lat", 31.2216 + static_cast<double>(place % 30) * 0.00058},
                                    {"lon", 121.4608 + static_cast<double>(place / 30) * 0.00062}}},
                      {"confidence", 0.9}}
                     .dump();
      }
      batch += ']';
      auto r = c.Request("POST", "/api/v1/events:batch", batch,
                         {"Authorization: Bearer " + hub_.token(), "Content-Type: application/json"},
                         std::chrono::seconds(120));
      if (r.status != 200) {
        std::printf("error: a batch was answered %d: %.200s\n", r.status, r.body.c_str());
        return false;
      }
      done += std::min(1000L, n - done);
    }
    return true;
  }

  // Restarts the serving process on the same store.
  bool Restart() {
    hub_.Stop();
    return hub_.Start();
  }

 private:
  HubProcess hub_;
  long key_ = 0;
};

void Report(const char* what, double value, const char* unit, double goal, bool lower_is_better = true) {
  const bool pass = lower_is_better ? value <= goal : value >= goal;
  std::printf("%-44s %10.1f %-10s goal %s %.0f  %s\n", what, value, unit, lower_is_better ? "<=" : ">=", goal,
              pass ? "PASS" : "FAIL");
}

// Waits until `pred` or `timeout`; returns the seconds waited (or -1 on timeout).
template <class Pred>
double WaitFor(Pred pred, std::chrono::seconds timeout, std::chrono::milliseconds step = 5ms) {
  auto began = Clock::now();
  while (!pred()) {
    if (Clock::now() - began > timeout) return -1;
    std::this_thread::sleep_for(step);
  }
  return SecondsSince(began);
}

// Waits until the hub's RSS has settled (two readings a second apart within 1%).
double SettledRss(pid_t pid) {
  double before = RssKiB(pid);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(1s);
    double now = RssKiB(pid);
    if (std::abs(now - before) <= before * 0.01) return now;
    before = now;
  }
  return before;
}

// The peak growth of the hub's RSS while `work` runs, in KiB.
template <class Work>
double PeakGrowthKiB(pid_t pid, Work work) {
  const double start = RssKiB(pid);
  std::atomic<double> peak{start};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      peak = std::max(peak.load(), RssKiB(pid));
      std::this_thread::sleep_for(20ms);
    }
  });
  work();
  sampling = false;
  sampler.join();
  return peak - start;
}

int Streams(const std::string& dir, bool short_mode) {
  std::filesystem::create_directories(dir);
  const int clients = short_mode ? 100 : 1000, sleepers = clients / 5;
  const long burst = short_mode ? 1'000 : 10'000;
  Bench b(dir);
  if (!b.Start()) {
    std::printf("error: the hub did not start\n");
    return 1;
  }
  const std::string cookie = b.SignIn();
  if (cookie.empty()) return 1;
  const pid_t pid = b.pid();
  const double rss_empty = SettledRss(pid);

  // Baseline of 1: as many idle keep-alive connections, each after one request.
  double per_connection;
  {
    std::vector<int> idle;
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < clients; ++i) {
      int fd = testing::ConnectLoopback(b.port());
      if (fd >= 0 && SendAll(fd, req)) idle.push_back(fd);
    }
    per_connection = (SettledRss(pid) - rss_empty) / clients;
    for (int fd : idle) ::close(fd);
    std::this_thread::sleep_for(1s);
  }
  const double cpu0 = testing::CpuSeconds(pid);
  std::this_thread::sleep_for(5s);
  const double idle_cpu_alone = (testing::CpuSeconds(pid) - cpu0) / 5 * 100;
  // Baseline of 3: the same burst with nobody listening, after one more that is not measured:
  // the store's page caches grow most through the first writes of a fresh hub.
  bool posted = b.PostIncidents(burst);
  const double quiet_growth_mb = PeakGrowthKiB(pid, [&] {
    posted = posted && b.PostIncidents(burst);
    std::this_thread::sleep_for(2s);
  }) / 1024;
  if (!posted) return 1;
  const double rss_before = SettledRss(pid);

  StreamClients streams(b.port(), cookie, clients - sleepers, sleepers);
  if (!streams.ok() || WaitFor([&] { return streams.Started() == streams.readers(); }, 30s) < 0) {
    std::printf("error: not every stream client was served\n");
    return 1;
  }
  const double per_client = (SettledRss(pid) - rss_before) / clients;
  const double cpu1 = testing::CpuSeconds(pid);
  std::this_thread::sleep_for(10s);
  const double idle_cpu = (testing::CpuSeconds(pid) - cpu1) / 10 * 100;
  std::printf("== %d stream clients (%d never reading), idle\n", clients, sleepers);
  std::printf("memory per stream client %.1f KiB; per idle keep-alive connection %.1f KiB: ratio %.2f\n", per_client,
              per_connection, per_connection > 0 ? per_client / per_connection : 0.0);
  Report("memory per stream client", per_client, "KiB", 64);
  std::printf("idle CPU %.2f%% of one core with the clients, %.2f%% without\n", idle_cpu, idle_cpu_alone);
  Report("idle CPU with every client connected", idle_cpu, "% core", 5);

  // 2. One change to every reader.
  auto began = Clock::now();
  if (!b.PostIncidents(1)) return 1;
  const double post_seconds = SecondsSince(began);
  const double fan_out = WaitFor([&] { return streams.HaveSeen(1) * 100 >= streams.readers() * 99; }, 30s);
  std::printf("== fan-out: the POST took %.1f ms; 99%% of %d readers had the change %.1f ms after its answer "
              "(ratio %.1f)\n",
              post_seconds * 1000, streams.readers(), fan_out * 1000, post_seconds > 0 ? fan_out / post_seconds : 0);
  Report("one change to 99% of readers", fan_out * 1000, "ms", 2000);
  if (fan_out < 0) return 1;

  // 3. The burst, with the RSS sampled until every reader has all of it.
  const double rss_start = RssKiB(pid);
  long newest = -1;
  auto changed_at = Clock::now(), all_at = changed_at;
  bool all = false;
  began = Clock::now();
  const double growth_mb = PeakGrowthKiB(pid, [&] {
    posted = b.PostIncidents(burst);
    // Delivered: every reader has the newest change any has, and none newer came for 2 s.
    while (posted && SecondsSince(began) < 600) {
      std::this_thread::sleep_for(20ms);
      if (long n = streams.Newest(); n != newest) {
        newest = n;
        changed_at = Clock::now();
        all = false;
      }
      if (!all && streams.HaveSeen(newest) == streams.readers()) {
        all = true;
        all_at = Clock::now();
      }
      if (all && SecondsSince(changed_at) > 2) break;
    }
  }) / 1024;
  const double delivered = std::chrono::duration<double>(all_at - began).count();
  // One encoded copy of the burst: what a fresh stream sends for it.
  testing::HttpClient probe(b.port());
  const std::string copy = probe.ReadFor(
      "GET /api/v1/stream?last_event_id=" + std::to_string(newest - burst) + " HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n", short_mode ? 2s : 8s);
  const double copy_mb = static_cast<double>(copy.size()) / (1 << 20);
  std::printf("== burst of %ld changes: every reader had all of them %.1f s after the first was posted; RSS %.1f MB "
              "before, peak +%.1f MB; the same burst with no client +%.1f MB (ratio %.2f), so the streams' share is "
              "%.1f MB; one encoded copy of the burst %.1f MB: share / copy %.2f\n",
              burst, delivered, rss_start / 1024, growth_mb, quiet_growth_mb,
              quiet_growth_mb > 0 ? growth_mb / quiet_growth_mb : 0.0, growth_mb - quiet_growth_mb, copy_mb,
              copy_mb > 0 ? (growth_mb - quiet_growth_mb) / copy_mb : 0.0);
  Report("RSS growth through the burst", growth_mb, "MB", 64);
  Report("  of it the streams' share", growth_mb - quiet_growth_mb, "MB", 64);
  return posted && all ? 0 : 1;
}

int LargeStore(const std::string& dir, bool short_mode) {
  const long incidents = short_mode ? 20'000 : 1'000'000;
  std::filesystem::create_directories(dir);
  Bench b(dir);
  if (!b.Start()) return 1;
  const double rss_demo = SettledRss(b.pid());
  auto began = Clock::now();
  if (!b.PostIncidents(incidents)) return 1;
  const double ingest_s = SecondsSince(began);
  if (!b.Restart()) return 1;
  // What an idle hub holds after a dispatcher's first look: the open list and the public map.
  const std::string cookie = b.SignIn();
  testing::HttpClient c(b.port());
  c.cookie = cookie;
  c.Request("GET", "/api/v1/incidents?limit=100");
  c.Request("GET", "/api/v1/public/map");
  const double rss_large = SettledRss(b.pid());
  std::printf("== %ld incidents (posted in %.0f s): idle RSS %.1f MB; on the demo district alone %.1f MB: ratio %.2f\n",
              incidents, ingest_s, rss_large / 1024, rss_demo / 1024, rss_large / rss_demo);
  Report(short_mode ? "idle RSS (short run: 20,000 incidents)" : "idle RSS on 1,000,000 incidents", rss_large / 1024,
         "MB", 200);
  return 0;
}

int Run() {
  // The hub binary sits one folder up from bench/ in the build tree, unless named.
  if (!std::getenv("GLASSBRAIN_BIN"))
    ::setenv("GLASSBRAIN_BIN",
             (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "glassbrain").c_str(), 1);
  const bool short_mode = std::getenv("GLASSBRAIN_BENCH_SHORT") != nullptr;
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);
  bench::WarnIfBusy("CPU and latency figures suffer; memory figures hold");
  char pattern[] = "/tmp/gb-serve-load-XXXXXX";
  if (!::mkdtemp(pattern)) return 1;
  const std::string dir = pattern;
  int status = Streams(dir + "/streams", short_mode);
  if (status == 0) status = LargeStore(dir + "/large", short_mode);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}

}  // namespace
}  // namespace gb

int main() { return gb::Run(); }
