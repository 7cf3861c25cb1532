// Helpers of the edge agent's tests: temporary directories, files, and child processes that
// run in the background (the agent under test), can be signalled (SIGTERM, SIGKILL) and are
// waited for with a time limit. Output goes to files in the process's directory, so a test
// can read what it logged at any time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gb::edge::testing {

// A fresh directory, removed with everything in it at the end of the scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "glassbrain-edge-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);  // "" when missing

// The glassbrain binary ($GLASSBRAIN_BIN, set by ctest).
std::string GlassbrainBinary();

class Process {
 public:
  // Starts `argv` (argv[0] is the program path) with extra environment variables and its
  // standard output and error in `log_prefix`.out / .err, and `input` on its standard input.
  // Killed (SIGKILL) if still running when destroyed.
  Process(std::vector<std::string> argv, const std::map<std::string, std::string>& env, std::string log_prefix,
          const std::string& input = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Signal(int sig);
  pid_t pid() const { return pid_; }
  // The exit status (or 128 + signal), or -1 when it still runs after `timeout`.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string out() const { return ReadFile(log_prefix_ + ".out"); }
  std::string err() const { return ReadFile(log_prefix_ + ".err"); }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_prefix_;
};

// Runs to the end (at most `timeout`) and returns {exit status, stdout + stderr}.
struct RunResult {
  int exit = -1;
  std::string out, err;
};
RunResult Run(std::vector<std::string> argv, const std::string& log_prefix,
              std::chrono::milliseconds timeout = std::chrono::seconds(120),
              const std::map<std::string, std::string>& env = {}, const std::string& input = "");

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns the last result.
template <typename F>
bool Eventually(F condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    struct timespec ts{0, 50'000'000};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace gb::edge::testing
