// The PostgreSQL test server (support/postgres_server.h) is what the PostgreSQL store's tests
// will stand on: a real PostgreSQL 15 with PostGIS, reached as an ordinary role over TCP with
// its password, durable settings on, databases of its own per test, and a server that can be
// restarted and made to drop its connections.
#include "support/postgres_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>

namespace gb::testing {
namespace {

class PostgresServerTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    const auto start = std::chrono::steady_clock::now();
    try {
      server_ = new PostgresServer();
    } catch (const std::exception& e) {
      error_ = e.what();
      return;
    }
    std::cout << "PostgreSQL test server ready in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
              << " ms on port " << server_->port() << "\n";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

 protected:
  // Each test fails with why the suite's server is not there (a test never skips). A test
  // that stopped it and failed before starting it again does not take the next one down.
  void SetUp() override {
    if (!server_) FAIL() << error_;
    server_->Start();
  }
  PostgresServer& server() { return *server_; }
  // One value of a query on a fresh connection to `url`.
  static std::string Query(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }

 private:
  static inline PostgresServer* server_ = nullptr;
  static inline std::string error_;
};

TEST_F(PostgresServerTest, TheRoleReachesItsDatabaseOverTcpWithPostgis) {
  const std::string url = server().url();
  EXPECT_EQ(url, "postgresql://glassbrain:" + server().password() + "@127.0.0.1:" + std::to_string(server().port()) +
                     "/glassbrain");
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), "glassbrain");
  EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), "glassbrain");
  EXPECT_EQ(tx.exec1("SELECT host(inet_server_addr())")[0].as<std::string>(), "127.0.0.1");
  EXPECT_FALSE(tx.exec1("SELECT postgis_version()")[0].as<std::string>().empty());
  // The hub's own account is no superuser: what it may do, it may do as the database's owner.
  EXPECT_FALSE(tx.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>());
  EXPECT_EQ(tx.exec1("SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()")[0]
                .as<std::string>(),
            "glassbrain");
  EXPECT_EQ(tx.exec1("SHOW synchronous_commit")[0].as<std::string>(), "on");
  EXPECT_EQ(tx.exec1("SHOW fsync")[0].as<std::string>(), "on");
  // The role can make spatial tables of its own in the public schema.
  tx.exec("CREATE TABLE places (id bigint PRIMARY KEY, at geometry(Point, 4326) NOT NULL)");
  tx.exec("INSERT INTO places VALUES (1, ST_SetSRID(ST_MakePoint(13.40, 52.52), 4326))");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM places WHERE ST_DWithin(at::geography, "
                     "ST_SetSRID(ST_MakePoint(13.401, 52.52), 4326)::geography, 100)")[0]
                .as<int>(),
            1);
  tx.exec("DROP TABLE places");
}

TEST_F(PostgresServerTest, TcpNeedsThePassword) {
  const std::string port = std::to_string(server().port());
  EXPECT_THROW(pqxx::connection("postgresql://glassbrain:wrong@127.0.0.1:" + port + "/glassbrain"),
               pqxx::broken_connection);
  // The superuser has no password: only the Unix socket in the server's directory lets it in.
  EXPECT_THROW(pqxx::connection("postgresql://postgres@127.0.0.1:" + port + "/postgres"), pqxx::broken_connection);
  EXPECT_EQ(Query(server().SuperuserUrl(), "SELECT current_setting('is_superuser')"), "on");
}

TEST_F(PostgresServerTest, CreateDatabaseMakesAnIndependentDatabaseWithPostgis) {
  const std::string a = server().CreateDatabase("gb_isolated_a");
  const std::string b = server().CreateDatabase("gb_isolated_b");
  EXPECT_EQ(a, server().UrlOf("gb_isolated_a"));
  EXPECT_EQ(Query(a, "SELECT current_database()"), "gb_isolated_a");
  EXPECT_FALSE(Query(b, "SELECT postgis_version()").empty());
  EXPECT_EQ(Query(b, "SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()"),
            "glassbrain");
  {
    pqxx::connection c(a);
    pqxx::work tx(c);
    tx.exec("CREATE TABLE only_in_a (id int)");
    tx.commit();
  }
  EXPECT_EQ(Query(a, "SELECT to_regclass('only_in_a')::text"), "only_in_a");
  EXPECT_EQ(Query(b, "SELECT to_regclass('only_in_a')::text"), "");
  EXPECT_EQ(Query(server().url(), "SELECT to_regclass('only_in_a')::text"), "");
  EXPECT_THROW(server().CreateDatabase("gb_isolated_a"), std::runtime_error);  // exists already
  EXPECT_THROW(server().CreateDatabase("Robert'); DROP TABLE x; --"), std::runtime_error);
}

TEST_F(PostgresServerTest, StopAndStartKeepCommittedData) {
  const std::string url = server().CreateDatabase("gb_restart");
  {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec("CREATE TABLE kept (v text)");
    tx.exec("INSERT INTO kept VALUES ('before the restart')");
    tx.commit();
  }
  const auto start = std::chrono::steady_clock::now();
  server().Stop();
  EXPECT_FALSE(server().running());
  EXPECT_THROW(pqxx::connection{url}, pqxx::broken_connection);
  server().Start();
  std::cout << "restart took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
            << " ms\n";
  EXPECT_TRUE(server().running());
  EXPECT_EQ(Query(url, "SELECT v FROM kept"), "before the restart");  // same url: same port
  EXPECT_FALSE(Query(server().url(), "SELECT postgis_version()").empty());
}

// As in a crash: no shutdown checkpoint, and the restart replays the WAL. With fsync and
// synchronous_commit on, a commit that returned is there afterwards.
TEST_F(PostgresServerTest, AnImmediateStopKeepsCommittedData) {
  const std::string url = server().CreateDatabase("gb_crash");
  {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec("CREATE TABLE kept (v text)");
    tx.exec("INSERT INTO kept VALUES ('committed before the crash')");
    tx.commit();
  }
  server().Stop(PostgresServer::Shutdown::kImmediate);
  server().Start();
  EXPECT_EQ(Query(url, "SELECT v FROM kept"), "committed before the crash");
  EXPECT_NE(server().LogTail(100).find("database system was interrupted"), std::string::npos) << server().LogTail();
}

TEST_F(PostgresServerTest, TerminateConnectionsBreaksAnOpenConnection) {
  pqxx::connection c(server().url());
  const int pid = pqxx::nontransaction(c).exec1("SELECT pg_backend_pid()")[0].as<int>();
  // Inside a transaction libpqxx 6 does not reconnect by itself: the loss shows.
  pqxx::work tx(c);
  tx.exec("SELECT 1");
  EXPECT_GE(server().TerminateConnections(), 1);
  EXPECT_THROW(tx.exec("SELECT 1"), pqxx::broken_connection);
  // The server itself keeps running and takes new connections.
  pqxx::connection again(server().url());
  EXPECT_NE(pqxx::nontransaction(again).exec1("SELECT pg_backend_pid()")[0].as<int>(), pid);
}

}  // namespace
}  // namespace gb::testing
