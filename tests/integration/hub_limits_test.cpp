// A real `glassbrain serve` under load (api/server.h, docs/api.md "Limits"): the health probe
// answers while sign-ins and photo posts keep the blocking pool busy; out of descriptors, the
// accept loop waits instead of spinning and serves on once they free; live streams free a
// client that leaves at once and one that reads nothing after write_timeout, while a slow
// reader gets every change of a burst larger than the shared window, once and in order.
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <cstring>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edge/hub_process.h"
#include "integration/http_client.h"
#include "support/process_stats.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using edge::testing::HubProcess;
using edge::testing::MetricValue;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Reads what arrives on `fd` for up to `timeout`, stopping early at `marker`.
std::string ReadSome(int fd, std::chrono::milliseconds timeout, const std::string& marker = "") {
  std::string out;
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[8192];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (!marker.empty() && out.find(marker) != std::string::npos) break;
  }
  return out;
}

class HubLimitsTest : public ::testing::Test {
 protected:
  void Start(const std::string& config = "") {
    char pattern[] = "/tmp/gb-limits-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    hub_ = std::make_unique<HubProcess>(dir_, config);
    ASSERT_TRUE(hub_->Start());
  }
  void TearDown() override {
    hub_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  HttpReply Send(const std::string& method, const std::string& target, const std::string& body = "",
                 std::vector<std::string> headers = {}) {
    HttpClient client(hub_->port());
    return client.Request(method, target, body, std::move(headers));
  }

  // The dispatcher's session cookie.
  std::string SignIn() {
    HttpClient client(hub_->port());
    auto r = client.Request("POST", "/api/v1/session",
                            json{{"name", "desk"}, {"password", hub_->password()}}.dump(),
                            {"Content-Type: application/json"});
    EXPECT_EQ(r.status, 200) << r.body;
    return client.cookie;
  }

  double Metric(const std::string& series) {
    return MetricValue(Send("GET", "/metrics").body, series);
  }

  // `n` events with fresh keys, each far enough in place or time from the others to open an
  // incident of its own: 1,000 places 60 m or more apart in the district, a new hour for each
  // thousand (past the join window).
  void PostEvents(int n) {
    for (int done = 0; done < n;) {
      json batch = json::array();
      for (int i = 0; i < std::min(500, n - done); ++i, ++key_) {
        const int place = key_ % 1000, hour = key_ / 1000;
        char at[32];
        std::snprintf(at, sizeof at, "2026-11-24T%02d:15:02.120Z", hour % 24);
        batch.push_back({{"idempotency_key", "limits/" + std::to_string(key_)},
                         {"source", {{"kind", "camera"}, {"id", "cam-01"}}},
                         {"category", "illegal_parking"},
                         {"rule", "stationary_vehicle"},
                         {"observed_at", at},
                         {"location", {{"lat", 31.2220 + (place % 25) * 0.0007}, {"lon", 121.4610 + (place / 25) * 0.00062}}},
                         {"confidence", 0.87}});
      }
      auto r = Send("POST", "/api/v1/events:batch", batch.dump(),
                    {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"});
      ASSERT_EQ(r.status, 200) << r.body;
      done += static_cast<int>(batch.size());
    }
  }

  std::string dir_;
  std::unique_ptr<HubProcess> hub_;
  int key_ = 0;
};

TEST_F(HubLimitsTest, HealthAnswersWithin100msWhileSignInsAndPhotoPostsAreInFlight) {
  // Each signing-in worker comes from an address of its own (through a trusted proxy): sign-ins
  // of one name from one address are counted as failures until they succeed, so at most three
  // could be in flight at once from one.
  Start("[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[open311]\nposts_per_minute = 0\n");
  const BenchPhoto photo = LoadBenchPhoto();
  ASSERT_FALSE(photo.jpeg.empty()) << "the photo could not be encoded";
  const std::string boundary = "gbLimits";
  auto field = [&](const std::string& name, const std::string& value) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  };
  const std::string post = field("service_code", "graffiti") + field("lat", "31.2350") + field("long", "121.4650") +
                           field("description", "Tag on the wall") + "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"wall.jpg\"\r\n"
                           "Content-Type: image/jpeg\r\n\r\n" +
                           photo.jpeg + "\r\n--" + boundary + "--\r\n";
  std::atomic<bool> done{false};
  std::atomic<int> sign_ins{0}, photos{0}, failures{0};
  std::mutex failure_mu;
  std::string failure;  // the first
  auto failed = [&](const HttpReply& r) {
    ++failures;
    std::lock_guard lock(failure_mu);
    if (failure.empty()) failure = std::to_string(r.status) + " " + r.body;
  };
  std::vector<std::thread> load;
  for (int i = 0; i < 8; ++i) {
    load.emplace_back([&, i] {
      while (!done) {
        HttpClient c(hub_->port());
        auto r = c.Request("POST", "/api/v1/session", json{{"name", "desk"}, {"password", hub_->password()}}.dump(),
                           {"Content-Type: application/json", "X-Forwarded-For: 198.51.100." + std::to_string(i + 1)});
        if (r.status == 200) ++sign_ins;
        else failed(r);
      }
    });
    load.emplace_back([&] {
      while (!done) {
        auto r = Send("POST", "/open311/v2/requests.json", post, {"Content-Type: multipart/form-data; boundary=" + boundary});
        if (r.status == 201) ++photos;
        else failed(r);
      }
    });
  }
  std::this_thread::sleep_for(500ms);  // every worker has a request in flight
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    auto began = Clock::now();
    auto r = Send("GET", "/healthz");
    ms.push_back(SecondsSince(began) * 1000);
    EXPECT_EQ(r.status, 200);
    std::this_thread::sleep_for(100ms);
  }
  done = true;
  for (auto& t : load) t.join();
  std::sort(ms.begin(), ms.end());
  std::cout << "healthz under load: median " << ms[ms.size() / 2] << " ms, max " << ms.back() << " ms; "
            << sign_ins << " sign-ins and " << photos << " photos meanwhile" << std::endl;
  EXPECT_LT(ms[ms.size() / 2], 100.0);
  EXPECT_LT(ms.back(), 500.0) << "even on a busy machine no probe may wait for a blocking handler";
  EXPECT_GE(sign_ins, 8);
  EXPECT_GE(photos, 8);
  EXPECT_EQ(failures, 0) << failure;
}

TEST_F(HubLimitsTest, OutOfDescriptorsTheHubWaitsInsteadOfSpinningAndServesOnOnceTheyFree) {
  Start();
  EXPECT_NE(hub_->serve_log().find("event=open_file_limit soft="), std::string::npos) << "the limit is logged at start";
  const pid_t pid = hub_->pid();
  const rlim_t cap = static_cast<rlim_t>(Descriptors(pid)) + 8;
  rlimit limit{cap, cap};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr), 0) << std::strerror(errno);
  std::vector<int> held;
  for (int i = 0; i < 30; ++i) held.push_back(ConnectLoopback(hub_->port()));  // the kernel queues what the hub cannot accept
  std::this_thread::sleep_for(500ms);
  const double cpu_before = CpuSeconds(pid);
  std::this_thread::sleep_for(2s);
  const double cpu = CpuSeconds(pid) - cpu_before;
  std::cout << "out of descriptors: " << cpu << " s of CPU in 2 s" << std::endl;
  EXPECT_LT(cpu, 0.5) << "the accept loop spins on EMFILE";
  // Free all but the last, still queued: it is then accepted and served.
  const int waiting = held.back();
  held.pop_back();
  for (int fd : held) ::close(fd);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(waiting, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  EXPECT_NE(ReadSome(waiting, 5s, "ok").find("HTTP/1.1 200"), std::string::npos);
  ::close(waiting);
  EXPECT_NE(hub_->serve_log().find("event=accept_paused"), std::string::npos);
}

TEST_F(HubLimitsTest, StreamsOfClientsThatLeaveAreFreedWithinFiveSeconds) {
  Start();
  const std::string cookie = SignIn();
  std::vector<int> clients;
  for (int i = 0; i < 50; ++i) {
    int fd = ConnectLoopback(hub_->port());
    const std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    clients.push_back(fd);
  }
  for (int fd : clients) ASSERT_NE(ReadSome(fd, 5s, "retry:").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(Metric("glassbrain_http_streams"), 50);
  for (int fd : clients) ::close(fd);
  auto began = Clock::now();
  while (Metric("glassbrain_http_streams") != 0 && SecondsSince(began) < 10) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(Metric("glassbrain_http_streams"), 0);
  EXPECT_LT(SecondsSince(began), 5.0);
}

TEST_F(HubLimitsTest, ABurstReachesASlowReaderWholeAndInOrderWhileANonReaderIsDropped) {
  Start("[server]\nwrite_timeout_s = 2\n");
  const std::string cookie = SignIn();
  const std::string req = "GET /api/v1/stream?last_event_id=0 HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n";
  int reader = ConnectLoopback(hub_->port());
  int sleeper = ConnectLoopback(hub_->port(), 4096);
  for (int fd : {reader, sleeper}) ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got = ReadSome(reader, 5s, "retry:");
  ASSERT_NE(got.find("text/event-stream"), std::string::npos);
  // Far more than the shared window (8 MiB): the slow reader falls behind it and is served
  // from the log.
  constexpr int kEvents = 12'000;
  std::thread writer([&] { PostEvents(kEvents); });
  std::atomic<bool> stop{false};
  std::mutex got_mu;
  std::thread slow([&] {
    char buf[16384];
    while (!stop) {
      pollfd p{reader, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(reader, buf, sizeof buf, 0);
      if (n <= 0) break;
      {
        std::lock_guard lock(got_mu);
        got.append(buf, static_cast<std::size_t>(n));
      }
      std::this_thread::sleep_for(5ms);  // about 3 MB/s at most: it falls behind the window
    }
  });
  writer.join();
  auto ids_in = [](const std::string& raw) {
    std::vector<long> ids;
    for (std::size_t at = raw.find("\nid: "); at != std::string::npos; at = raw.find("\nid: ", at + 1))
      ids.push_back(std::stol(raw.substr(at + 5)));
    return ids;
  };
  // A reader that keeps up, started after the burst, says how many changes there are.
  int fresh = ConnectLoopback(hub_->port());
  ASSERT_EQ(::send(fresh, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string all;
  for (std::size_t before = 1; before != all.size();) {
    before = all.size();
    all += ReadSome(fresh, 1500ms);
  }
  ::close(fresh);
  const std::vector<long> expected = ids_in(all);
  ASSERT_GE(expected.size(), static_cast<std::size_t>(kEvents) / 2) << "the burst did not happen";
  auto began = Clock::now();
  std::size_t received = 0;
  for (;;) {
    std::this_thread::sleep_for(200ms);
    std::lock_guard lock(got_mu);
    auto seen = ids_in(got);
    received = got.size();
    if ((!seen.empty() && seen.back() >= expected.back()) || SecondsSince(began) > 120) break;
  }
  stop = true;
  slow.join();
  const std::vector<long> ids = ids_in(got);
  std::cout << "burst: " << expected.size() << " changes, " << received / 1024 << " KiB to the slow reader" << std::endl;
  ASSERT_FALSE(ids.empty());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<long>(ids.begin(), ids.end()).size(), ids.size()) << "a change came twice";
  EXPECT_EQ(ids.front(), expected.front());
  EXPECT_EQ(static_cast<long>(ids.size()), ids.back() - ids.front() + 1) << "a change is missing";
  EXPECT_GE(ids.back(), expected.back());
  // The one that read nothing was let go, and only it.
  EXPECT_EQ(Metric("glassbrain_http_streams"), 1);
  ::close(reader);
  ::close(sleeper);
}

}  // namespace
}  // namespace gb::testing
