// The command line as an operator uses it: each test runs the real glassbrain binary (stdin
// fed, stdout/stderr and the exit status captured) against a SQLite store in a fresh
// temporary directory, then opens that store directly to check what the command did.
//
// Commands are run while the test holds no store open, as they would be in production
// (an operator's command next to nothing, or next to a running hub holding its own handle).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api/auth/crypto.h"
#include "core/env.h"
#include "district/district.h"
#include "district/persist.h"
#include "privacy/evidence/evidence_store.h"
#include "store/store.h"
#include "support/test_jpeg.h"

extern char** environ;

namespace gb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr TimeMs kDay = 86'400'000;
// Generous: a sanitizer build on a busy machine hashes a password slowly.
constexpr auto kCommandTimeout = std::chrono::seconds(120);

// The glassbrain binary: $GLASSBRAIN_BIN (set by ctest), else next to the tests directory.
std::string GlassbrainBinary() {
  if (const char* bin = std::getenv("GLASSBRAIN_BIN"); bin && *bin) return bin;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "glassbrain").string();
}

struct RunResult {
  int exit = -1;  // the exit status, or 128 + signal when the command died of one
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "exit " << r.exit << "\n--- stdout:\n" << r.out << "--- stderr:\n" << r.err;
}

// Runs `glassbrain args…` with `input` on its standard input (then end of file) and waits
// for it. A command that outlives kCommandTimeout is killed, so a hang fails the test
// instead of stalling the suite.
RunResult Glassbrain(const std::vector<std::string>& args, const std::string& input = "") {
  // A command may exit without reading its input (e.g. an unknown role); the write must
  // then fail with EPIPE instead of killing the test process.
  signal(SIGPIPE, SIG_IGN);

  // argv is laid out before fork(): between fork and exec the child only makes
  // async-signal-safe calls.
  std::vector<std::string> owned = {GlassbrainBinary()};
  if (access(owned[0].c_str(), X_OK) != 0) {
    ADD_FAILURE() << "no glassbrain binary at " << owned[0] << " (set GLASSBRAIN_BIN)";
    return {};
  }
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test; ignored signals survive exec, so SIGPIPE gets its default back.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    return {};
  }

  // The inputs are a line or two, far below a pipe's capacity: writing them all before
  // reading cannot block.
  for (size_t done = 0; done < input.size();) {
    ssize_t n = write(in[1], input.data() + done, input.size() - done);
    if (n <= 0) break;  // the command closed its standard input early
    done += static_cast<size_t>(n);
  }
  close(in[1]);

  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) ADD_FAILURE() << "glassbrain " << owned[1] << " did not finish within the time limit";
  result.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/glassbrain-cli-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<Store> OpenOrDie(const std::string& url) {
  auto store = OpenStore(url);
  if (!store.ok()) throw std::runtime_error(url + ": " + store.status().message());
  return std::move(*store);
}

District DemoDistrict() {
  auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
  if (!district.ok()) throw std::runtime_error(district.status().message());
  return std::move(*district);
}

// A store holding the demo district, closed again when this returns.
void CreateDemoStore(const std::string& url) {
  auto store = OpenOrDie(url);
  Status s = ReplaceDistrict(*store, DemoDistrict());
  if (!s.ok()) throw std::runtime_error(s.message());
}

std::string EvidenceRef(const std::string& jpeg) { return "sha256:" + auth::Sha256Hex(jpeg); }

// Stores an evidence image as the hub does (file first, then its record), dated by `env`.
std::string PutEvidence(Store& store, const std::string& dir, Env* env, const std::string& jpeg) {
  const std::string ref = EvidenceRef(jpeg);
  EvidenceStore evidence(dir, env);
  Status s = evidence.WriteFile(ref, jpeg);
  if (s.ok()) s = store.Write([&](WriteTxn& txn) { return evidence.Record(txn, ref, jpeg.size()).status(); });
  EXPECT_TRUE(s.ok()) << s.message();
  return ref;
}

// Every byte SQLite keeps for `db`: the file and any journal or WAL beside it.
std::string StoreBytes(const std::string& db) {
  std::string bytes;
  for (const char* suffix : {"", "-wal", "-journal", "-shm"}) bytes += ReadFileOrEmpty(db + suffix);
  return bytes;
}

std::set<std::string> IdsOf(const std::vector<ConfigDoc>& docs) {
  std::set<std::string> ids;
  for (const auto& d : docs) ids.insert(d.id);
  return ids;
}

// Every configuration document of the district, as text: equal snapshots, same district.
std::string ConfigSnapshot(Store& store) {
  std::string out;
  for (ConfigKind kind : {ConfigKind::kArea, ConfigKind::kCamera, ConfigKind::kDepartment, ConfigKind::kRoutingRule,
                          ConfigKind::kService, ConfigKind::kSensor, ConfigKind::kSetting})
    for (const auto& d : store.ListConfig(kind).value())
      out += std::string(ConfigKindName(kind)) + " " + d.id + " " + d.json + "\n";
  return out;
}

int AuditCount(Store& store, const std::string& action) {
  AuditFilter f;
  f.action_prefix = action;
  f.limit = 1000;
  return static_cast<int>(store.ListAudit(f).value().size());
}

// ---- purge -------------------------------------------------------------------------------

class PurgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateDemoStore(url_);
    const District d = DemoDistrict();
    evidence_days_ = d.retention.evidence_days;
    ASSERT_GT(evidence_days_, 1);
  }

  // One image stored well before the evidence retention began and one stored now, both
  // under `evidence_dir`.
  void PutOldAndNew(const std::string& evidence_dir) {
    auto store = OpenOrDie(url_);
    FakeClockEnv long_ago(Env::Default()->NowMs() - (evidence_days_ + 2) * kDay);
    old_jpeg_ = GradientJpeg(32, 24);
    new_jpeg_ = GradientJpeg(48, 32);
    old_ref_ = PutEvidence(*store, evidence_dir, &long_ago, old_jpeg_);
    new_ref_ = PutEvidence(*store, evidence_dir, Env::Default(), new_jpeg_);
    EvidenceStore files(evidence_dir, Env::Default());
    old_path_ = files.PathOf(old_ref_);
    new_path_ = files.PathOf(new_ref_);
    ASSERT_TRUE(fs::exists(old_path_));
    ASSERT_TRUE(fs::exists(new_path_));
  }

  void ExpectOnlyTheOldOneGone(const RunResult& r) {
    EXPECT_EQ(r.exit, 0) << r;
    // The summary names what went; only the old image was past retention.
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\b1 evidence image\b)"))) << r;
    EXPECT_FALSE(fs::exists(old_path_)) << "the expired file is still on disk";
    EXPECT_TRUE(fs::exists(new_path_)) << "a file within retention was deleted";
    EXPECT_EQ(ReadFileOrEmpty(new_path_), new_jpeg_);
    auto store = OpenOrDie(url_);
    EXPECT_FALSE(store->GetEvidence(old_ref_).value()) << "the expired record is still in the store";
    EXPECT_TRUE(store->GetEvidence(new_ref_).value()) << "a record within retention was deleted";
  }

  TempDir dir_;
  std::string db_ = dir_ / "hub.db";
  std::string url_ = "sqlite:" + db_;
  int evidence_days_ = 0;
  std::string old_jpeg_, new_jpeg_, old_ref_, new_ref_, old_path_, new_path_;
};

TEST_F(PurgeTest, DeletesExpiredEvidenceRecordAndFileAndKeepsRecentOnes) {
  // Without --evidence-dir the files are looked for next to the store, as the hub keeps them.
  PutOldAndNew(db_ + ".evidence");
  ExpectOnlyTheOldOneGone(Glassbrain({"purge", "--store", url_}));

  // A second purge finds nothing more to do.
  RunResult again = Glassbrain({"purge", "--store", url_});
  EXPECT_EQ(again.exit, 0) << again;
  EXPECT_TRUE(std::regex_search(again.out, std::regex(R"(\b0 evidence image)"))) << again;
  EXPECT_TRUE(fs::exists(new_path_));
}

// A file written for a write whose transaction rolled back has no record: the purge
// removes it once it is an hour old (younger ones may still be waiting for their commit),
// and never a file a record names.
TEST_F(PurgeTest, RemovesEvidenceFilesNoRecordNamesOnceTheyAreAnHourOld) {
  PutOldAndNew(db_ + ".evidence");
  EvidenceStore files(db_ + ".evidence", Env::Default());
  const std::string orphan = GradientJpeg(40, 30), fresh_orphan = GradientJpeg(44, 30);
  const std::string orphan_ref = EvidenceRef(orphan), fresh_ref = EvidenceRef(fresh_orphan);
  ASSERT_TRUE(files.WriteFile(orphan_ref, orphan).ok());
  ASSERT_TRUE(files.WriteFile(fresh_ref, fresh_orphan).ok());
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(files.PathOf(orphan_ref), two_hours_ago);
  fs::last_write_time(new_path_, two_hours_ago);  // old, but recorded
  RunResult r = Glassbrain({"purge", "--store", url_});
  ASSERT_EQ(r.exit, 0) << r;
  EXPECT_NE(r.out.find("1 evidence file no record named"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(files.PathOf(orphan_ref)));
  EXPECT_TRUE(fs::exists(files.PathOf(fresh_ref))) << "an hour has not passed";
  EXPECT_TRUE(fs::exists(new_path_)) << "a recorded file stays";
}

TEST_F(PurgeTest, HonoursEvidenceDir) {
  const std::string elsewhere = dir_ / "evidence-elsewhere";
  PutOldAndNew(elsewhere);
  ExpectOnlyTheOldOneGone(Glassbrain({"purge", "--store", url_, "--evidence-dir", elsewhere}));
}

TEST_F(PurgeTest, AMissingStoreIsRefusedAndNotCreated) {
  TempDir other;
  const std::string typo = other / "hbu.db";
  for (std::vector<std::string> args : {std::vector<std::string>{"purge", "--store", "sqlite:" + typo},
                                        {"export", "--store", "sqlite:" + typo, other / "out.geojson"},
                                        {"token", "create", "--store", "sqlite:" + typo, "--name", "x1", "--role",
                                         "edge"}}) {
    RunResult r = Glassbrain(args);
    EXPECT_NE(r.exit, 0) << r;
    EXPECT_NE(r.err.find("there is no store at " + typo), std::string::npos) << r;
    EXPECT_NE(r.err.find("glassbrain import"), std::string::npos) << "the message says how to create one: " << r;
    EXPECT_FALSE(fs::exists(typo)) << args[0] << " created an empty store";
  }
}

// ---- audit verify ------------------------------------------------------------------------

TEST(AuditVerifyTest, AnIntactLogVerifiesAndAnEditedEntryIsNamed) {
  TempDir dir;
  const std::string url = "sqlite:" + (dir / "hub.db");
  CreateDemoStore(url);
  ASSERT_EQ(Glassbrain({"token", "create", "--store", url, "--name", "site-a", "--role", "edge"}).exit, 0);
  RunResult ok = Glassbrain({"audit", "verify", "--store", url});
  ASSERT_EQ(ok.exit, 0) << ok;
  EXPECT_NE(ok.out.find("audit log verified"), std::string::npos) << ok;
  RunResult unknown = Glassbrain({"audit", "verify", "--store", url, "--head", std::string(64, 'b')});
  EXPECT_EQ(unknown.exit, 1) << unknown;
  EXPECT_NE(unknown.err.find("is not one of its hashes"), std::string::npos) << unknown;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "hub.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET actor = 'someone else' WHERE id = (SELECT min(id) FROM audit)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  RunResult broken = Glassbrain({"audit", "verify", "--store", url});
  EXPECT_EQ(broken.exit, 1) << broken;
  EXPECT_NE(broken.err.find("does not match its hash"), std::string::npos) << broken;
}

// ---- user add ----------------------------------------------------------------------------

class UserAddTest : public ::testing::Test {
 protected:
  void SetUp() override { CreateDemoStore(url_); }

  TempDir dir_;
  std::string url_ = "sqlite:" + (dir_ / "hub.db");
};

TEST_F(UserAddTest, AddsUserWithRoleAndArgon2idHashOfStdinPassword) {
  const std::string password = "correct horse battery staple";
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "dispatcher"}, password + "\n");
  ASSERT_EQ(r.exit, 0) << r;
  EXPECT_EQ(r.out.find(password), std::string::npos) << "the password was echoed";

  auto store = OpenOrDie(url_);
  auto user = store->GetUser("dana").value();
  ASSERT_TRUE(user);
  EXPECT_EQ(user->role, Role::kDispatcher);
  EXPECT_TRUE(user->password_hash.starts_with("$argon2id$")) << user->password_hash;
  // The line ending is not part of the password.
  EXPECT_TRUE(auth::VerifyPassword(user->password_hash, password));
  EXPECT_FALSE(auth::VerifyPassword(user->password_hash, password + "\n"));
  EXPECT_FALSE(auth::VerifyPassword(user->password_hash, "wrong password entirely"));
}

TEST_F(UserAddTest, WindowsLineEndingIsNotPartOfThePassword) {
  const std::string password = "correct horse battery staple";
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "crew"}, password + "\r\n");
  ASSERT_EQ(r.exit, 0) << r;
  auto user = OpenOrDie(url_)->GetUser("dana").value();
  ASSERT_TRUE(user);
  EXPECT_TRUE(auth::VerifyPassword(user->password_hash, password));
}

TEST_F(UserAddTest, UnknownRoleIsRefusedAndAddsNothing) {
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "overlord"},
                    "correct horse battery staple\n");
  EXPECT_NE(r.exit, 0) << r;
  EXPECT_NE(r.err.find("unknown role"), std::string::npos) << r;
  EXPECT_NE(r.err.find("overlord"), std::string::npos) << r;
  EXPECT_NE(r.err.find("admin, dispatcher, crew, privacy_officer or auditor"), std::string::npos)
      << "the message lists the roles: " << r;
  EXPECT_TRUE(r.out.empty()) << r;
  auto store = OpenOrDie(url_);
  EXPECT_FALSE(store->GetUser("dana").value());
  EXPECT_EQ(AuditCount(*store, "user."), 0);
}

TEST_F(UserAddTest, MachineRoleIsRefusedForAUser) {
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "edge"},
                    "correct horse battery staple\n");
  EXPECT_NE(r.exit, 0) << r;
  EXPECT_NE(r.err.find("token"), std::string::npos) << "the message should point to tokens: " << r;
  EXPECT_FALSE(OpenOrDie(url_)->GetUser("dana").value());
}

TEST_F(UserAddTest, EmptyPasswordLineIsRefusedByThePasswordPolicy) {
  // An empty line reads as an empty password, which the password policy refuses.
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "dispatcher"}, "\n");
  EXPECT_EQ(r.exit, 2) << r;
  EXPECT_NE(r.err.find("password is too short"), std::string::npos) << r;
  EXPECT_FALSE(OpenOrDie(url_)->GetUser("dana").value());
}

TEST_F(UserAddTest, NoInputAtAllIsRefusedWithAHint) {
  // End of file before any line: the command says where the password is expected.
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "dispatcher"}, "");
  EXPECT_EQ(r.exit, 2) << r;
  EXPECT_NE(r.err.find("standard input"), std::string::npos) << r;
  EXPECT_FALSE(OpenOrDie(url_)->GetUser("dana").value());
}

TEST_F(UserAddTest, PasswdDisableEnableRemoveAndList) {
  ASSERT_EQ(Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "dispatcher"},
                       "correct horse battery staple\n")
                .exit,
            0);
  RunResult passwd = Glassbrain({"user", "passwd", "--store", url_, "--name", "dana"}, "a new long passphrase\n");
  ASSERT_EQ(passwd.exit, 0) << passwd;
  EXPECT_TRUE(auth::VerifyPassword(OpenOrDie(url_)->GetUser("dana").value()->password_hash, "a new long passphrase"));
  RunResult weak = Glassbrain({"user", "passwd", "--store", url_, "--name", "dana"}, "dana-dana-dana\n");
  EXPECT_EQ(weak.exit, 2) << weak;
  EXPECT_NE(weak.err.find("account's name"), std::string::npos) << weak;

  ASSERT_EQ(Glassbrain({"user", "disable", "--store", url_, "--name", "dana"}).exit, 0);
  EXPECT_TRUE(OpenOrDie(url_)->GetUser("dana").value()->disabled);
  RunResult list = Glassbrain({"user", "list", "--store", url_});
  EXPECT_NE(list.out.find("dana\tdispatcher"), std::string::npos) << list;
  EXPECT_NE(list.out.find("disabled"), std::string::npos) << list;
  EXPECT_EQ(list.out.find("argon2"), std::string::npos) << "never a password hash: " << list;
  ASSERT_EQ(Glassbrain({"user", "enable", "--store", url_, "--name", "dana"}).exit, 0);
  EXPECT_FALSE(OpenOrDie(url_)->GetUser("dana").value()->disabled);
  ASSERT_EQ(Glassbrain({"user", "remove", "--store", url_, "--name", "dana"}).exit, 0);
  EXPECT_FALSE(OpenOrDie(url_)->GetUser("dana").value());
  RunResult missing = Glassbrain({"user", "remove", "--store", url_, "--name", "dana"});
  EXPECT_EQ(missing.exit, 1) << missing;
  EXPECT_NE(missing.err.find("no user named dana"), std::string::npos) << missing;
  EXPECT_EQ(AuditCount(*OpenOrDie(url_), "user.remove"), 1);
}

TEST_F(UserAddTest, TakenNameIsRefusedAndTheFirstPasswordStillWorks) {
  const std::string first = "correct horse battery staple", second = "another long passphrase";
  ASSERT_EQ(Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "crew"}, first + "\n").exit, 0);
  RunResult r = Glassbrain({"user", "add", "--store", url_, "--name", "dana", "--role", "admin"}, second + "\n");
  EXPECT_NE(r.exit, 0) << r;
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r;
  auto user = OpenOrDie(url_)->GetUser("dana").value();
  ASSERT_TRUE(user);
  EXPECT_EQ(user->role, Role::kCrew);
  EXPECT_TRUE(auth::VerifyPassword(user->password_hash, first));
}

// ---- token create ------------------------------------------------------------------------

class TokenCreateTest : public ::testing::Test {
 protected:
  void SetUp() override { CreateDemoStore(url_); }

  TempDir dir_;
  std::string db_ = dir_ / "hub.db";
  std::string url_ = "sqlite:" + db_;
};

TEST_F(TokenCreateTest, PrintsTheSecretOnceAndStoresOnlyItsHash) {
  RunResult r = Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge"});
  ASSERT_EQ(r.exit, 0) << r;
  // Exactly one line: the secret, so that scripts can capture it with $(…).
  ASSERT_FALSE(r.out.empty());
  ASSERT_EQ(r.out.back(), '\n') << r;
  const std::string secret = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(secret.find('\n'), std::string::npos) << r;
  EXPECT_TRUE(std::regex_match(secret, std::regex("gb_[A-Za-z0-9_-]{43}"))) << secret;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "the secret was also written to stderr";

  auto store = OpenOrDie(url_);
  auto token = store->FindToken(auth::Sha256Hex(secret)).value();
  ASSERT_TRUE(token) << "no token stored under the secret's SHA-256";
  EXPECT_EQ(token->name, "site-1");
  EXPECT_EQ(token->role, Role::kEdge);
  EXPECT_FALSE(store->FindToken(secret).value()) << "the secret itself is a lookup key";
  store.reset();

  // Not in the database, its journal or the audit log: the secret's bytes appear nowhere.
  const std::string bytes = StoreBytes(db_);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(secret), std::string::npos) << "the plain token is in the store file";
  EXPECT_EQ(bytes.find(secret.substr(3)), std::string::npos) << "the token's random part is in the store file";
}

TEST_F(TokenCreateTest, EachCallMakesADifferentSecret) {
  RunResult a = Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge"});
  RunResult b = Glassbrain({"token", "create", "--store", url_, "--name", "site-2", "--role", "integration"});
  ASSERT_EQ(a.exit, 0) << a;
  ASSERT_EQ(b.exit, 0) << b;
  EXPECT_NE(a.out, b.out);
  auto token = OpenOrDie(url_)->FindToken(auth::Sha256Hex(b.out.substr(0, b.out.size() - 1))).value();
  ASSERT_TRUE(token);
  EXPECT_EQ(token->role, Role::kIntegration);
}

// An edge agent's token must not be replaced by accident: a second token under a name in
// use is refused, and --rotate says it is meant.
TEST_F(TokenCreateTest, ANameInUseNeedsRotateAndRotatingRevokesTheOldToken) {
  RunResult first = Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge"});
  ASSERT_EQ(first.exit, 0) << first;
  const std::string old_secret = first.out.substr(0, first.out.size() - 1);
  RunResult again = Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge"});
  EXPECT_NE(again.exit, 0) << again;
  EXPECT_TRUE(again.out.empty()) << again;
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again;
  EXPECT_TRUE(OpenOrDie(url_)->FindToken(auth::Sha256Hex(old_secret)).value()) << "a refused token changed the old one";

  RunResult rotated =
      Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge", "--rotate"});
  ASSERT_EQ(rotated.exit, 0) << rotated;
  const std::string new_secret = rotated.out.substr(0, rotated.out.size() - 1);
  auto store = OpenOrDie(url_);
  auto old_token = store->FindToken(auth::Sha256Hex(old_secret)).value();
  ASSERT_TRUE(old_token);
  EXPECT_NE(old_token->expires_at, 0) << "the old token still works";
  EXPECT_LE(old_token->expires_at, Env::Default()->NowMs());
  EXPECT_EQ(store->FindToken(auth::Sha256Hex(new_secret)).value()->expires_at, 0);
  EXPECT_EQ(AuditCount(*store, "token.rotate"), 1);
}

TEST_F(TokenCreateTest, RotationWithGraceExpiryListAndRevoke) {
  ASSERT_EQ(Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", "edge"}).exit, 0);
  RunResult graced = Glassbrain(
      {"token", "create", "--store", url_, "--name", "site-1", "--role", "edge", "--rotate", "--grace-minutes", "30"});
  ASSERT_EQ(graced.exit, 0) << graced;
  RunResult brief = Glassbrain(
      {"token", "create", "--store", url_, "--name", "trial", "--role", "integration", "--expires-days", "7"});
  ASSERT_EQ(brief.exit, 0) << brief;
  RunResult list = Glassbrain({"token", "list", "--store", url_});
  ASSERT_EQ(list.exit, 0) << list;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 3) << list;
  EXPECT_NE(list.out.find("never expires"), std::string::npos) << list;
  EXPECT_NE(list.out.find("expires 20"), std::string::npos) << "the graced and the brief one: " << list;
  EXPECT_EQ(list.out.find("gb_"), std::string::npos) << "never a secret: " << list;

  RunResult revoke = Glassbrain({"token", "revoke", "--store", url_, "--name", "site-1"});
  ASSERT_EQ(revoke.exit, 0) << revoke;
  RunResult again = Glassbrain({"token", "revoke", "--store", url_, "--name", "site-1"});
  EXPECT_EQ(again.exit, 1) << again;
  EXPECT_NE(again.err.find("no live token named site-1"), std::string::npos) << again;
  EXPECT_EQ(AuditCount(*OpenOrDie(url_), "token.revoke"), 1);

  RunResult bad = Glassbrain({"token", "create", "--store", url_, "--name", "x", "--role", "edge", "--grace-minutes", "5"});
  EXPECT_EQ(bad.exit, 2) << bad;
  EXPECT_NE(bad.err.find("--grace-minutes goes with --rotate"), std::string::npos) << bad;
}

TEST_F(TokenCreateTest, HumanRoleIsRefused) {
  for (const char* role : {"admin", "dispatcher"}) {
    RunResult r = Glassbrain({"token", "create", "--store", url_, "--name", "site-1", "--role", role});
    EXPECT_NE(r.exit, 0) << role << ": " << r;
    EXPECT_TRUE(r.out.empty()) << "a refused token printed something: " << r;
    EXPECT_NE(r.err.find("edge or integration"), std::string::npos) << r;
  }
  EXPECT_EQ(AuditCount(*OpenOrDie(url_), "token."), 0) << "a refused token was recorded";
}

// ---- export / import ---------------------------------------------------------------------

// A district directory with settings and one department but no areas or cameras: what a
// new hub is set up from before its map is imported.
void WriteEmptyDistrictDir(const std::string& dir) {
  fs::create_directories(dir);
  const std::string empty = R"({"type": "FeatureCollection", "features": []})";
  std::ofstream(dir + "/areas.geojson") << empty;
  std::ofstream(dir + "/cameras.geojson") << empty;
  std::ofstream(dir + "/district.toml") << R"(name = "Import Target"
timezone_offset_minutes = 0
fallback_department = "operations"
center = [121.4737, 31.2304]

[[department]]
id = "operations"
name = "Operations Room"
email = "operations@example.org"
phone = "+1 555 0100"
hours = "24/7"
description = "Takes everything."
)";
}

class ImportExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateDemoStore(source_url_);
    WriteEmptyDistrictDir(target_dir_);
    RunResult r = Glassbrain({"import", "--store", target_url_, target_dir_});
    ASSERT_EQ(r.exit, 0) << "importing a district directory: " << r;
    auto target = OpenOrDie(target_url_);
    ASSERT_TRUE(target->ListConfig(ConfigKind::kArea).value().empty());
    ASSERT_TRUE(target->ListConfig(ConfigKind::kCamera).value().empty());
  }

  TempDir dir_;
  std::string source_url_ = "sqlite:" + (dir_ / "source.db");
  std::string target_url_ = "sqlite:" + (dir_ / "target.db");
  std::string target_dir_ = dir_ / "target-district";
  std::string file_ = dir_ / "map.geojson";
};

TEST_F(ImportExportTest, ExportThenImportRoundTripsAreasAndCameras) {
  RunResult exported = Glassbrain({"export", "--store", source_url_, file_});
  ASSERT_EQ(exported.exit, 0) << exported;
  const District demo = DemoDistrict();
  EXPECT_NE(exported.out.find(std::to_string(demo.areas.size()) + " areas"), std::string::npos) << exported;
  EXPECT_NE(exported.out.find(std::to_string(demo.cameras.size()) + " cameras"), std::string::npos) << exported;
  json doc = json::parse(ReadFileOrEmpty(file_), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "the export is not JSON";
  EXPECT_EQ(doc.value("type", ""), "FeatureCollection");

  RunResult imported = Glassbrain({"import", "--store", target_url_, file_});
  ASSERT_EQ(imported.exit, 0) << imported;

  auto source = OpenOrDie(source_url_);
  auto target = OpenOrDie(target_url_);
  for (ConfigKind kind : {ConfigKind::kArea, ConfigKind::kCamera}) {
    auto want = IdsOf(source->ListConfig(kind).value()), got = IdsOf(target->ListConfig(kind).value());
    EXPECT_EQ(got.size(), want.size()) << ConfigKindName(kind);
    EXPECT_EQ(got, want) << ConfigKindName(kind);
  }
  // The same map, not just the same ids: every stored document is identical.
  for (ConfigKind kind : {ConfigKind::kArea, ConfigKind::kCamera}) {
    auto want = source->ListConfig(kind).value(), got = target->ListConfig(kind).value();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].json, want[i].json) << want[i].id;
  }
  // Importing a map keeps the target's own settings and departments.
  auto district = LoadDistrictFromStore(*target);
  ASSERT_TRUE(district.ok()) << district.status().message();
  EXPECT_EQ(district->name, "Import Target");
  EXPECT_EQ(IdsOf(target->ListConfig(ConfigKind::kDepartment).value()), std::set<std::string>{"operations"});

  // Exporting the imported map gives the same file.
  const std::string again = dir_ / "again.geojson";
  ASSERT_EQ(Glassbrain({"export", "--store", target_url_, again}).exit, 0);
  EXPECT_EQ(ReadFileOrEmpty(again), ReadFileOrEmpty(file_));
}

TEST_F(ImportExportTest, MalformedFilesAreRefusedAndChangeNothing) {
  // One valid area followed by a camera with an impossible lens: nothing of it may land.
  const json half_valid = {
      {"type", "FeatureCollection"},
      {"features",
       {{{"type", "Feature"},
         {"properties", {{"id", "new-area"}, {"name", "New area"}, {"kind", "ward"}}},
         {"geometry",
          {{"type", "Polygon"},
           {"coordinates", {{{121.46, 31.23}, {121.47, 31.23}, {121.47, 31.24}, {121.46, 31.24}, {121.46, 31.23}}}}}}},
        {{"type", "Feature"},
         {"properties",
          {{"id", "cam-bad"},
           {"name", "Broken camera"},
           {"heading_deg", 90},
           {"focal_length_mm", -4},
           {"sensor_width_mm", 5.6},
           {"range_m", 80},
           {"height_m", 8},
           {"rules", {"dumped_object"}},
           {"purpose", "Test"}}},
         {"geometry", {{"type", "Point"}, {"coordinates", {121.465, 31.235}}}}}}}};
  // Each file, and what the message must mention so that the operator can fix it.
  struct Case {
    std::string file, text, reason;
  };
  const std::vector<Case> cases = {
      {"truncated.geojson", R"({"type": "FeatureCollection", "features": [)", "not valid JSON"},
      {"not-a-collection.geojson", R"({"type": "Feature", "properties": {}})", "FeatureCollection"},
      {"bad-camera.geojson", half_valid.dump(), "focal_length_mm"},
      {"missing.geojson", "", "cannot read"},
  };
  const std::string before = ConfigSnapshot(*OpenOrDie(target_url_));
  for (const auto& c : cases) {
    const std::string path = dir_ / c.file;
    if (!c.text.empty()) std::ofstream(path) << c.text;
    RunResult r = Glassbrain({"import", "--store", target_url_, path});
    EXPECT_NE(r.exit, 0) << c.file << ": " << r;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << c.file << ": " << r;
    EXPECT_TRUE(r.out.empty()) << c.file << ": " << r;
    EXPECT_EQ(ConfigSnapshot(*OpenOrDie(target_url_)), before) << c.file << " changed the district";
  }
}

TEST_F(ImportExportTest, GeoJsonIntoAStoreWithoutDistrictIsRefused) {
  ASSERT_EQ(Glassbrain({"export", "--store", source_url_, file_}).exit, 0);
  TempDir other;
  const std::string url = "sqlite:" + (other / "fresh.db");
  RunResult r = Glassbrain({"import", "--store", url, file_});
  EXPECT_NE(r.exit, 0) << r;
  EXPECT_NE(r.err.find("district directory"), std::string::npos) << "the message should say what to do: " << r;
}

// ---- --help ------------------------------------------------------------------------------

struct HelpCase {
  std::vector<std::string> command;
  std::vector<std::string> options;
};

void PrintTo(const HelpCase& c, std::ostream* os) {
  *os << "glassbrain";
  for (const auto& part : c.command) *os << " " << part;
  *os << " --help";
}

class HelpTest : public ::testing::TestWithParam<HelpCase> {};

TEST_P(HelpTest, ListsTheOptionsAndExitsZero) {
  std::vector<std::string> args = GetParam().command;
  args.push_back("--help");
  RunResult r = Glassbrain(args);
  EXPECT_EQ(r.exit, 0) << r;
  for (const auto& option : GetParam().options) EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r;
}

INSTANTIATE_TEST_SUITE_P(
    Subcommands, HelpTest,
    ::testing::Values(HelpCase{{}, {"serve", "demo", "user", "token", "import", "export", "purge", "backup", "restore",
                                     "audit", "--version"}},
                      HelpCase{{"serve"}, {"--listen", "--store", "--config"}},
                      HelpCase{{"demo"}, {"--listen", "--data-dir", "--district", "--no-simulate", "--config"}},
                      HelpCase{{"user"}, {"add", "passwd", "disable", "enable", "remove", "list"}},
                      HelpCase{{"user", "add"}, {"--store", "--name", "--role", "standard input"}},
                      HelpCase{{"token"}, {"create", "revoke", "list"}},
                      HelpCase{{"token", "create"}, {"--store", "--name", "--role", "edge or integration", "--rotate", "--grace-minutes", "--expires-days"}},
                      HelpCase{{"import"}, {"--store", "file"}},
                      HelpCase{{"export"}, {"--store", "file"}},
                      HelpCase{{"purge"}, {"--store", "--evidence-dir"}},
                      HelpCase{{"backup"}, {"--store", "--evidence-dir", "FILE.evidence"}},
                      HelpCase{{"restore"}, {"--store", "--evidence-dir", "--force"}},
                      HelpCase{{"audit", "verify"}, {"--store", "--head"}}),
    [](const ::testing::TestParamInfo<HelpCase>& info) {
      std::string name;
      for (const auto& part : info.param.command) name += part;
      return name.empty() ? std::string("glassbrain") : name;
    });

// `demo` reads the same configuration file as `serve`: a mistake in it stops the demo with
// the key named, and its listen address is the one the demo tries.
TEST(CliTest, DemoTakesTheConfigFileOfServe) {
  const fs::path dir = fs::temp_directory_path() / ("glassbrain-demo-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "bad.toml") << "[open311]\nreopen_dayz = 3\n";
  RunResult bad = Glassbrain({"demo", "--no-simulate", "--data-dir", (dir / "data").string(), "--config",
                              (dir / "bad.toml").string()});
  EXPECT_EQ(bad.exit, 2) << bad;
  EXPECT_NE(bad.err.find("unknown key open311.reopen_dayz"), std::string::npos) << bad;
  EXPECT_FALSE(fs::exists(dir / "data")) << "refused before anything was made";
  std::ofstream(dir / "listen.toml") << "[server]\nlisten = \"256.1.1.1:8080\"\n";
  RunResult listen = Glassbrain({"demo", "--no-simulate", "--data-dir", (dir / "data").string(), "--config",
                                 (dir / "listen.toml").string()});
  EXPECT_NE(listen.exit, 0) << listen;
  EXPECT_NE(listen.err.find("256.1.1.1"), std::string::npos) << "the demo used the file's address: " << listen;
  fs::remove_all(dir);
}

TEST(CliTest, VersionAndUsageErrors) {
  RunResult v = Glassbrain({"--version"});
  EXPECT_EQ(v.exit, 0) << v;
  EXPECT_NE(v.out.find("glassbrain"), std::string::npos) << v;

  // No subcommand, an unknown one, or a missing required option: a usage error, not a crash.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"purge"}, {"token", "create", "--name", "x"}}) {
    RunResult r = Glassbrain(args);
    EXPECT_NE(r.exit, 0) << r;
    EXPECT_LT(r.exit, 128) << "died of a signal: " << r;
    EXPECT_FALSE(r.err.empty()) << r;
  }
  // A mistyped command is an error even beside --help, which would otherwise print the main
  // help and exit 0 as if the command existed.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"frobnicate"}, {"frobnicate", "--help"}}) {
    RunResult r = Glassbrain(args);
    EXPECT_EQ(r.exit, 2) << r;
    EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r;
  }
}

}  // namespace
}  // namespace gb::testing
