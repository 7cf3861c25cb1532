#include "support/postgres_server.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>

// libpqxx 6.4 leaks the PGresult of a query that fails because the connection is lost:
// connection_base::make_result asks for the client encoding, which throws broken_connection,
// before the result object owns the PGresult. Every lost-connection test would fail under
// LeakSanitizer for it (2 KiB per failed query, in the library, not the caller), so the
// binaries that link this file tell LSan to ignore leaked PGresults; nothing else here
// allocates one.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }

namespace gb::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kPostgisControl = "/usr/share/postgresql/15/extension/postgis.control";
constexpr const char* kInstallHint = "install PostgreSQL 15 and PostGIS with scripts/install-deps.sh";
constexpr const char* kDirPrefix = "glassbrain-pg";
// A cluster with PostGIS, copied by CREATE DATABASE: a copy takes a fraction of the second
// that CREATE EXTENSION postgis takes in a fresh database.
constexpr const char* kTemplate = "glassbrain_template";

std::string Bin(const std::string& program) { return std::string(kBinDir) + "/" + program; }

// Letters and digits only: the password goes into urls unescaped.
std::string RandomPassword() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string p;
  for (int i = 0; i < 24; ++i) p += kAlphabet[pick(rd)];
  return p;
}

bool ValidDatabaseName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace

PostgresServer::PostgresServer() {
  for (const char* program : {"initdb", "pg_ctl", "postgres"})
    if (!service::IsExecutable(Bin(program)))
      throw std::runtime_error("PostgreSQL 15 is missing (no " + Bin(program) + "): " + kInstallHint);
  if (!fs::exists(kPostgisControl))
    throw std::runtime_error(std::string("PostGIS for PostgreSQL 15 is missing (no ") + kPostgisControl +
                             "): " + kInstallHint);
  account_ = service::AccountFor("postgres", kInstallHint);
  // pg_ctl's server outlives a test binary that crashed: stop it.
  service::RemoveAbandonedDirs(kDirPrefix, [this](const std::string& dir) {
    if (fs::exists(dir + "/data/postmaster.pid"))
      service::Run({Bin("pg_ctl"), "stop", "-D", dir + "/data", "-m", "immediate", "-w", "-t", "30", "-s"}, account_,
                   "/", "/dev/null", 40s);
  });
  dir_ = service::MakeDirFor(kDirPrefix, account_);
  try {
    service::ClaimDir(dir_);
    password_ = RandomPassword();
    InitCluster();
    // Another test process may take the port between FreeLoopbackPort and the server's bind;
    // only the first start may move to another port, since urls handed out name the port.
    for (int attempt = 1;; ++attempt) {
      try {
        StartOn(service::FreeLoopbackPort());
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 3 || LogTail(5).find("could not bind") == std::string::npos) throw;
      }
    }
    CreateRoleAndTemplate();
  } catch (...) {
    RemoveCluster();  // the constructor did not complete: the destructor will not run
    throw;
  }
}

PostgresServer::~PostgresServer() { RemoveCluster(); }

void PostgresServer::RemoveCluster() {
  if (dir_.empty()) return;
  try {
    Stop(Shutdown::kImmediate);
  } catch (const std::exception&) {  // a destructor must not throw; the directory goes anyway
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

void PostgresServer::InitCluster() {
  // The superuser gets in only through the socket in dir_ (trust); over TCP every role needs
  // its password, as in production. initdb's own fsync of the new files is skipped (only an
  // OS crash could lose them, and the cluster is thrown away); the server runs with fsync on.
  const int status = service::Run({Bin("initdb"), "-D", dir_ + "/data", "-U", "postgres", "--auth-local=trust",
                                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
                                   "--no-instructions"},
                                  account_, dir_, dir_ + "/pg_ctl.out", 120s);
  if (status != 0) throw std::runtime_error(Fail("initdb exited " + std::to_string(status)));
  fs::create_directory(dir_ + "/socket");
  if (account_.switch_user && chown((dir_ + "/socket").c_str(), account_.uid, account_.gid) != 0)
    throw std::runtime_error(Fail("chown of the socket directory failed"));
  // What the hub's durability rests on is set explicitly, not left to the defaults.
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "\n# glassbrain tests\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = '" << dir_ << "/socket'\n"
       << "fsync = on\n"
       << "synchronous_commit = on\n"
       << "full_page_writes = on\n"
       // After a crash the server fsyncs the whole data directory before it replays the WAL,
       // file by file by default: seconds for the thousands of files of a few PostGIS
       // databases. One syncfs() does the same.
       << "recovery_init_sync_method = syncfs\n"
       // Small, since a test machine runs several servers and builds at once.
       << "shared_buffers = 32MB\n"
       << "max_connections = 50\n"
       << "logging_collector = off\n";
  if (!conf.flush()) throw std::runtime_error(Fail("cannot write postgresql.conf"));
}

void PostgresServer::StartOn(std::uint16_t port) {
  port_ = port;
  // -w: pg_ctl returns once the server accepts connections, or fails after -t seconds.
  const int status = service::Run({Bin("pg_ctl"), "start", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w",
                                   "-t", "60", "-s", "-o", "-p " + std::to_string(port)},
                                  account_, dir_, dir_ + "/pg_ctl.out", 90s);
  if (status != 0) {
    // A server that came up after pg_ctl gave up must not outlive the attempt.
    service::Run({Bin("pg_ctl"), "stop", "-D", dir_ + "/data", "-m", "immediate", "-w", "-t", "30", "-s"}, account_,
                 dir_, dir_ + "/pg_ctl.out", 40s);
    throw std::runtime_error(Fail("the server did not start on port " + std::to_string(port) + " (pg_ctl exited " +
                                  std::to_string(status) + ")"));
  }
  running_ = true;
  try {  // pg_ctl saw it ready; this is the path the setup SQL takes
    pqxx::connection c(SuperuserUrl());
    pqxx::nontransaction(c).exec("SELECT 1");
  } catch (const std::exception& e) {
    throw std::runtime_error(Fail(std::string("the server does not answer: ") + e.what()));
  }
}

void PostgresServer::CreateRoleAndTemplate() {
  try {
    {
      pqxx::connection c(SuperuserUrl());
      pqxx::nontransaction tx(c);  // CREATE DATABASE cannot run inside a transaction
      tx.exec("CREATE ROLE " + tx.quote_name(role_) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD " +
              tx.quote(password_));
      tx.exec(std::string("CREATE DATABASE ") + kTemplate);
    }
    {
      pqxx::connection c(SuperuserUrl(kTemplate));
      pqxx::nontransaction(c).exec("CREATE EXTENSION postgis");
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(Fail(std::string("setting up the role and PostGIS failed: ") + e.what()));
  }
  CreateDatabase("glassbrain");
}

std::string PostgresServer::UrlOf(const std::string& database) const {
  return "postgresql://" + role_ + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::SuperuserUrl(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + dir_ + "/socket&port=" + std::to_string(port_) + "&user=postgres";
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  if (!ValidDatabaseName(name)) throw std::runtime_error("not a database name the tests may use: '" + name + "'");
  try {
    pqxx::connection c(SuperuserUrl());
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + name + " TEMPLATE " + kTemplate + " OWNER " + tx.quote_name(role_));
  } catch (const std::exception& e) {
    throw std::runtime_error("CREATE DATABASE " + name + " failed: " + e.what());
  }
  return UrlOf(name);
}

void PostgresServer::Stop(Shutdown mode) {
  if (!running_) return;
  const int status = service::Run({Bin("pg_ctl"), "stop", "-D", dir_ + "/data", "-m",
                                   mode == Shutdown::kFast ? "fast" : "immediate", "-w", "-t", "60", "-s"},
                                  account_, dir_, dir_ + "/pg_ctl.out", 90s);
  if (status != 0) throw std::runtime_error(Fail("pg_ctl stop exited " + std::to_string(status)));
  running_ = false;
}

void PostgresServer::Start() {
  if (running_) return;
  StartOn(port_);
}

int PostgresServer::TerminateConnections() {
  pqxx::connection c(SuperuserUrl());
  pqxx::nontransaction tx(c);
  // The timeout makes it wait until each backend has ended, so that the caller's next query
  // on a terminated connection fails for sure.
  auto row = tx.exec1(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
      "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
  return row[0].as<int>();
}

std::string PostgresServer::LogTail(std::size_t lines) const { return service::FileTail(dir_ + "/server.log", lines); }

std::string PostgresServer::Fail(const std::string& what) const {
  return "PostgreSQL test server in " + dir_ + ": " + what + "\n-- pg_ctl/initdb output:\n" +
         service::FileTail(dir_ + "/pg_ctl.out", 15) + "-- server log:\n" + LogTail();
}

}  // namespace gb::testing
