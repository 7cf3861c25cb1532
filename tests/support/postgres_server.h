// A real PostgreSQL 15 server with PostGIS for the tests of the PostgreSQL store: a fresh
// cluster (initdb) in a temporary directory, served by pg_ctl on a free 127.0.0.1 port with
// fsync and synchronous_commit on, and removed again at the end. No mocks: the store's tests
// run against the server software it is meant to be deployed with.
//
// The cluster has a superuser `postgres`, reached only through the Unix socket in the
// temporary directory (trust), and an ordinary role `glassbrain` with a random password,
// reached over TCP (scram-sha-256), owning the database `glassbrain`. PostGIS is created in
// every database by the superuser, as an administrator does before the hub first starts.
//
// When the tests run as root (as in CI), initdb and the server run as the `postgres` system
// user, which owns the temporary directory; otherwise as the current user.
//
// Every failure (PostgreSQL or PostGIS not installed, a server that does not start) throws
// std::runtime_error with what went wrong and the server log's tail: a test fails, it never
// skips. See docs/testing.md.
//
// A binary that links this ignores, under LeakSanitizer, the PGresult libpqxx 6.4 leaks when
// a query fails on a lost connection (a library bug; see postgres_server.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "support/service_process.h"

namespace gb::testing {

class PostgresServer {
 public:
  // Creates the cluster, the role, the database and PostGIS in it, and starts the server.
  // Takes a few seconds: share one server among a suite's tests (CreateDatabase keeps them
  // apart). Throws std::runtime_error.
  PostgresServer();
  // Stops the server (immediate shutdown: its data is thrown away, so no checkpoint is
  // worth waiting for) and removes the directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgresql://glassbrain:PASSWORD@127.0.0.1:PORT/glassbrain, what the hub's store_url is.
  std::string url() const { return UrlOf("glassbrain"); }
  // The same for another database of the role (made by CreateDatabase).
  std::string UrlOf(const std::string& database) const;
  // The superuser on `database`, through the Unix socket: for what only an administrator may.
  std::string SuperuserUrl(const std::string& database = "postgres") const;
  std::uint16_t port() const { return port_; }
  const std::string& role() const { return role_; }
  const std::string& password() const { return password_; }
  // The cluster's directory (data/ is the data directory, server.log the server's log).
  const std::string& dir() const { return dir_; }

  // A fresh, empty database `name` ([a-z0-9_], at most 63 characters) owned by the role, with
  // PostGIS in it; returns its url. Throws when it exists already or the name is not allowed.
  std::string CreateDatabase(const std::string& name);

  enum class Shutdown {
    kFast,       // clients are disconnected, a checkpoint writes everything out (pg_ctl -m fast)
    kImmediate,  // as in a crash: no checkpoint; the next Start() recovers from the WAL
  };
  // Stops the server; what was committed stays either way. A fast shutdown's checkpoint
  // fsyncs every file written since the last one: a few seconds after CreateDatabase calls.
  // Does nothing when stopped. Throws when the server does not stop within 60 s.
  void Stop(Shutdown mode = Shutdown::kFast);
  // Starts the server again on the same data directory and port, and waits (at most 60 s)
  // until it accepts connections. Does nothing when running. Throws when it does not start.
  void Start();
  bool running() const { return running_; }

  // Ends every client backend but the caller's own (pg_terminate_backend), as when the
  // server drops its connections; returns how many were ended. The server keeps running.
  int TerminateConnections();

  // The last lines of the server's log: for the messages of failing tests.
  std::string LogTail(std::size_t lines = 30) const;

 private:
  void InitCluster();
  void StartOn(std::uint16_t port);
  void CreateRoleAndTemplate();
  void RemoveCluster();
  std::string Fail(const std::string& what) const;

  service::Account account_;
  std::string dir_;
  std::uint16_t port_ = 0;
  std::string role_ = "glassbrain";
  std::string password_;
  bool running_ = false;
};

}  // namespace gb::testing
