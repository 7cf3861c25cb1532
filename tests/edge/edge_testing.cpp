#include "edge_testing.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gb::edge::testing {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string GlassbrainBinary() {
  if (const char* bin = std::getenv("GLASSBRAIN_BIN"); bin && *bin) return bin;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "glassbrain").string();
}

Process::Process(std::vector<std::string> argv, const std::map<std::string, std::string>& env, std::string log_prefix,
                 const std::string& input)
    : log_prefix_(std::move(log_prefix)) {
  const std::string in_path = log_prefix_ + ".in";
  WriteFile(in_path, input);
  // Everything the child needs is laid out before fork(): after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s = *e;
    if (!env.count(s.substr(0, s.find('=')))) env_strings.push_back(s);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string out = log_prefix_ + ".out", err = log_prefix_ + ".err";
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open(in_path.c_str(), O_RDONLY);
    if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Process::~Process() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void Process::Signal(int sig) {
  if (Running()) kill(pid_, sig);
}

bool Process::Running() {
  if (status_ >= 0) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  Eventually([this] { return !Running(); }, timeout);
  return status_;
}

RunResult Run(std::vector<std::string> argv, const std::string& log_prefix, std::chrono::milliseconds timeout,
              const std::map<std::string, std::string>& env, const std::string& input) {
  std::error_code ignored;
  fs::remove(log_prefix + ".out", ignored);
  fs::remove(log_prefix + ".err", ignored);
  Process p(std::move(argv), env, log_prefix, input);
  RunResult r;
  r.exit = p.Wait(timeout);
  if (r.exit < 0) p.Signal(SIGKILL);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace gb::edge::testing
