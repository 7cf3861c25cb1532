// A real mosquitto 2.0 broker for the tests of the MQTT link: /usr/sbin/mosquitto with a
// generated configuration in a temporary directory, listening on a free 127.0.0.1 port,
// anonymous clients allowed, persistence on into that directory (persistent sessions and
// their queued QoS 1/2 messages survive Stop()/Start()), removed again at the end.
//
// When the tests run as root (as in CI), the broker runs as the `mosquitto` system user,
// which owns the temporary directory (switched to before exec, so mosquitto does not drop
// privileges itself); otherwise as the current user. The broker is a child of the thread that
// started it and is killed when that thread ends: make it on the test's main thread.
//
// Every failure (mosquitto not installed, a broker that does not start) throws
// std::runtime_error with what went wrong and the broker log's tail: a test fails, it never
// skips. See docs/testing.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/service_process.h"

namespace gb::testing {

class MosquittoBroker {
 public:
  // Writes the configuration and starts the broker. Throws std::runtime_error.
  MosquittoBroker();
  // Stops the broker and removes the directory.
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  // mqtt://127.0.0.1:PORT
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

  // SIGTERM and waits (at most 15 s) for the broker to exit; it saves its persistence file
  // on the way out. Does nothing when stopped. Throws when it does not exit in time or fails.
  void Stop();
  // SIGKILL, as in a crash: nothing is saved since the last autosave. Does nothing when stopped.
  void Kill();
  // Starts the broker again, same configuration, port and persistence file, and waits (at
  // most 15 s) until it accepts connections. Does nothing when running.
  void Start();
  bool running() const { return broker_ != nullptr; }

  // The last lines of the broker's log: for the messages of failing tests.
  std::string LogTail(std::size_t lines = 30) const;

 private:
  void StartOn(std::uint16_t port);
  void WriteConfig();
  void RemoveDir();
  std::string Fail(const std::string& what) const;

  service::Account account_;
  std::string dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<service::Child> broker_;
};

}  // namespace gb::testing
