// The soak test: a real `glassbrain serve` (edge/hub_process.h: the demo district, an edge
// token, a dispatcher) under every kind of load at once for a while, watched from /proc for
// leaks. On four threads of this process:
// - ingest: POST /api/v1/events:batch with the edge token, 25 events every 250 ms on one
//   keep-alive connection; every other event was observed 40 days ago, past the 30 days the
//   demo district keeps illegal parking, so that the purge has something to delete;
// - photos: Open311 multipart posts (POST /open311/v2/requests.json) with a JPEG, one every
//   400 ms, each on a connection of its own (as residents' phones do), so each one goes
//   through the anonymizer;
// - transitions: the dispatcher (session cookie + CSRF token) takes a routed incident through
//   dispatched (to a crew member) → in_progress → resolved, or rejects every fourth;
// - live: 100 Server-Sent Events clients (GET /api/v1/stream with the dispatcher's cookie, as
//   100 open desks would) that each read for a random 0.5–6 s, leave, and come back within
//   a second with Last-Event-ID;
// and the hub's own purge job runs each minute ([retention] purge_interval_minutes = 1, the
// serving process's job, as in production; `glassbrain purge` is a separate process whose
// memory and descriptors are not the hub's).
//
// Before the load, the store's caches are filled: SQLite keeps up to 64 MiB of pages for the
// writer and 16 MiB per reader connection (store/sqlite/sqlite_store.h), and a fresh hub's
// RSS grows by that much as its file does, which is a bounded cache and no leak. So the test
// first stores kFillBatches × 1,000 events with 4 KB of attributes each (about 100 MB of
// rows, more than the writer's cache) and reads them back on two connections at once (more
// than a reader's cache, on both readers).
//
// Measured on the serving process (/proc/<pid>/status VmRSS and /proc/<pid>/fd):
// - memory: the baseline is taken once the hub is warm: after 15 s of load in the 60 s run
//   (every route, the anonymizer and the streams have run hundreds of times by then), after
//   minute one in the long run. RSS at the end of the load is at most 1.10 × the baseline.
// - descriptors: the baseline is taken before the load, after one request of each kind.
//   When every client has left, the count returns to at most that + kDescriptorSlack: the
//   store's pool of reader connections opens connections (a database and a WAL descriptor
//   each) on first use, up to one per hardware thread, and a quiet start needs fewer. The
//   hub notices a leaving stream client when writing to it fails, so while waiting the test
//   keeps sending an event every 500 ms: each one is written to every stream.
// - no answer is a 5xx, no connection drops (a reply that never comes, a stream the server
//   closes before its client leaves), every other answer is the one the client expects, and
//   every stream client sees ids increase, across reconnections too;
// - each minute's purge ran (the hub's log), and deleted the old events.
// The figures (requests of each kind, RSS and descriptors, 5xx) are printed at the end.
//
// The thresholds are about leaks, not speed: it passes on a busy 2-core machine running other
// tests (ctest -j2).
//
// Duration: 60 s under ctest (label `soak`: `ctest --preset release -L soak`); by hand,
// `build/release/tests/soak/soak_test --long` runs it for 10 minutes.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "edge/hub_process.h"
#include "integration/http_client.h"
#include "support/process_stats.h"
#include "support/sample_event.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Set by main(): the 60 s run or the long one.
std::chrono::seconds g_duration = 60s;
std::chrono::seconds g_warm_up = 15s;

constexpr int kStreamClients = 100;
constexpr double kRssGrowthLimit = 1.10;
const int kDescriptorSlack = 2 * static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
constexpr const char* kCrew = "crew-soak";
constexpr int kFillBatches = 24;

// What one kind of load saw. Anything unexpected keeps its first few descriptions.
class Tally {
 public:
  explicit Tally(std::string kind) : kind_(std::move(kind)) {}

  // One answer: status 0 is a connection that dropped.
  void Answer(int status, int expected, const std::string& body = "") {
    ++requests;
    if (status == 0) return Note(dropped, "dropped");
    if (status >= 500) return Note(server_errors, std::to_string(status) + " " + body.substr(0, 200));
    if (status != expected) Note(unexpected, std::to_string(status) + " " + body.substr(0, 200));
  }
  void Note(std::atomic<long>& counter, const std::string& what) {
    ++counter;
    std::lock_guard lock(mu_);
    if (samples_.size() < 5) samples_.push_back(what);
  }
  std::string Samples() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& s : samples_) out += "\n  " + kind_ + ": " + s;
    return out;
  }
  const std::string& kind() const { return kind_; }

  std::atomic<long> requests{0}, dropped{0}, server_errors{0}, unexpected{0};

 private:
  std::string kind_;
  mutable std::mutex mu_;
  std::vector<std::string> samples_;
};

// What the descriptors point at, for a failure's message: "socket:[…]" counted by kind.
std::string DescriptorKinds(pid_t pid) {
  std::map<std::string, int> kinds;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    ++kinds[target.substr(0, target.find(':'))];
  }
  std::string out;
  for (const auto& [kind, n] : kinds) out += " " + kind + "×" + std::to_string(n);
  return out;
}

// The demo district's streets: a 10 × 10 grid about 100 m apart, so that events open
// incidents at many places and join them (correlation.join_distance_m is 50).
std::pair<double, double> Spot(long n) { return {31.2250 + (n % 10) * 0.001, 121.4650 + (n / 10 % 10) * 0.001}; }

// Runs one request; a hub that cannot be reached is a dropped connection (status 0).
template <typename F>
HttpReply Reach(F request) {
  try {
    return request();
  } catch (const std::exception&) {  // the clients throw when they cannot connect
    return HttpReply{};
  }
}

// The places of the events that fill the store: 24 spots north of the load's grid, so that
// each becomes one incident of 1,000 events.
std::pair<double, double> FillSpot(int n) { return {31.2360 + (n % 4) * 0.001, 121.4650 + (n / 4) * 0.001}; }

std::string NowRfc3339(std::chrono::hours back = 0h) {
  return FormatRfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(
                           (std::chrono::system_clock::now() - back).time_since_epoch())
                           .count());
}

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<edge::testing::HubProcess>(
        dir_.path(), "[retention]\npurge_interval_minutes = 1\n[open311]\nposts_per_minute = 0\n");
    auto crew = edge::testing::Run({edge::testing::GlassbrainBinary(), "user", "add", "--store",
                                    "sqlite:" + dir_.path() + "/hub.db", "--name", kCrew, "--role", "crew"},
                                   dir_ / "crew", 120s, {}, hub_->password() + "\n");
    ASSERT_EQ(crew.exit, 0) << crew.err;
    ASSERT_TRUE(hub_->Start()) << edge::testing::ReadFile(dir_ / "serve.err");
    pid_ = hub_->pid();
    HttpClient signin(hub_->port());
    auto r = signin.Request("POST", "/api/v1/session", json{{"name", "desk"}, {"password", hub_->password()}}.dump(),
                            {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 200) << r.body;
    cookie_ = signin.cookie;
    csrf_ = json::parse(r.body)["csrf_token"];
  }

  // One batch of 25 fresh keys; every other event is past its retention.
  std::string Batch(int n) {
    json batch = json::array();
    for (int i = 0; i < n; ++i) {
      const long k = next_key_++;
      std::ostringstream key;
      key << "soak/" << std::setw(9) << std::setfill('0') << k;  // ascending: the key index grows at its end
      auto [lat, lon] = Spot(k);
      json e = SampleEvent(key.str(), "illegal_parking", lat, lon);
      e["observed_at"] = NowRfc3339(k % 2 ? 40 * 24h : 0h);
      batch.push_back(std::move(e));
    }
    return batch.dump();
  }

  // Fills the store's caches (see the top of the file): writes, then reads on two
  // connections at once.
  void FillStore() {
    const std::string note(4000, 'n');
    std::set<long long> incidents;
    for (int b = 0; b < kFillBatches; ++b) {
      json batch = json::array();
      auto [lat, lon] = FillSpot(b);
      for (int i = 0; i < 1000; ++i) {
        json e = SampleEvent("fill/" + std::to_string(b) + "/" + std::to_string(i), "illegal_parking", lat, lon);
        e["observed_at"] = NowRfc3339();
        e["attributes"] = {{"note", note}};
        batch.push_back(std::move(e));
      }
      HttpReply r = Reach([&] {
        HttpClient client(hub_->port());
        return client.Request("POST", "/api/v1/events:batch", batch.dump(),
                              {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"});
      });
      ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
      const json answer = json::parse(r.body);  // kept: a range over a temporary's member dangles
      for (const auto& item : answer.at("results")) {
        ASSERT_EQ(item["status"], "stored") << item.dump();
        incidents.insert(item["incident_id"].get<long long>());
      }
    }
    const std::vector<long long> ids(incidents.begin(), incidents.end());
    auto read_all = [&](bool reverse, int* failures) {
      std::unique_ptr<KeepAliveClient> client;
      for (size_t i = 0; i < ids.size(); ++i) {
        const long long id = ids[reverse ? ids.size() - 1 - i : i];
        auto r = Desk(client, "GET", "/api/v1/incidents/" + std::to_string(id) + "/events");
        if (r.status != 200) ++*failures;
      }
    };
    int failures_a = 0, failures_b = 0;
    std::thread other(read_all, true, &failures_b);
    read_all(false, &failures_a);
    other.join();
    EXPECT_EQ(failures_a + failures_b, 0) << "reading the filled store back";
  }

  // Expects 200 with no item rejected.
  void CheckBatch(const HttpReply& r) {
    ingest_.Answer(r.status, 200, r.body);
    if (r.status != 200) return;
    auto answer = json::parse(r.body, nullptr, false);
    if (answer.is_discarded()) return ingest_.Note(ingest_.unexpected, "not JSON: " + r.body.substr(0, 200));
    for (const auto& item : answer["results"])
      if (item["status"] == "rejected") return ingest_.Note(ingest_.unexpected, "rejected: " + item.dump());
  }

  // A request on `client`, connected first when it is not; a failed one drops it.
  HttpReply OnConnection(std::unique_ptr<KeepAliveClient>& client, const std::string& method,
                         const std::string& target, const std::string& body, const std::vector<std::string>& headers) {
    HttpReply r = Reach([&] {
      if (!client) client = std::make_unique<KeepAliveClient>(hub_->port());
      return client->Request(method, target, body, headers);
    });
    if (r.status == 0) client.reset();
    return r;
  }

  // A batch on a connection of its own.
  HttpReply PostBatch(int n) {
    return Reach([&] {
      HttpClient client(hub_->port());
      return client.Request("POST", "/api/v1/events:batch", Batch(n),
                            {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"});
    });
  }

  void IngestLoop() {
    std::unique_ptr<KeepAliveClient> client;
    while (!stop_) {
      const auto next = Clock::now() + 250ms;
      CheckBatch(OnConnection(client, "POST", "/api/v1/events:batch", Batch(25),
                              {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"}));
      std::this_thread::sleep_until(next);
    }
  }

  HttpReply PostPhoto(long n) {
    const std::string jpeg = GradientJpeg(160 + static_cast<int>(n % 160), 120 + static_cast<int>(n / 160 % 90));
    const std::string boundary = "gbSoakBoundary";
    auto field = [&](const std::string& name, const std::string& value) {
      return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    };
    auto [lat, lon] = Spot(n * 7);
    std::string body = field("service_code", "graffiti") + field("lat", std::to_string(lat)) +
                       field("long", std::to_string(lon)) + field("description", "Tag on the wall") + "--" +
                       boundary +
                       "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"wall.jpg\"\r\n"
                       "Content-Type: image/jpeg\r\n\r\n" +
                       jpeg + "\r\n--" + boundary + "--\r\n";
    return Reach([&] {
      HttpClient client(hub_->port());
      return client.Request("POST", "/open311/v2/requests.json", body,
                            {"Content-Type: multipart/form-data; boundary=" + boundary});
    });
  }

  void PhotoLoop() {
    for (long n = 0; !stop_; ++n) {
      const auto next = Clock::now() + 400ms;
      auto r = PostPhoto(n);
      photos_.Answer(r.status, 201, r.body);
      std::this_thread::sleep_until(next);
    }
  }

  // The dispatcher's requests on one keep-alive connection.
  HttpReply Desk(std::unique_ptr<KeepAliveClient>& client, const std::string& method, const std::string& target,
                 const std::string& body = "") {
    std::vector<std::string> headers = {"Cookie: " + cookie_};
    if (method != "GET") headers.insert(headers.end(), {"X-CSRF-Token: " + csrf_, "Content-Type: application/json"});
    return OnConnection(client, method, target, body, headers);
  }

  // Takes one routed incident through to its end; false when there was none.
  bool MoveOneIncident(std::unique_ptr<KeepAliveClient>& client, long n) {
    auto list = Desk(client, "GET", "/api/v1/incidents?state=routed&limit=5");
    transitions_.Answer(list.status, 200, list.body);
    if (list.status != 200) return false;
    auto items = json::parse(list.body, nullptr, false);
    if (items.is_discarded() || items["items"].empty()) return false;
    const std::string path = "/api/v1/incidents/" + std::to_string(items["items"][0]["id"].get<long long>()) +
                             "/transitions";
    std::vector<json> steps;
    if (n % 4 == 3) {
      steps = {{{"to", "rejected"}, {"note", "false alarm"}}};
    } else {
      steps = {{{"to", "dispatched"}, {"assignee", kCrew}, {"note", "closest crew"}},
               {{"to", "in_progress"}},
               {{"to", "resolved"}, {"note", "cleared"}}};
    }
    for (const auto& step : steps) {
      auto r = Desk(client, "POST", path, step.dump());
      transitions_.Answer(r.status, 200, r.body);
      if (r.status != 200) break;
    }
    return true;
  }

  void TransitionLoop() {
    std::unique_ptr<KeepAliveClient> client;
    for (long n = 0; !stop_; ++n) std::this_thread::sleep_for(MoveOneIncident(client, n) ? 100ms : 300ms);
  }

  // The stream clients, all on this thread: connect, read, leave, come back with Last-Event-ID.
  struct StreamClient {
    int fd = -1;
    Clock::time_point until;  // reading: when it leaves; away: when it comes back
    std::string buf;
    bool head_seen = false;
    long long last_id = -1;
  };

  void Connect(StreamClient& c, std::mt19937& rng) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(hub_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nCookie: " +
                      cookie_ + "\r\n";
    if (c.last_id >= 0) req += "Last-Event-ID: " + std::to_string(c.last_id) + "\r\n";
    req += "\r\n";
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      stream_.Answer(0, 200);
      Leave(c, rng);
      return;
    }
    c.buf.clear();
    c.head_seen = false;
    c.until = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(500, 6000)(rng));
  }

  void Leave(StreamClient& c, std::mt19937& rng) {
    ::close(c.fd);
    c.fd = -1;
    c.until = Clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1000)(rng));
  }

  // Consumes what has arrived: the head once, then whole events.
  void Parse(StreamClient& c) {
    if (!c.head_seen) {
      const size_t end = c.buf.find("\r\n\r\n");
      if (end == std::string::npos) return;
      HttpReply head = ParseReply(c.buf.substr(0, end + 4));
      stream_.Answer(head.status, 200, c.buf.substr(0, end));
      c.head_seen = true;
      c.buf.erase(0, end + 4);
    }
    for (size_t end; (end = c.buf.find("\n\n")) != std::string::npos; c.buf.erase(0, end + 2)) {
      const std::string block = c.buf.substr(0, end);
      if (!block.starts_with("id: ")) continue;  // retry:, keep-alive comments
      const long long id = std::stoll(block.substr(4));
      ++stream_messages_;
      if (id <= c.last_id)
        stream_.Note(stream_.unexpected, "id " + std::to_string(id) + " after " + std::to_string(c.last_id));
      c.last_id = id;
    }
  }

  void StreamLoop() {
    std::mt19937 rng(20261202);
    std::vector<StreamClient> clients(kStreamClients);
    std::vector<pollfd> fds;
    std::vector<StreamClient*> polled;
    char chunk[65536];
    while (!stop_) {
      const auto now = Clock::now();
      fds.clear();
      polled.clear();
      for (auto& c : clients) {
        if (c.fd >= 0 && now >= c.until) {
          ++stream_leaves_;
          Leave(c, rng);
        } else if (c.fd < 0 && now >= c.until) {
          Connect(c, rng);
        }
        if (c.fd >= 0) {
          fds.push_back({c.fd, POLLIN, 0});
          polled.push_back(&c);
        }
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        StreamClient& c = *polled[i];
        const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (n <= 0) {  // the server ended a stream its client had not left
          stream_.Note(stream_.dropped, c.head_seen ? "stream closed by the hub" : "no answer");
          Leave(c, rng);
          continue;
        }
        c.buf.append(chunk, static_cast<size_t>(n));
        Parse(c);
      }
    }
    for (auto& c : clients)
      if (c.fd >= 0) ::close(c.fd);
  }

  // "event=purge events=N …" lines of the hub's log: how many, and the events they deleted.
  std::pair<int, long> Purges(int* failed) {
    const std::string log =
        edge::testing::ReadFile(dir_ / "serve.out") + edge::testing::ReadFile(dir_ / "serve.err");
    static const std::regex purge("event=purge events=(\\d+)");
    int runs = 0;
    long events = 0;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), purge); it != std::sregex_iterator(); ++it) {
      ++runs;
      events += std::stol((*it)[1]);
    }
    *failed = 0;
    for (size_t at = log.find("event=purge_failed"); at != std::string::npos; at = log.find("event=purge_failed", at + 1))
      ++*failed;
    return {runs, events};
  }

  edge::testing::TempDir dir_{"glassbrain-soak"};
  std::unique_ptr<edge::testing::HubProcess> hub_;
  pid_t pid_ = -1;
  std::string cookie_, csrf_;
  std::atomic<bool> stop_{false};
  std::atomic<long> next_key_{0}, stream_messages_{0}, stream_leaves_{0};
  Tally ingest_{"events:batch"}, photos_{"open311 photo"}, transitions_{"transitions"}, stream_{"stream"};
};

TEST_F(SoakTest, MemoryAndDescriptorsHoldStillUnderMixedLoadAndNothingFails) {
  const auto fill_start = Clock::now();
  const long rss_fresh = RssKib(pid_);
  ASSERT_NO_FATAL_FAILURE(FillStore());
  const long rss_filled = RssKib(pid_);
  const auto fill_seconds = std::chrono::duration<double>(Clock::now() - fill_start).count();
  // One of each before the baseline of descriptors, so that what the first use of a path
  // opens for good (the store's readers, the anonymizer's models) is in it.
  {
    std::unique_ptr<KeepAliveClient> desk;
    CheckBatch(PostBatch(25));
    photos_.Answer(PostPhoto(0).status, 201);
    MoveOneIncident(desk, 0);
  }
  const int fds_before = Descriptors(pid_);
  ASSERT_GT(fds_before, 0);

  const auto start = Clock::now();
  std::vector<std::thread> load;
  load.emplace_back([this] { IngestLoop(); });
  load.emplace_back([this] { PhotoLoop(); });
  load.emplace_back([this] { TransitionLoop(); });
  load.emplace_back([this] { StreamLoop(); });

  long rss_baseline = -1, rss_end = -1, rss_peak = 0;
  int fds_peak = 0;
  for (auto t = 1s; t <= g_duration; t += 1s) {
    std::this_thread::sleep_until(start + t);
    const long rss = RssKib(pid_);
    const int fds = Descriptors(pid_);
    if (rss <= 0) {  // not ASSERT: the load threads are joined below
      ADD_FAILURE() << "the hub is gone after " << t.count() << " s";
      break;
    }
    rss_peak = std::max(rss_peak, rss);
    fds_peak = std::max(fds_peak, fds);
    if (t == g_warm_up) rss_baseline = rss;
    rss_end = rss;
    if (t.count() % 10 == 0)
      std::cout << "soak: " << std::setw(4) << t.count() << " s  RSS " << rss / 1024 << " MiB  descriptors " << fds
                << "  requests " << ingest_.requests + photos_.requests + transitions_.requests + stream_.requests
                << std::endl;
  }
  stop_ = true;
  for (auto& t : load) t.join();

  // Every client has left; one event every 500 ms lets the hub find the streams gone.
  int fds_after = Descriptors(pid_);
  for (auto until = Clock::now() + 60s; fds_after > fds_before + kDescriptorSlack && Clock::now() < until;
       fds_after = Descriptors(pid_)) {
    CheckBatch(PostBatch(1));
    std::this_thread::sleep_for(500ms);
  }
  const std::string fd_kinds = DescriptorKinds(pid_);

  // The purge job's runs: one per minute of the hub's life, the first a minute after it starts.
  const int purges_expected = static_cast<int>(g_duration / 1min);
  int purge_failures = 0;
  auto [purges, purged_events] = Purges(&purge_failures);
  for (auto until = Clock::now() + 45s; purges < purges_expected && Clock::now() < until;) {
    std::this_thread::sleep_for(500ms);
    std::tie(purges, purged_events) = Purges(&purge_failures);
  }

  std::cout << "soak: the store filled in " << std::setprecision(3) << fill_seconds << " s, RSS " << rss_fresh
            << " KiB before, " << rss_filled << " KiB after\n"
            << "soak: " << g_duration.count() << " s of load, baseline after " << g_warm_up.count() << " s\n";
  for (const Tally* t : {&ingest_, &photos_, &transitions_, &stream_})
    std::cout << "  " << std::left << std::setw(14) << t->kind() << std::right << std::setw(7) << t->requests
              << " requests  5xx " << t->server_errors << "  dropped " << t->dropped << "  unexpected "
              << t->unexpected << "\n";
  std::cout << "  events sent " << next_key_ << ", stream messages " << stream_messages_ << ", stream clients left "
            << stream_leaves_ << " times\n"
            << "  RSS baseline " << rss_baseline << " KiB, end " << rss_end << " KiB ("
            << std::setprecision(3) << 100.0 * (rss_end - rss_baseline) / rss_baseline << " %), peak " << rss_peak
            << " KiB\n"
            << "  descriptors before " << fds_before << ", peak " << fds_peak << ", after the clients left "
            << fds_after << " (allowed " << fds_before + kDescriptorSlack << "):" << fd_kinds << "\n"
            << "  purges " << purges << " (" << purged_events << " events deleted), failed " << purge_failures
            << std::endl;

  for (const Tally* t : {&ingest_, &photos_, &transitions_, &stream_}) {
    EXPECT_EQ(t->server_errors, 0) << t->Samples();
    EXPECT_EQ(t->dropped, 0) << t->Samples();
    EXPECT_EQ(t->unexpected, 0) << t->Samples();
  }
  EXPECT_GT(photos_.requests, 10);
  EXPECT_GT(transitions_.requests, 10);
  EXPECT_GE(stream_.requests, kStreamClients);
  EXPECT_GT(stream_messages_, 0) << "the streams carried no change";
  EXPECT_LE(rss_end, static_cast<long>(kRssGrowthLimit * static_cast<double>(rss_baseline)))
      << "RSS grew from " << rss_baseline << " KiB to " << rss_end << " KiB";
  EXPECT_LE(fds_after, fds_before + kDescriptorSlack) << fd_kinds;
  EXPECT_GE(purges, purges_expected);
  EXPECT_GT(purged_events, 0) << "the purge deleted none of the events past their retention";
  EXPECT_EQ(purge_failures, 0);
  EXPECT_EQ(edge::testing::HttpGet(hub_->port(), "/healthz"), "ok\n");
}

}  // namespace
}  // namespace gb::testing

// `--long`: 10 minutes, the baseline after minute one.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--long") == 0) {
      gb::testing::g_duration = std::chrono::minutes(10);
      gb::testing::g_warm_up = std::chrono::minutes(1);
    } else {
      std::cerr << "unknown argument " << argv[i] << "; the only one is --long (10 minutes instead of 60 s)\n";
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
