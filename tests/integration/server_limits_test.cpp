// The server against slow, idle, greedy and departing clients (api/server.h): real sockets
// on loopback to a Server with a few test routes, limits shortened so that each test takes a
// second or two.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/server.h"
#include "integration/http_client.h"

namespace gb::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A raw client connection: what a slow or hostile client can do that an HTTP library won't.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(testing::ConnectLoopback(port)) {}
  ~RawClient() { Close(); }
  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Reads until the server closes or `timeout` passes; `closed` says which.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    return Read(timeout, "", closed);
  }
  // Reads until `marker` has arrived (or the server closes, or `timeout` passes).
  std::string ReadUntil(const std::string& marker, std::chrono::milliseconds timeout) {
    return Read(timeout, marker, nullptr);
  }

 private:
  std::string Read(std::chrono::milliseconds timeout, const std::string& marker, bool* closed) {
    std::string out;
    auto until = Clock::now() + timeout;
    if (closed) *closed = false;
    while (Clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
      if (!marker.empty() && out.find(marker) != std::string::npos) break;
    }
    return out;
  }
  int fd_ = -1;
};

// A stream the test drives: it sends what the test queues, and counts itself alive.
class TestStream final : public Stream {
 public:
  explicit TestStream(std::atomic<int>& alive, bool endless = false) : alive_(alive), endless_(endless) { ++alive_; }
  ~TestStream() override { --alive_; }
  void Start(std::function<void()> wake) override {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }
  std::optional<std::vector<Piece>> Next(std::size_t budget) override {
    std::lock_guard lock(mu_);
    ++nexts_;
    if (endless_) return std::vector<Piece>{std::make_shared<const std::string>(budget, 'x')};
    std::vector<Piece> out;
    for (auto& s : queued_) out.push_back(std::make_shared<const std::string>(std::move(s)));
    queued_.clear();
    return out;
  }
  // Queues `text` and wakes the server, from the test's thread.
  void Push(std::string text) {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      queued_.push_back(std::move(text));
      wake = wake_;
    }
    if (wake) wake();
  }
  int nexts() {
    std::lock_guard lock(mu_);
    return nexts_;
  }

 private:
  std::atomic<int>& alive_;
  const bool endless_;
  std::mutex mu_;
  std::function<void()> wake_;
  std::vector<std::string> queued_;
  int nexts_ = 0;
};

class ServerLimitsTest : public ::testing::Test {
 protected:
  void Serve(ServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.handle_signals = false;
    router_.Add("GET", "/fast", {}, [](Request&) { return Json(200, "{}"); });
    router_.Add("POST", "/upload", {}, [](Request& req) { return Json(200, std::to_string(req.body.size())); });
    router_.Add("POST", "/slow", {}, [this](Request&) {
      ++slow_running_;
      std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_));
      --slow_running_;
      return Json(200, "{}");
    });
    router_.Add("GET", "/stream", {}, [this](Request&) {
      Response r;
      r.content_type = "text/event-stream";
      auto s = std::make_shared<TestStream>(streams_alive_, endless_);
      stream_ = s;
      r.stream = s;
      return r;
    });
    server_ = std::make_unique<Server>(options, router_);
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return server_->port(); }

  // Waits up to `timeout` for `pred`.
  template <class Pred>
  static bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
    auto until = Clock::now() + timeout;
    while (!pred()) {
      if (Clock::now() > until) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> slow_running_{0};
  int slow_ms_ = 1000;
  std::atomic<int> streams_alive_{0};
  bool endless_ = false;
  std::shared_ptr<TestStream> stream_;
};

const std::string kGetFast = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(ServerLimitsTest, ARequestHeadTooSlowGets408WhileOthersAreServed) {
  ServerOptions o;
  o.header_timeout = 1s;
  Serve(o);
  RawClient slow(port());
  auto began = Clock::now();
  ASSERT_TRUE(slow.Send("GET /fast HTTP/1.1\r\nHo"));
  RawClient fast(port());
  ASSERT_TRUE(fast.Send(kGetFast));
  EXPECT_NE(fast.ReadUntil("{}", 2s).find("HTTP/1.1 200"), std::string::npos);
  bool closed = false;
  std::string answer = slow.ReadUntilClosed(5s, &closed);
  EXPECT_NE(answer.find("HTTP/1.1 408"), std::string::npos) << answer;
  EXPECT_NE(answer.find("did not arrive within 1 s"), std::string::npos) << answer;
  EXPECT_TRUE(closed);
  EXPECT_GE(SecondsSince(began), 0.9);
}

TEST_F(ServerLimitsTest, AnIdleKeepAliveConnectionIsNotASlowHead) {
  ServerOptions o;
  o.header_timeout = 1s;
  Serve(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send(kGetFast));
  EXPECT_NE(c.ReadUntil("{}", 2s).find("HTTP/1.1 200"), std::string::npos);
  std::this_thread::sleep_for(1500ms);  // longer than the head timeout, shorter than idle_timeout
  ASSERT_TRUE(c.Send(kGetFast));
  EXPECT_NE(c.ReadUntil("{}", 2s).find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerLimitsTest, ABodyBelowTheMinimumRateGets408AfterTheGrace) {
  ServerOptions o;
  o.body_grace = 1s;
  o.min_body_rate_bytes_s = 1024;
  Serve(o);
  RawClient c(port());
  auto began = Clock::now();
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  std::string answer;
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    c.Send(std::string(100, 'b'));  // 400 bytes a second
    answer += c.ReadUntilClosed(250ms, &closed);
  }
  EXPECT_NE(answer.find("HTTP/1.1 408"), std::string::npos) << answer;
  EXPECT_TRUE(closed);
  EXPECT_GE(SecondsSince(began), 0.9) << "the grace lets any rate through at first";
  EXPECT_LE(SecondsSince(began), 4.0);
}

TEST_F(ServerLimitsTest, ASlowButSteadyBodyIsServed) {
  ServerOptions o;
  o.body_grace = 1s;
  o.min_body_rate_bytes_s = 1024;
  Serve(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n"));
  for (int i = 0; i < 5; ++i) {  // 2,000 bytes every 400 ms: 5,000 a second, for two seconds
    std::this_thread::sleep_for(400ms);
    ASSERT_TRUE(c.Send(std::string(2000, 'b')));
  }
  std::string answer = c.ReadUntil("10000", 2s);
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
}

TEST_F(ServerLimitsTest, OverMaxConnectionsAClientGets503ThenCloseAndALaterOneIsServed) {
  ServerOptions o;
  o.max_connections = 3;
  Serve(o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(held.back()->Send(kGetFast));
    ASSERT_NE(held.back()->ReadUntil("{}", 2s).find("200"), std::string::npos);
  }
  RawClient extra(port());
  extra.Send(kGetFast);
  bool closed = false;
  std::string answer = extra.ReadUntilClosed(3s, &closed);
  EXPECT_NE(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"code\":\"unavailable\""), std::string::npos) << answer;
  EXPECT_TRUE(closed);
  EXPECT_EQ(server_->open_connections(), 3u);
  held.pop_back();
  ASSERT_TRUE(Eventually([&] { return server_->open_connections() == 2; }, 2s));
  RawClient later(port());
  ASSERT_TRUE(later.Send(kGetFast));
  EXPECT_NE(later.ReadUntil("{}", 2s).find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerLimitsTest, BlockingHandlersRunOnTheirPoolAndLeaveTheIoThreadsFree) {
  ServerOptions o;
  o.threads = 2;
  o.blocking_threads = 16;
  slow_ms_ = 1500;
  Serve(o);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(slow.back()->Send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  }
  ASSERT_TRUE(Eventually([&] { return slow_running_ == 16; }, 2s)) << slow_running_;
  RawClient probe(port());
  auto began = Clock::now();
  ASSERT_TRUE(probe.Send(kGetFast));
  EXPECT_NE(probe.ReadUntil("{}", 2s).find("200"), std::string::npos);
  EXPECT_LT(SecondsSince(began), 0.1) << "a GET waited behind blocking handlers";
  for (auto& c : slow) EXPECT_NE(c->ReadUntil("{}", 5s).find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerLimitsTest, TheBlockingPoolIsBounded) {
  ServerOptions o;
  o.blocking_threads = 2;
  slow_ms_ = 400;
  Serve(o);
  std::vector<std::unique_ptr<RawClient>> slow;
  auto began = Clock::now();
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(slow.back()->Send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(slow_running_, 2) << "more handlers ran at once than the pool has threads";
  for (auto& c : slow) EXPECT_NE(c->ReadUntil("{}", 5s).find("HTTP/1.1 200"), std::string::npos);
  EXPECT_GE(SecondsSince(began), 0.75) << "four handlers of 400 ms on two threads take two rounds";
}

TEST_F(ServerLimitsTest, AStreamSendsWhenWokenAndKeepsAliveWhenQuiet) {
  ServerOptions o;
  o.stream_keep_alive = 1s;
  Serve(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(c.ReadUntil("\r\n\r\n", 2s).find("text/event-stream"), std::string::npos);
  ASSERT_TRUE(Eventually([&] { return stream_ && stream_->nexts() > 0; }, 2s));
  auto began = Clock::now();
  stream_->Push("data: hello\n\n");
  EXPECT_NE(c.ReadUntil("data: hello", 2s).find("data: hello"), std::string::npos);
  EXPECT_LT(SecondsSince(began), 0.5) << "a wake must reach the client at once";
  const int nexts = stream_->nexts();
  EXPECT_NE(c.ReadUntil(": keep-alive", 3s).find(": keep-alive"), std::string::npos);
  EXPECT_LE(stream_->nexts() - nexts, 4) << "a quiet stream is not polled";
}

TEST_F(ServerLimitsTest, AStreamWhoseClientLeavesIsFreedAtOnce) {
  Serve({});
  {
    RawClient c(port());
    ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_NE(c.ReadUntil("\r\n\r\n", 2s).find("200"), std::string::npos);
    ASSERT_TRUE(Eventually([&] { return server_->open_streams() == 1; }, 2s));
    stream_.reset();
  }
  auto began = Clock::now();
  EXPECT_TRUE(Eventually([&] { return server_->open_streams() == 0 && streams_alive_ == 0; }, 5s));
  EXPECT_LT(SecondsSince(began), 1.0) << "the pending read must notice the client leaving";
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(ServerLimitsTest, AStreamClientThatTakesNothingIsDropped) {
  ServerOptions o;
  o.write_timeout = 1s;
  endless_ = true;  // always more to send: the client's socket fills
  Serve(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(Eventually([&] { return server_->open_streams() == 1; }, 2s));
  stream_.reset();
  EXPECT_TRUE(Eventually([&] { return server_->open_streams() == 0 && streams_alive_ == 0; }, 10s))
      << "a client that reads nothing must be let go after write_timeout";
}

}  // namespace
}  // namespace gb::http
