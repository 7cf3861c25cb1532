// A real full disk under a real `glassbrain serve` (docs/api.md, "When the hub's disk
// fails"). The store lives on a tmpfs of a few MB mounted for the test (root only); the demo
// district is imported onto it, and event batches, Open311 photo posts and evidence uploads
// fill it. Every answer must be 2xx or a clean 503/507 (JSON, Retry-After), no connection
// may drop, the hub stays up and /readyz says 503. Then the filesystem grows (mount -o
// remount,size=…): in the same process ingest, photos and evidence succeed again and
// /readyz says 200. After a stop, the file holds every acknowledged key exactly once, passes
// PRAGMA integrity_check, and every evidence record has its file.
//
// Where mounting is refused (not root, no CAP_SYS_ADMIN), the disk fills by RLIMIT_FSIZE
// instead (with SIGXFSZ ignored, so writes past it fail with EFBIG), grown with prlimit on
// the serving process; the test says so in its output.
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "core/sha256.h"
#include "edge/hub_process.h"
#include "integration/http_client.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::size_t kSmallDisk = 6 << 20;
constexpr std::size_t kGrownDisk = 256 << 20;

// The disk the hub's files live on: a tmpfs, or else a file size limit.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& dir) : dir_(dir) {
    const std::string options = "size=" + std::to_string(kSmallDisk);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (mounted_) {
      std::cout << "full disk: a tmpfs of " << (kSmallDisk >> 20) << " MiB" << std::endl;
    } else {
      std::cout << "full disk: mounting a tmpfs was refused (" << std::strerror(errno)
                << "); falling back to RLIMIT_FSIZE of " << (kSmallDisk >> 20) << " MiB per file, SIGXFSZ ignored"
                << std::endl;
      // Ignored here, so in the hub started after: a write past the limit fails with EFBIG.
      ::signal(SIGXFSZ, SIG_IGN);
    }
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }

  // The fallback's limit, on the serving process once it runs (the import needed none).
  void Limit(pid_t hub) {
    if (mounted_) return;
    rlimit limit{kSmallDisk, RLIM_INFINITY};
    ASSERT_EQ(::prlimit(hub, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
  }

  void Grow(pid_t hub) {
    if (mounted_) {
      const std::string options = "size=" + std::to_string(kGrownDisk);
      ASSERT_EQ(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()), 0)
          << "remount," << options << ": " << std::strerror(errno);
    } else {
      rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
      ASSERT_EQ(::prlimit(hub, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
    }
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbrain-full-disk-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    disk_ = std::make_unique<SmallDisk>(dir_);
    // Photos as fast as the disk takes them: the per-address limit is not under test.
    hub_ = std::make_unique<edge::testing::HubProcess>(dir_, "[open311]\nposts_per_minute = 0\n");
  }
  void TearDown() override {
    hub_.reset();
    disk_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  HttpReply Send(const std::string& method, const std::string& target, const std::string& body,
                 std::vector<std::string> headers) {
    HttpClient client(hub_->port());
    return client.Request(method, target, body, std::move(headers));
  }

  // One batch of fresh keys; the keys it acknowledged go to acked_.
  HttpReply PostBatch(int n) {
    json batch = json::array();
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
      keys.push_back("disk/" + std::to_string(next_key_++));
      batch.push_back({{"idempotency_key", keys.back()},
                       {"source", {{"kind", "camera"}, {"id", "cam-01"}}},
                       {"category", "illegal_parking"},
                       {"rule", "stationary_vehicle"},
                       {"observed_at", "2026-11-24T10:15:02.120Z"},
                       {"location", {{"lat", 31.2350 + (next_key_ % 37) * 1e-5}, {"lon", 121.4650}}},
                       {"confidence", 0.87},
                       {"attributes", {{"note", std::string(200, 'x')}}}});
    }
    auto r = Send("POST", "/api/v1/events:batch", batch.dump(),
                  {"Authorization: Bearer " + hub_->token(), "Content-Type: application/json"});
    if (r.status == 200) {
      auto results = json::parse(r.body)["results"];
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (results[i]["status"] != "rejected") acked_.insert(keys[i]);
    }
    return r;
  }

  HttpReply PostPhoto() {
    const std::string jpeg = GradientJpeg(160 + (next_photo_++ % 200), 120);
    const std::string boundary = "gbFullDisk";
    auto field = [&](const std::string& name, const std::string& value) {
      return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    };
    std::string body = field("service_code", "graffiti") + field("lat", "31.2350") + field("long", "121.4650") +
                       field("description", "Tag on the wall") + "--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"wall.jpg\"\r\n"
                       "Content-Type: image/jpeg\r\n\r\n" +
                       jpeg + "\r\n--" + boundary + "--\r\n";
    return Send("POST", "/open311/v2/requests.json", body, {"Content-Type: multipart/form-data; boundary=" + boundary});
  }

  HttpReply PutEvidence() {
    const std::string jpeg = GradientJpeg(120 + (next_evidence_++ % 300), 90);
    return Send("PUT", "/api/v1/evidence/sha256:" + Sha256Hex(jpeg), jpeg,
                {"Authorization: Bearer " + hub_->token(), "Content-Type: image/jpeg"});
  }

  // 2xx, or a clean refusal; counts refusals.
  void Check(const HttpReply& r, const std::string& what) {
    ASSERT_NE(r.status, 0) << what << ": the connection dropped";
    if (r.status >= 200 && r.status < 300) return;
    ASSERT_TRUE(r.status == 507 || r.status == 503) << what << " answered " << r.status << ": " << r.body;
    EXPECT_FALSE(r.header("retry-after").empty()) << what;
    EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded()) << what << ": " << r.body;
    EXPECT_EQ(r.body.find(dir_), std::string::npos) << what << ": " << r.body;
    ++refusals_;
    if (r.status == 507) ++full_;
  }

  int Ready() { return Send("GET", "/readyz", "", {}).status; }

  std::string dir_;
  std::unique_ptr<SmallDisk> disk_;
  std::unique_ptr<edge::testing::HubProcess> hub_;
  std::set<std::string> acked_;
  int next_key_ = 0, next_photo_ = 0, next_evidence_ = 0;
  int refusals_ = 0, full_ = 0;
};

TEST_F(FullDiskTest, AFullDiskIsRefusedCleanlyAndTheSameProcessStoresOnceItGrows) {
  ASSERT_TRUE(hub_->Start());
  disk_->Limit(hub_->pid());
  // Fill: until batches have been refused a few times in a row.
  int refused_in_a_row = 0;
  for (int round = 0; round < 400 && refused_in_a_row < 3; ++round) {
    auto batch = PostBatch(200);
    Check(batch, "a batch");
    refused_in_a_row = batch.status == 200 ? 0 : refused_in_a_row + 1;
    Check(PostPhoto(), "a photo");
    Check(PutEvidence(), "evidence");
    if (HasFatalFailure()) return;
  }
  ASSERT_EQ(refused_in_a_row, 3) << "the disk never filled";
  EXPECT_GT(full_, 0) << "no refusal said the disk was full";
  std::cout << "filled: " << acked_.size() << " keys acknowledged, " << refusals_ << " refusals (" << full_
            << " of them 507)" << std::endl;
  EXPECT_EQ(Send("GET", "/healthz", "", {}).status, 200) << "the hub is up";
  EXPECT_EQ(Ready(), 503) << "the store cannot write";

  disk_->Grow(hub_->pid());
  bool ready = false;
  for (auto until = std::chrono::steady_clock::now() + 10s; !ready && std::chrono::steady_clock::now() < until;) {
    ready = Ready() == 200;
    if (!ready) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(ready) << "/readyz is 200 within 10 s of the disk growing";
  auto batch = PostBatch(200);
  EXPECT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(PostPhoto().status, 201);
  EXPECT_EQ(PutEvidence().status, 201);
  const pid_t pid = hub_->pid();
  hub_->Stop();
  EXPECT_NE(::kill(pid, 0), 0) << "the hub stopped";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/hub.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto rows = [&](const char* sql, auto&& each) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (sqlite3_step(stmt) == SQLITE_ROW) each(stmt);
    sqlite3_finalize(stmt);
  };
  std::string integrity;
  auto text = [](sqlite3_stmt* s, int col) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, col)));
  };
  rows("PRAGMA integrity_check", [&](sqlite3_stmt* s) { integrity += text(s, 0); });
  EXPECT_EQ(integrity, "ok");
  std::map<std::string, int> stored;
  rows("SELECT idempotency_key, count(*) FROM events WHERE idempotency_key LIKE 'disk/%' GROUP BY 1",
       [&](sqlite3_stmt* s) { stored[text(s, 0)] = sqlite3_column_int(s, 1); });
  for (const std::string& key : acked_) EXPECT_EQ(stored[key], 1) << key;
  int missing_files = 0, records = 0;
  rows("SELECT hash FROM evidence", [&](sqlite3_stmt* s) {
    const std::string hex = text(s, 0).substr(7);
    ++records;
    if (!std::filesystem::exists(dir_ + "/hub.db.evidence/" + hex.substr(0, 2) + "/" + hex + ".jpg")) ++missing_files;
  });
  sqlite3_close(db);
  EXPECT_GT(records, 0);
  EXPECT_EQ(missing_files, 0) << "evidence records without their file";
}

}  // namespace
}  // namespace gb::testing
