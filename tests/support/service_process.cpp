#include "support/service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace gb::testing::service {

using namespace std::chrono_literals;

Account AccountFor(const std::string& system_user, const std::string& install_hint) {
  Account a;
  a.uid = geteuid();
  a.gid = getegid();
  if (a.uid != 0) {
    const passwd* pw = getpwuid(a.uid);
    a.name = pw ? pw->pw_name : std::to_string(a.uid);
    return a;
  }
  const passwd* pw = getpwnam(system_user.c_str());
  if (!pw)
    throw std::runtime_error("the tests run as root, and the server must run as the system user '" + system_user +
                             "', which does not exist: " + install_hint);
  a.name = system_user;
  a.uid = pw->pw_uid;
  a.gid = pw->pw_gid;
  a.switch_user = true;
  return a;
}

std::string MakeDirFor(const std::string& prefix, const Account& account) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  if (account.switch_user && chown(tmpl.c_str(), account.uid, account.gid) != 0)
    throw std::runtime_error("chown " + tmpl + " to " + account.name + ": " + std::strerror(errno));
  return tmpl;
}

void ClaimDir(const std::string& dir) {
  std::ofstream out(dir + "/owner");
  out << getpid() << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + dir + "/owner");
}

void RemoveAbandonedDirs(const std::string& prefix, const std::function<void(const std::string& dir)>& release) {
  std::vector<std::filesystem::path> abandoned;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/tmp", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (!it->path().filename().string().starts_with(prefix + "-")) continue;
    std::ifstream owner(it->path() / "owner");
    long pid = 0;
    if (!(owner >> pid) || pid <= 0) continue;  // still being made, or not readable for us
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // its owner still runs
    abandoned.push_back(it->path());
  }
  for (const auto& dir : abandoned) {
    release(dir);
    std::filesystem::remove_all(dir, ec);
  }
}

Child::Child(const std::vector<std::string>& argv, const Account& account, const std::string& cwd,
             const std::string& output_file, bool die_with_parent) {
  // Everything the child needs is prepared before fork: between fork and exec a child of a
  // multithreaded process may only make async-signal-safe calls (no allocation).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ > 0) return;

  int in = open("/dev/null", O_RDONLY);
  int out = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) _exit(126);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  if (account.switch_user) {
    // Group first: once the user has changed, the group can no longer be.
    if (setgroups(1, &account.gid) != 0 || setgid(account.gid) != 0 || setuid(account.uid) != 0) _exit(126);
  }
  // After the user change, which clears the parent-death signal.
  if (die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)) _exit(126);
  if (chdir(cwd.c_str()) != 0) _exit(126);
  execv(args[0], args.data());
  _exit(127);
}

Child::~Child() {
  if (pid_ > 0 && Running()) {
    Signal(SIGKILL);
    Wait(10s);
  }
}

void Child::Signal(int sig) {
  if (pid_ > 0 && status_ < 0) kill(pid_, sig);
}

int Child::Wait(std::chrono::milliseconds timeout) {
  if (status_ >= 0) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int st = 0;
    const pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (r < 0 && errno != EINTR) return status_ = 255;  // not our child any more: nothing to wait for
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(10ms);
  }
}

int Run(const std::vector<std::string>& argv, const Account& account, const std::string& cwd,
        const std::string& output_file, std::chrono::milliseconds timeout) {
  Child child(argv, account, cwd, output_file, /*die_with_parent=*/false);
  const int status = child.Wait(timeout);
  if (status < 0) {
    child.Signal(SIGKILL);
    child.Wait(10s);
  }
  return status;
}

std::uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("no free loopback port");
  return ntohs(a.sin_port);
}

bool AcceptsConnections(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

std::string FileTail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  std::string text;
  for (const auto& l : tail) text += l + "\n";
  return text;
}

bool IsExecutable(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace gb::testing::service
