// Invariants 3 and 4 against the real binary: kill -9 of the hub at random moments during
// batch ingest loses no acknowledged event and stores no duplicate.
//
// A sender thread plays an edge agent: it posts batches of 200 events to
// POST /api/v1/events:batch and keeps a batch "in its spool" until the hub answers 200 with
// a result for every item; then, and only then, the batch's keys are acknowledged. The test
// meanwhile SIGKILLs the hub (after a seeded random delay, or at a chosen point of a batch's
// commit) and starts it again on the same store; the sender re-sends the batch that was in
// flight, exactly as it was sent the first time.
// At the end the hub is stopped with SIGTERM (it must exit 0, promptly) and the SQLite file
// is opened directly to check what it holds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

extern char** environ;

namespace gb::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kKillCycles = 5;
// A kill lands either before a batch's commit (its re-send answers "stored") or after it but
// before the answer arrives (the re-send answers "duplicate"); which one depends on timing.
// Until both have happened, a few more kills follow, while the run is still short.
constexpr int kMaxKillCycles = 10;
constexpr auto kExtraCyclesUntil = 15s;
constexpr int kEventsPerBatch = 200;
constexpr unsigned kSeed = 20261124;  // for the kill delays; the timing still varies run to run
constexpr auto kReadyTimeout = 60s;   // generous: sanitizer builds start slowly on busy machines
constexpr auto kProgressTimeout = 60s;
constexpr auto kShutdownLimit = 10s;

// The glassbrain binary: $GLASSBRAIN_BIN (set by ctest), else next to the tests directory.
std::string GlassbrainBinary() {
  if (const char* bin = std::getenv("GLASSBRAIN_BIN"); bin && *bin) return bin;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "glassbrain").string();
}

std::string TailOf(const std::string& path, size_t max_bytes = 4000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? "…" + s.substr(s.size() - max_bytes) : s;
}

// argv and envp laid out before fork(), so that the child only calls async-signal-safe
// functions between fork and exec.
struct Argv {
  explicit Argv(std::vector<std::string> args) : strings(std::move(args)) {
    for (auto& s : strings) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
  std::vector<std::string> strings;
  std::vector<char*> ptrs;
};

// Forks and execs `args`. stdout goes to `stdout_fd` (or the log), stderr to the log file.
// The child dies with the test process (PR_SET_PDEATHSIG), so a killed test leaves no hub.
// Call from the main test thread only: the death signal follows the forking thread.
pid_t Spawn(const Argv& argv, int stdout_fd, int log_fd) {
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;  // parent (or -1)
  // Child.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  dup2(stdout_fd >= 0 ? stdout_fd : log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execve(argv.ptrs[0], argv.ptrs.data(), environ);
  _exit(127);
}

// Waits for `pid` up to `limit`; returns the wait status, or nullopt on timeout.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// A loopback port that was free a moment ago.
std::uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf) + frac;
}

// One batch as the edge agent's spool holds it: the exact bytes it sends every time.
struct Batch {
  std::string body;
  std::vector<std::string> keys;
  std::vector<std::int64_t> incident_ids;  // as acknowledged
  int attempts = 0;
  bool acked = false;
  std::string resent_answer;  // "stored", "duplicate" or "mixed" when it had to be re-sent
};

Batch MakeBatch(int b) {
  static const char* const kCategories[] = {"illegal_parking", "dumped_rubbish", "unauthorized_poster", "graffiti",
                                            "overflowing_bin"};
  const std::string observed = Rfc3339(std::chrono::system_clock::now() - 60s);
  Batch batch;
  json events = json::array();
  for (int i = 0; i < kEventsPerBatch; ++i) {
    std::string key = "crash/" + std::to_string(b) + "/" + std::to_string(i);
    // Small offsets around the district centre (±0.002°, a few hundred metres), so that
    // events both open new incidents and join existing ones.
    double lat = 31.2304 + ((i * 37 + b * 11) % 41 - 20) * 0.0001;
    double lon = 121.4737 + ((i * 53 + b * 7) % 41 - 20) * 0.0001;
    char camera[16];
    std::snprintf(camera, sizeof camera, "cam-%02d", 1 + (i + b) % 10);
    events.push_back({{"idempotency_key", key},
                      {"source", {{"kind", "camera"}, {"id", camera}}},
                      {"category", kCategories[(i + b) % 5]},
                      {"rule", "stationary_vehicle"},
                      {"observed_at", observed},
                      {"location", {{"lat", lat}, {"lon", lon}}},
                      {"confidence", 0.5 + (i % 50) / 100.0},
                      {"attributes", {{"dwell_s", 60 + i}}}});
    batch.keys.push_back(std::move(key));
  }
  batch.body = events.dump();
  return batch;
}

// Runs a glassbrain subcommand to completion; returns (wait status, stdout).
std::pair<int, std::string> RunCommand(const std::vector<std::string>& args, const std::string& log_path) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return {-1, ""};
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  Argv argv(args);
  pid_t pid = Spawn(argv, pipefd[1], log_fd);
  close(pipefd[1]);
  close(log_fd);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  if (pid < 0) return {-1, out};
  auto status = WaitFor(pid, 120s);
  if (!status) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return {-1, out};
  }
  return {*status, out};
}

// `glassbrain serve` as a child process. Never outlives the object (nor the test process).
class HubProcess {
 public:
  HubProcess(std::string binary, std::string store_url, std::string log_path)
      : binary_(std::move(binary)), store_url_(std::move(store_url)), log_path_(std::move(log_path)) {}
  ~HubProcess() { Kill(); }

  std::uint16_t port() const { return port_.load(); }
  const std::atomic<std::uint16_t>& port_ref() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Starts the hub and waits until /readyz answers 200. Keeps the port across restarts (as
  // an edge agent's configuration would); takes a new one only if the old one cannot be had.
  ::testing::AssertionResult Start() {
    if (port_ == 0) port_ = FreePort();
    std::string last_failure;
    for (int attempt = 0; attempt < 6; ++attempt) {
      if (attempt == 3) port_ = FreePort();
      int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      Argv argv({binary_, "serve", "--listen", "127.0.0.1:" + std::to_string(port_.load()), "--store", store_url_});
      pid_ = Spawn(argv, -1, log_fd);
      close(log_fd);
      if (pid_ < 0) return ::testing::AssertionFailure() << "fork failed: " << std::strerror(errno);
      auto started = Clock::now();
      while (Clock::now() - started < kReadyTimeout) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          last_failure = "the hub exited before it was ready: " + DescribeStatus(status);
          break;
        }
        try {
          HttpClient client(port_);
          if (client.Request("GET", "/readyz").status == 200) {
            ready_seconds_.push_back(std::chrono::duration<double>(Clock::now() - started).count());
            return ::testing::AssertionSuccess();
          }
        } catch (const std::exception&) {
          // not listening yet
        }
        std::this_thread::sleep_for(20ms);
      }
      if (pid_ > 0) {
        last_failure = "the hub was not ready within the time limit";
        Kill();
      }
      std::this_thread::sleep_for(100ms);
    }
    return ::testing::AssertionFailure() << last_failure << "\nhub log:\n" << TailOf(log_path_);
  }

  // SIGKILL and reap; a no-op when not running.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // SIGTERM; returns the wait status, or nullopt (after a SIGKILL) when it did not exit in time.
  std::optional<int> Terminate(std::chrono::milliseconds limit, double* seconds) {
    if (pid_ <= 0) return std::nullopt;
    auto t0 = Clock::now();
    ::kill(pid_, SIGTERM);
    auto status = WaitFor(pid_, limit);
    *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!status) {
      Kill();
      return std::nullopt;
    }
    pid_ = -1;
    return status;
  }

  const std::vector<double>& ready_seconds() const { return ready_seconds_; }

 private:
  std::string binary_, store_url_, log_path_;
  std::atomic<std::uint16_t> port_{0};
  pid_t pid_ = -1;
  std::vector<double> ready_seconds_;
};

// The result of posting one batch: per item (status, incident id), or why there is none.
struct PostOutcome {
  bool acked = false;
  int http_status = 0;  // 0: no complete reply (connection refused or cut by the kill)
  std::string problem;
  std::vector<std::pair<std::string, std::int64_t>> items;
};

PostOutcome PostBatch(std::uint16_t port, const std::string& token, const Batch& batch) {
  PostOutcome out;
  HttpReply reply;
  try {
    HttpClient client(port);
    reply = client.Request("POST", "/api/v1/events:batch", batch.body,
                           {"Authorization: Bearer " + token, "Content-Type: application/json"});
  } catch (const std::exception& e) {
    out.problem = e.what();
    return out;
  }
  out.http_status = reply.status;
  if (reply.status != 200) {
    out.problem = "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 300);
    return out;
  }
  json doc = json::parse(reply.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("results") || !doc["results"].is_array() ||
      doc["results"].size() != batch.keys.size()) {
    out.problem = "an incomplete 200 reply (" + std::to_string(reply.body.size()) + " bytes)";
    out.http_status = 0;  // cut off mid-body by the kill: the edge would not take it as an answer
    return out;
  }
  for (const auto& r : doc["results"]) {
    std::string status = r.value("status", "");
    std::int64_t incident = r.contains("incident_id") && r["incident_id"].is_number_integer()
                                ? r["incident_id"].get<std::int64_t>()
                                : 0;
    if (status != "stored" && status != "duplicate") {
      out.problem = "an item was not stored: " + r.dump();
      return out;
    }
    out.items.emplace_back(status, incident);
  }
  out.acked = true;
  return out;
}

// The edge agent: posts batch after batch, re-sending a batch until it is acknowledged.
class Sender {
 public:
  Sender(const std::atomic<std::uint16_t>& port, std::string token) : port_(port), token_(std::move(token)) {}

  void Run() {
    auto give_up_at = Clock::now() + kProgressTimeout;
    size_t next = 0;
    bool after_failure = false;
    while (!abort_) {
      if (next == batches_.size()) {
        if (stop_) break;
        batches_.push_back(MakeBatch(static_cast<int>(next)));
      }
      Batch& b = batches_[next];
      ++b.attempts;
      in_flight_ = true;
      PostOutcome o = PostBatch(port_.load(), token_, b);
      in_flight_ = false;
      if (!o.acked) {
        if (o.http_status != 0) Problem("batch " + std::to_string(next) + ": " + o.problem);
        after_failure = true;
        ++failed_posts_;
        if (Clock::now() > give_up_at) {
          Problem("batch " + std::to_string(next) + " was never acknowledged; last: " + o.problem);
          break;
        }
        std::this_thread::sleep_for(10ms);
        continue;
      }
      give_up_at = Clock::now() + kProgressTimeout;
      size_t stored = 0, duplicate = 0;
      for (const auto& [status, incident] : o.items) (status == "stored" ? stored : duplicate)++;
      if (b.attempts == 1 && duplicate != 0)
        Problem("batch " + std::to_string(next) + " answered 'duplicate' on its first sending");
      if (b.attempts > 1) {
        ++resent_batches_;
        if (duplicate == o.items.size()) {
          ++resent_all_duplicate_;
          b.resent_answer = "duplicate";
        } else if (stored == o.items.size()) {
          ++resent_all_stored_;
          b.resent_answer = "stored";
        } else {
          ++resent_mixed_;
          b.resent_answer = "mixed";
        }
      }
      for (const auto& [status, incident] : o.items) {
        if (incident <= 0) Problem("batch " + std::to_string(next) + ": an acknowledged item has no incident id");
        b.incident_ids.push_back(incident);
      }
      b.acked = true;
      ++acked_batches_;
      // Right after a restart: the last batch acknowledged before the crash, sent again,
      // must come back as duplicates of the same incidents.
      if (after_failure && next > 0) {
        const Batch& prev = batches_[next - 1];
        PostOutcome again = PostBatch(port_.load(), token_, prev);
        if (again.acked) {
          ++replay_checks_;
          CheckDuplicateOf(prev, again, "batch " + std::to_string(next - 1) + " re-sent after a restart");
        } else if (again.http_status != 0) {
          Problem("batch " + std::to_string(next - 1) + " re-sent after a restart: " + again.problem);
        }
      }
      after_failure = false;
      ++next;
    }
  }

  void CheckDuplicateOf(const Batch& b, const PostOutcome& o, const std::string& what) {
    for (size_t i = 0; i < o.items.size(); ++i) {
      if (o.items[i].first != "duplicate") {
        Problem(what + ": item " + b.keys[i] + " answered '" + o.items[i].first + "', not 'duplicate'");
        return;
      }
      if (o.items[i].second != b.incident_ids[i]) {
        Problem(what + ": item " + b.keys[i] + " names incident " + std::to_string(o.items[i].second) +
                ", first acknowledged with " + std::to_string(b.incident_ids[i]));
        return;
      }
    }
  }

  void Problem(std::string p) {
    std::lock_guard lock(mu_);
    if (problems_.size() < 20) problems_.push_back(std::move(p));
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mu_);
    return problems_;
  }

  std::atomic<bool> stop_{false};   // finish the batch in hand, then stop
  std::atomic<bool> abort_{false};  // stop now (the test has failed)
  std::atomic<bool> in_flight_{false};
  std::atomic<int> acked_batches_{0};
  std::atomic<int> failed_posts_{0};
  std::atomic<int> resent_batches_{0}, resent_all_duplicate_{0}, resent_all_stored_{0}, resent_mixed_{0};
  int replay_checks_ = 0;
  std::vector<Batch> batches_;  // the sender's until it is joined

 private:
  const std::atomic<std::uint16_t>& port_;
  std::string token_;
  std::mutex mu_;
  std::vector<std::string> problems_;
};

// A read-only look at the store file.
class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
      sqlite3_close(db_);
      db_ = nullptr;
    }
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  bool ok() const { return db_ != nullptr; }

  // Every row of `sql` (with text parameters bound in order), each column as text.
  std::vector<std::vector<std::string>> Rows(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return rows;
    }
    for (size_t i = 0; i < params.size(); ++i)
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* t = sqlite3_column_text(stmt, c);
        row.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return rows;
  }
  std::string One(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = Rows(sql, params);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Waits until the hub writes to the WAL (its modification time or size changes): the frames
// of the batch in flight are being written, and the sync that makes them a commit follows.
bool WaitForWalWrite(const std::string& wal_path, std::chrono::milliseconds limit) {
  struct stat before{};
  bool existed = ::stat(wal_path.c_str(), &before) == 0;
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    struct stat now{};
    bool exists = ::stat(wal_path.c_str(), &now) == 0;
    if (exists != existed ||
        (exists && (now.st_size != before.st_size || now.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                    now.st_mtim.tv_nsec != before.st_mtim.tv_nsec)))
      return true;
    std::this_thread::yield();
  }
  return false;
}

// Polls the store (read-only, beside the running hub) until `key` is committed; false on timeout.
// SQLite makes a WAL commit visible to other connections only after it is synced, so this
// returns just after the commit, while the hub is still building its answer.
bool WaitUntilCommitted(const std::string& db_path, const std::string& key, std::chrono::milliseconds limit) {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  bool found = false;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT 1 FROM events WHERE idempotency_key = ?1", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    auto deadline = Clock::now() + limit;
    while (!found && Clock::now() < deadline) {
      sqlite3_bind_text(stmt, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_STATIC);
      found = sqlite3_step(stmt) == SQLITE_ROW;
      sqlite3_reset(stmt);
      if (!found) std::this_thread::sleep_for(200us);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return found;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbrain-crash-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_path_ = dir_ + "/hub.db";
    log_path_ = dir_ + "/hub.log";
    binary_ = GlassbrainBinary();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << "no glassbrain binary at " << binary_;
  }
  void TearDown() override {
    if (hub_) hub_->Kill();
    hub_.reset();
    if (HasFailure()) std::cerr << "hub log (tail):\n" << TailOf(log_path_) << "\n";
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string dir_, db_path_, log_path_, binary_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(CrashTest, KillNineDuringBatchIngestLosesNoAcknowledgedEventAndStoresNoDuplicate) {
  const auto test_started = Clock::now();
  const std::string store = "sqlite:" + db_path_;

  auto [import_status, import_out] =
      RunCommand({binary_, "import", "--store", store, std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo"}, log_path_);
  ASSERT_TRUE(WIFEXITED(import_status) && WEXITSTATUS(import_status) == 0)
      << "import: " << DescribeStatus(import_status) << "\n" << import_out << TailOf(log_path_);
  auto [token_status, token_out] =
      RunCommand({binary_, "token", "create", "--store", store, "--name", "edge-1", "--role", "edge"}, log_path_);
  ASSERT_TRUE(WIFEXITED(token_status) && WEXITSTATUS(token_status) == 0)
      << "token create: " << DescribeStatus(token_status) << "\n" << TailOf(log_path_);
  std::string token = token_out.substr(0, token_out.find_first_of("\r\n"));
  ASSERT_FALSE(token.empty());

  hub_ = std::make_unique<HubProcess>(binary_, store, log_path_);
  ASSERT_TRUE(hub_->Start());

  Sender sender(hub_->port_ref(), token);
  std::thread sender_thread([&sender] { sender.Run(); });
  struct JoinOnExit {
    Sender& s;
    std::thread& t;
    ~JoinOnExit() {
      s.abort_ = true;
      if (t.joinable()) t.join();
    }
  } join_on_exit{sender, sender_thread};

  // Waits until the sender has had `n` batches acknowledged in all.
  auto wait_for_acks = [&](int n) {
    auto deadline = Clock::now() + kProgressTimeout;
    while (sender.acked_batches_ < n && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return sender.acked_batches_ >= n;
  };

  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> delay_ms(50, 400);
  std::uniform_int_distribution<int> sync_delay_ms(1, 4);
  struct Kill {
    std::string moment;
    int batch_in_flight;
  };
  std::vector<Kill> kills;
  for (;;) {
    // At least one batch goes through on each incarnation (after a restart, the first is the
    // re-sent one), so every restart is exercised.
    ASSERT_TRUE(wait_for_acks(sender.acked_batches_ + 1)) << "no batch was acknowledged after kill " << kills.size();
    const int cycle = static_cast<int>(kills.size());
    if (cycle >= kKillCycles &&
        ((sender.resent_all_duplicate_ > 0 && sender.resent_all_stored_ > 0) || cycle >= kMaxKillCycles ||
         Clock::now() - test_started > kExtraCyclesUntil))
      break;
    // The moment of the kill, in turn: after a random delay; as soon as the hub starts to
    // write the batch in flight to the WAL (a torn commit); a few milliseconds later (while
    // it syncs the WAL: the commit is whole in the page cache, but not answered); as soon as
    // the commit is visible to readers (while the hub builds its answer).
    Kill k{"", sender.acked_batches_.load()};
    const std::string key = "crash/" + std::to_string(k.batch_in_flight) + "/" + std::to_string(kEventsPerBatch - 1);
    switch (cycle % 4) {
      case 0: {
        int delay = delay_ms(rng);
        k.moment = std::to_string(delay) + " ms";
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        break;
      }
      case 1:
        ASSERT_TRUE(WaitForWalWrite(db_path_ + "-wal", kProgressTimeout)) << "the hub never wrote its WAL";
        k.moment = "the first WAL write";
        break;
      case 2: {
        ASSERT_TRUE(WaitForWalWrite(db_path_ + "-wal", kProgressTimeout)) << "the hub never wrote its WAL";
        int delay = sync_delay_ms(rng);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        k.moment = "the first WAL write + " + std::to_string(delay) + " ms";
        break;
      }
      case 3:
        ASSERT_TRUE(WaitUntilCommitted(db_path_, key, kProgressTimeout)) << key << " was never committed";
        k.moment = "the commit became visible";
        break;
    }
    // Batches are acknowledged in order, so the one in flight is the first not acknowledged.
    k.batch_in_flight = sender.acked_batches_.load();
    hub_->Kill();
    kills.push_back(k);
    ASSERT_TRUE(hub_->Start()) << "restart after kill " << kills.size();
  }
  // Let the last incarnation take the re-sent batch and one more, then stop sending.
  ASSERT_TRUE(wait_for_acks(sender.acked_batches_ + 2));
  sender.stop_ = true;
  sender_thread.join();

  for (const auto& p : sender.problems()) ADD_FAILURE() << p;
  const auto& batches = sender.batches_;
  ASSERT_FALSE(batches.empty());
  for (const auto& b : batches) ASSERT_TRUE(b.acked) << "a batch was left unacknowledged";

  // Every acknowledged batch, sent again as it was, is a duplicate of the same incidents.
  int replayed = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    PostOutcome o = PostBatch(hub_->port(), token, batches[i]);
    ASSERT_TRUE(o.acked) << "re-sending batch " << i << ": " << o.problem;
    sender.CheckDuplicateOf(batches[i], o, "batch " + std::to_string(i) + " re-sent at the end");
    ++replayed;
  }
  for (const auto& p : sender.problems()) ADD_FAILURE() << p;

  // Graceful shutdown: SIGTERM, exit code 0, promptly.
  double shutdown_seconds = 0;
  auto term = hub_->Terminate(kShutdownLimit, &shutdown_seconds);
  ASSERT_TRUE(term.has_value()) << "the hub did not exit within " << kShutdownLimit.count() << " s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(*term) && WEXITSTATUS(*term) == 0) << "after SIGTERM: " << DescribeStatus(*term);
  // Closing the store cleanly checkpoints the WAL into the database file and removes it.
  EXPECT_FALSE(std::filesystem::exists(db_path_ + "-wal")) << "the WAL is left behind after a clean shutdown";

  // What the file holds.
  std::map<std::string, std::int64_t> acked;  // key → incident id as acknowledged
  for (const auto& b : batches)
    for (size_t i = 0; i < b.keys.size(); ++i) acked.emplace(b.keys[i], b.incident_ids[i]);

  Db db(db_path_);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db.One("PRAGMA integrity_check"), "ok");
  EXPECT_TRUE(db.Rows("PRAGMA foreign_key_check").empty()) << "rows point at missing parents";

  // Invariant 4: no idempotency key twice.
  auto dups = db.Rows("SELECT idempotency_key, COUNT(*) FROM events GROUP BY idempotency_key HAVING COUNT(*) > 1");
  EXPECT_TRUE(dups.empty()) << dups.size() << " keys are stored more than once, e.g. " << dups[0][0];
  // Every key ever sent was acknowledged in the end (the sender re-sends until it is), so
  // the table holds exactly the acknowledged keys.
  EXPECT_EQ(db.One("SELECT COUNT(*) FROM events"), std::to_string(acked.size()));

  // Invariant 3: each acknowledged key is there once, linked to the incident it was acknowledged with.
  {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db.handle(),
                                 "SELECT COUNT(*), MIN(coalesce(incident_id, 0)) FROM events WHERE idempotency_key = ?1",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    size_t missing = 0, doubled = 0, moved = 0;
    std::string first_bad;
    for (const auto& [key, incident] : acked) {
      sqlite3_reset(stmt);
      sqlite3_bind_text(stmt, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_STATIC);
      if (sqlite3_step(stmt) != SQLITE_ROW) {
        ADD_FAILURE() << "cannot look up " << key << ": " << sqlite3_errmsg(db.handle());
        break;
      }
      std::int64_t n = sqlite3_column_int64(stmt, 0), stored_incident = sqlite3_column_int64(stmt, 1);
      if (n == 1 && stored_incident == incident) continue;
      (n == 0 ? missing : n > 1 ? doubled : moved)++;
      if (first_bad.empty())
        first_bad = key + " (rows " + std::to_string(n) + ", incident " + std::to_string(stored_incident) +
                    ", acknowledged with " + std::to_string(incident) + ")";
    }
    sqlite3_finalize(stmt);
    EXPECT_EQ(missing, 0u) << "acknowledged events lost, e.g. " << first_bad;
    EXPECT_EQ(doubled, 0u) << "acknowledged events stored twice, e.g. " << first_bad;
    EXPECT_EQ(moved, 0u) << "events stored with another incident than acknowledged, e.g. " << first_bad;
  }

  // No half transaction survived a kill: incidents agree with their events, and the state
  // counts kept beside the incidents agree with the incidents.
  EXPECT_EQ(db.One("SELECT COUNT(*) FROM events e LEFT JOIN incidents i ON i.id = e.incident_id WHERE i.id IS NULL"),
            "0");
  EXPECT_EQ(db.One("SELECT COUNT(*) FROM incidents i WHERE event_count <> "
                   "(SELECT COUNT(*) FROM events e WHERE e.incident_id = i.id)"),
            "0");
  EXPECT_EQ(db.One("SELECT COUNT(*) FROM incident_state_counts c WHERE n <> "
                   "(SELECT COUNT(*) FROM incidents i WHERE i.state = c.state)"),
            "0");
  std::string incidents = db.One("SELECT COUNT(*) FROM incidents");

  double total = std::chrono::duration<double>(Clock::now() - test_started).count();
  std::ostringstream summary;
  summary << "seed " << kSeed << "; kills (moment -> the batch in flight):";
  for (const auto& k : kills) {
    summary << "\n  after " << k.moment << " -> batch " << k.batch_in_flight << ": ";
    if (static_cast<size_t>(k.batch_in_flight) >= batches.size()) {
      summary << "never sent";
      continue;
    }
    const Batch& b = batches[static_cast<size_t>(k.batch_in_flight)];
    summary << (b.resent_answer.empty() ? std::string("acknowledged before the kill")
                                        : "re-sent, answered " + b.resent_answer);
  }
  summary << "\n" << batches.size() << " batches / " << acked.size() << " events acknowledged, " << incidents
          << " incidents; " << kills.size() << " kills; "
          << sender.failed_posts_ << " failed posts; " << sender.resent_batches_ << " batches re-sent ("
          << sender.resent_all_duplicate_ << " all duplicate: committed before the kill, " << sender.resent_all_stored_
          << " all stored, " << sender.resent_mixed_ << " mixed); " << sender.replay_checks_
          << " post-restart duplicate checks; " << replayed << " batches replayed at the end\nready after start (s):";
  for (double s : hub_->ready_seconds()) summary << " " << std::round(s * 1000) / 1000;
  summary << "; SIGTERM to exit " << shutdown_seconds << " s; total " << total << " s\n";
  std::cout << summary.str();
  RecordProperty("summary", summary.str());
}

}  // namespace
}  // namespace gb::testing
