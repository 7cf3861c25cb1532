#include "support/mqtt_broker.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace gb::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
constexpr const char* kInstallHint = "install mosquitto with scripts/install-deps.sh";
constexpr const char* kDirPrefix = "glassbrain-mqtt";
}  // namespace

MosquittoBroker::MosquittoBroker() {
  if (!service::IsExecutable(kMosquitto))
    throw std::runtime_error(std::string("mosquitto is missing (no ") + kMosquitto + "): " + kInstallHint);
  account_ = service::AccountFor("mosquitto", kInstallHint);
  // The broker dies with its test (see the header); a crashed test's directory stays behind.
  service::RemoveAbandonedDirs(kDirPrefix, [](const std::string&) {});
  dir_ = service::MakeDirFor(kDirPrefix, account_);
  try {
    service::ClaimDir(dir_);
    // Another test process may take the port between FreeLoopbackPort and the broker's bind;
    // only the first start may move to another port, since urls handed out name the port.
    for (int attempt = 1;; ++attempt) {
      try {
        StartOn(service::FreeLoopbackPort());
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 3 || LogTail(5).find("Address already in use") == std::string::npos) throw;
      }
    }
  } catch (...) {
    RemoveDir();  // the constructor did not complete: the destructor will not run
    throw;
  }
}

MosquittoBroker::~MosquittoBroker() { RemoveDir(); }

void MosquittoBroker::RemoveDir() {
  if (dir_.empty()) return;
  try {
    Stop();
  } catch (const std::exception&) {
    Kill();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

void MosquittoBroker::WriteConfig() {
  std::ofstream conf(dir_ + "/mosquitto.conf", std::ios::trunc);
  conf << "# glassbrain tests\n"
       << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "persistence true\n"
       << "persistence_location " << dir_ << "/\n"  // the trailing slash is required
       << "persistence_file mosquitto.db\n"
       << "log_dest stderr\n"
       << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
       << "connection_messages true\n"
       << "log_timestamp_format %H:%M:%S\n";
  if (!conf.flush()) throw std::runtime_error(Fail("cannot write mosquitto.conf"));
}

void MosquittoBroker::StartOn(std::uint16_t port) {
  port_ = port;
  WriteConfig();
  broker_ = std::make_unique<service::Child>(std::vector<std::string>{kMosquitto, "-c", dir_ + "/mosquitto.conf"},
                                             account_, dir_, dir_ + "/mosquitto.log", /*die_with_parent=*/true);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!service::AcceptsConnections(port_)) {
    const int status = broker_->Wait(0ms);
    if (status >= 0 || std::chrono::steady_clock::now() > deadline) {
      broker_.reset();  // kills it if it still runs
      throw std::runtime_error(Fail(status >= 0 ? "the broker exited " + std::to_string(status)
                                                : "the broker does not accept connections after 15 s"));
    }
    std::this_thread::sleep_for(20ms);
  }
}

void MosquittoBroker::Stop() {
  if (!broker_) return;
  broker_->Signal(SIGTERM);
  const int status = broker_->Wait(15s);
  if (status < 0) throw std::runtime_error(Fail("the broker did not exit within 15 s of SIGTERM"));
  broker_.reset();
  if (status != 0) throw std::runtime_error(Fail("the broker exited " + std::to_string(status)));
}

void MosquittoBroker::Kill() {
  if (!broker_) return;
  broker_->Signal(SIGKILL);
  broker_->Wait(15s);
  broker_.reset();
}

void MosquittoBroker::Start() {
  if (broker_) return;
  StartOn(port_);
}

std::string MosquittoBroker::LogTail(std::size_t lines) const {
  return service::FileTail(dir_ + "/mosquitto.log", lines);
}

std::string MosquittoBroker::Fail(const std::string& what) const {
  return "mosquitto test broker in " + dir_ + ": " + what + "\n-- broker log:\n" + LogTail();
}

}  // namespace gb::testing
