// What the tests' real servers (PostgreSQL, mosquitto: postgres_server.h, mqtt_broker.h) are
// made of: a service account, a fresh directory it owns, child processes started as that
// account with their output in a file and waited for with a time limit, and loopback ports.
//
// The tests run as root in CI, and PostgreSQL refuses to run as root: there a server runs as
// its Debian package's system user (postgres, mosquitto), switched to in the forked child
// before exec. Run as anyone else, it runs as the current user.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gb::testing::service {

// The user a server runs as.
struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  bool switch_user = false;  // the child changes to uid/gid before exec (the tests run as root)
};

// `system_user` (made by the server's Debian package) when the tests run as root, else the
// current user. Throws std::runtime_error naming `install_hint` when the system user is missing.
Account AccountFor(const std::string& system_user, const std::string& install_hint);

// A fresh directory /tmp/<prefix>-XXXXXX, mode 0700, owned by `account`. Under /tmp rather
// than $TMPDIR: the service user must be able to reach it, and the Unix socket path inside
// it must stay shorter than 108 bytes.
std::string MakeDirFor(const std::string& prefix, const Account& account);

// Marks `dir` (made by MakeDirFor) as this process's, for RemoveAbandonedDirs.
void ClaimDir(const std::string& dir);
// A test binary that crashed or was killed by ctest's timeout never ran its destructors: the
// directories /tmp/<prefix>-* whose claiming process is gone are passed to `release` (to stop
// a server that outlived its test) and then removed, so that a failing CI machine does not
// fill up with them. Directories not yet claimed, or claimed by a running process, are left.
void RemoveAbandonedDirs(const std::string& prefix, const std::function<void(const std::string& dir)>& release);

// A program running in the background.
class Child {
 public:
  // Starts `argv` (argv[0] is the program path) as `account` in directory `cwd`, standard
  // input from /dev/null, standard output and error appended to `output_file`. With
  // `die_with_parent`, the kernel kills it (SIGKILL) when the thread that started it ends, so
  // that a crashed or timed-out test leaves no server behind. Throws when fork fails; a
  // program that cannot be executed exits 127.
  Child(const std::vector<std::string>& argv, const Account& account, const std::string& cwd,
        const std::string& output_file, bool die_with_parent);
  ~Child();  // SIGKILLs it if it still runs, and reaps it
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // The exit status (or 128 + signal), or -1 when it still runs after `timeout`.
  int Wait(std::chrono::milliseconds timeout);
  bool Running() { return Wait(std::chrono::milliseconds(0)) < 0; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// Runs `argv` to its end, as Child does; SIGKILLs it after `timeout`. Returns the exit status,
// or -1 when it was killed for taking too long.
int Run(const std::vector<std::string>& argv, const Account& account, const std::string& cwd,
        const std::string& output_file, std::chrono::milliseconds timeout);

// A 127.0.0.1 TCP port that was free a moment ago (bound to port 0, then released).
std::uint16_t FreeLoopbackPort();
// Whether something accepts TCP connections on 127.0.0.1:port now.
bool AcceptsConnections(std::uint16_t port);
// The last `lines` lines of a text file ("" when it cannot be read): for error messages.
std::string FileTail(const std::string& path, std::size_t lines = 30);
// Whether an executable file is at `path`.
bool IsExecutable(const std::string& path);

}  // namespace gb::testing::service
