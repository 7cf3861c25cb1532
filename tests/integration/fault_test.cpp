// Faults of the disk under a real hub (docs/api.md, "Errors"): a FaultEnv (support/fault_env.h)
// fails the store's writes with ENOSPC or EIO, writes short, fails the WAL's fsync once or
// every time, or fails evidence writes, while batches, photos and evidence arrive over HTTP.
// For each fault:
// - what was acknowledged before it is still stored, once;
// - the request it hits answers 503 (507 for a full disk) with a JSON error, Retry-After, and
//   no server path, and stores nothing of itself: the same request sent again after the
//   fault is stored whole;
// - /readyz answers 503 while the store cannot write and 200 again within 10 s after the
//   fault clears, by the store's own probe (nothing but /readyz is asked meanwhile);
// - the same process then stores again.
// A read that fails answers 503, never 404 or 401.
// And the wall clock stepping, forward or back, moves no rate-limit window, makes the purge
// delete nothing early and reorders no stream.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli/hub.h"
#include "core/sha256.h"
#include "hub_fixture.h"
#include "privacy/evidence/evidence_store.h"
#include "privacy/retention/retention.h"
#include "support/fault_env.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class FaultTest : public ::testing::Test {
 protected:
  FaultTest() : hub_(nullptr, &env_) {}
  // A token's first use records its last use (a write, so a sync): done here, so that a
  // fault set by a test meets the write the test makes.
  void SetUp() override {
    ASSERT_EQ(hub_.Bearer(hub_.edge_token(), "GET", "/api/v1/session").status, 200);
  }

  LatLon Place() { return hub_.CentreOf("no_parking"); }

  // `n` distinct events with keys "<prefix>/<i>".
  json Batch(const std::string& prefix, int n) {
    LatLon p = Place();
    json batch = json::array();
    for (int i = 0; i < n; ++i)
      batch.push_back(MakeEvent(prefix + "/" + std::to_string(i), "illegal_parking", p.lat + i * 1e-5, p.lon));
    return batch;
  }

  HttpReply PostBatch(const json& batch) {
    return hub_.Bearer(hub_.edge_token(), "POST", "/api/v1/events:batch", batch.dump());
  }

  // Posts and expects every item stored.
  void ExpectStored(const json& batch) {
    auto r = PostBatch(batch);
    ASSERT_EQ(r.status, 200) << r.body;
    const json answer = json::parse(r.body);
    for (const auto& item : answer["results"]) EXPECT_EQ(item["status"], "stored") << r.body;
  }

  // A clean refusal: `status`, Retry-After, a JSON error, and nothing about the server's files.
  void ExpectRefused(const HttpReply& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty()) << "status " << r.status;
    auto body = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << r.body;
    EXPECT_TRUE(body.contains("error") || body.is_array()) << r.body;
    EXPECT_EQ(r.body.find(hub_.dir()), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/tmp"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(".db"), std::string::npos) << r.body;
  }

  int Ready() { return hub_.Anonymous("GET", "/readyz").status; }

  // Polls /readyz (and nothing else) until it answers `status`; false when it did not within `limit`.
  bool WaitReady(int status, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (Ready() == status) return true;
      std::this_thread::sleep_for(100ms);
    }
    return Ready() == status;
  }

  // How many times each key with `prefix` is stored, read from the file directly.
  std::map<std::string, int> StoredKeys(const std::string& prefix) {
    std::map<std::string, int> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((hub_.dir() + "/hub.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    const std::string pattern = prefix + "/%";
    const char* sql = "SELECT idempotency_key, count(*) FROM events WHERE idempotency_key LIKE ?1 GROUP BY 1";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, pattern.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] = sqlite3_column_int(stmt, 1);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  void ExpectEachStoredOnce(const std::string& prefix, int n) {
    auto keys = StoredKeys(prefix);
    EXPECT_EQ(static_cast<int>(keys.size()), n) << prefix;
    for (const auto& [key, count] : keys) EXPECT_EQ(count, 1) << key;
  }

  // The shared story of a write fault: acknowledged before, refused during, recovered after.
  void WriteFaultStory(int error, std::size_t short_bytes, int status) {
    ExpectStored(Batch("before", 50));
    ASSERT_EQ(Ready(), 200);
    env_.FailWrites(error, short_bytes);
    const json during = Batch("during", 200);
    ExpectRefused(PostBatch(during), status);
    EXPECT_GT(env_.failed_writes(), 0);
    EXPECT_EQ(Ready(), 503) << "the store cannot write";
    std::this_thread::sleep_for(3s);  // the probe tries, and fails
    EXPECT_EQ(Ready(), 503) << "the store still cannot write";
    env_.Clear();
    EXPECT_TRUE(WaitReady(200, 10s)) << "the probe finds the store writable again";
    ExpectStored(during);  // the same batch, whole
    ExpectEachStoredOnce("before", 50);
    ExpectEachStoredOnce("during", 200);
  }

  test::FaultEnv env_;
  HubFixture hub_;
};

TEST_F(FaultTest, AFullDiskRefusesWith507AndTheSameProcessStoresOnceThereIsRoom) {
  WriteFaultStory(ENOSPC, 0, 507);
}

TEST_F(FaultTest, AnIoErrorOnWriteRefusesWith503AndTheNextWriteSucceeds) { WriteFaultStory(EIO, 0, 503); }

TEST_F(FaultTest, AShortWriteStoresNothingHalf) { WriteFaultStory(ENOSPC, 1000, 507); }

TEST_F(FaultTest, AFailedFsyncIsNotTrustedTheStoreReopensCheckpointsAndStoresAgain) {
  ExpectStored(Batch("before", 50));
  env_.FailSyncs(1, /*every=*/true);
  const json during = Batch("during", 100);
  ExpectRefused(PostBatch(during), 503);
  EXPECT_GE(env_.failed_syncs(), 1);
  EXPECT_EQ(Ready(), 503);
  // Recovery needs syncs too (the checkpoint's): while they fail, nothing is acknowledged.
  ExpectRefused(PostBatch(during), 503);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Ready(), 503);
  env_.Clear();
  EXPECT_TRUE(WaitReady(200, 10s)) << "the probe recovers the store";
  ExpectStored(Batch("after", 10));
  // The batch that met the failed sync may or may not be in the file: its sender was never
  // told either way, and sends it again; each key is there once.
  auto again = PostBatch(during);
  ASSERT_EQ(again.status, 200) << again.body;
  const json answer = json::parse(again.body);
  for (const auto& item : answer["results"]) EXPECT_NE(item["status"], "rejected") << again.body;
  ExpectEachStoredOnce("before", 50);
  ExpectEachStoredOnce("during", 100);
  ExpectEachStoredOnce("after", 10);
}

TEST_F(FaultTest, OneFailedFsyncIsRecoveredByTheNextWrite) {
  ExpectStored(Batch("before", 20));
  env_.FailSyncs(1, /*every=*/false);
  ExpectRefused(PostBatch(Batch("during", 20)), 503);
  ExpectStored(Batch("after", 20));  // reopens, checkpoints, syncs: all of it succeeds now
  EXPECT_EQ(Ready(), 200);
  ExpectEachStoredOnce("before", 20);
  ExpectEachStoredOnce("after", 20);
}

TEST_F(FaultTest, APhotoOnAFullDiskGets507WithoutAPathAndIsStoredWhenSentAgain) {
  const std::string jpeg = GradientJpeg(320, 240);
  env_.FailWrites(ENOSPC);
  ExpectRefused(PostPhotoRequest(hub_, jpeg, hub_.CentreOf("poster_wall")), 507);
  const std::string ref = "sha256:" + Sha256Hex(jpeg);
  ExpectRefused(hub_.Bearer(hub_.edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"}),
                507);
  env_.Clear();
  EXPECT_FALSE(PostPhotoReport(hub_, jpeg, hub_.CentreOf("poster_wall")).empty());
  EXPECT_EQ(hub_.Bearer(hub_.edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"}).status,
            201);
}

TEST_F(FaultTest, AnEvidenceFileWhoseFsyncFailsIsRefusedWith503) {
  const std::string jpeg = GradientJpeg(200, 100);
  const std::string ref = "sha256:" + Sha256Hex(jpeg);
  env_.FailSyncs(1, /*every=*/false);
  ExpectRefused(hub_.Bearer(hub_.edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"}),
                503);
  EXPECT_EQ(hub_.Bearer(hub_.edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"}).status,
            201);
}

TEST_F(FaultTest, AFailedReadAnswers503NeverNotFoundOrUnauthenticated) {
  const LatLon p = Place();
  auto stored = hub_.Ingest(json::array({MakeEvent("read/1", "illegal_parking", p.lat, p.lon)}));
  const std::string id = std::to_string(stored["results"][0]["incident_id"].get<Id>());
  ASSERT_EQ(hub_.Anonymous("GET", "/api/v1/public/incidents/" + id).status, 200);
  ExpectStored(Batch("read-more", 5));  // a later commit: every reader must read its pages again
  env_.FailReads();
  ExpectRefused(hub_.Anonymous("GET", "/api/v1/public/incidents/" + id), 503);
  ExpectRefused(hub_.Bearer(hub_.integration_token(), "GET", "/api/v1/incidents/" + id), 503);
  EXPECT_GT(env_.failed_reads(), 0);
  env_.Clear();
  EXPECT_EQ(hub_.Anonymous("GET", "/api/v1/public/incidents/" + id).status, 200);
}

// A sign-in, a resident's request and its token the store cannot read: 503, never "wrong
// name or password" (which would count against the account) or "not found".
TEST_F(FaultTest, AFailedReadOfAnAccountOrAReportAnswers503) {
  auto created = PostPhotoRequest(hub_, GradientJpeg(240, 160), hub_.CentreOf("poster_wall"));
  ASSERT_EQ(created.status, 201) << created.body;
  const json request = json::parse(created.body)[0];
  const std::string id = request["service_request_id"].is_string() ? request["service_request_id"].get<std::string>()
                                                                   : request["service_request_id"].dump();
  const std::string token = request["token"];
  const std::string sign_in = json{{"name", "dispatcher"}, {"password", "not the password at all"}}.dump();
  auto post_sign_in = [&] { return hub_.Anonymous("POST", "/api/v1/session", sign_in, {"Content-Type: application/json"}); };
  ASSERT_EQ(post_sign_in().status, 401);
  ASSERT_EQ(hub_.Anonymous("GET", "/open311/v2/requests/" + id + ".json").status, 200);
  ExpectStored(Batch("account-read", 5));  // a later commit: every reader must read its pages again
  env_.FailReads();
  ExpectRefused(post_sign_in(), 503);
  ExpectRefused(hub_.Anonymous("GET", "/open311/v2/requests/" + id + ".json"), 503);
  ExpectRefused(hub_.Anonymous("GET", "/open311/v2/tokens/" + token + ".json"), 503);
  ExpectRefused(hub_.Anonymous("GET", "/open311/v2/requests.json"), 503);
  env_.Clear();
  EXPECT_EQ(post_sign_in().status, 401);
  EXPECT_EQ(hub_.Anonymous("GET", "/open311/v2/tokens/" + token + ".json").status, 200);
}

constexpr TimeMs kDay = 86'400'000;

// A record the store cannot read is not a missing one: a resident's photo answers 503, not
// 404 or 410, and the sweep of files without a record deletes nothing.
TEST_F(FaultTest, AnEvidenceRecordThatCannotBeReadIsNeverTakenForAMissingOne) {
  const std::string media = PostPhotoReport(hub_, GradientJpeg(240, 160), hub_.CentreOf("poster_wall"));
  ASSERT_FALSE(media.empty());
  ASSERT_EQ(hub_.Anonymous("GET", media).status, 200);
  const std::string evidence = DefaultEvidenceDir("sqlite:" + hub_.dir() + "/hub.db");
  auto files = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(evidence)) n += e.path().extension() == ".jpg";
    return n;
  };
  const std::size_t before = files();
  ASSERT_GT(before, 0u);
  ExpectStored(Batch("evidence-read", 5));  // a later commit: every reader must read its pages again
  env_.FailReads();
  ExpectRefused(hub_.Anonymous("GET", media), 503);
  EvidenceStore store_files(evidence, &env_);
  auto swept = store_files.SweepUnrecorded(hub_.hub().store(), env_.NowMs() + kDay);  // every file old enough
  EXPECT_FALSE(swept.ok()) << "a sweep that cannot read the records must stop, not delete";
  env_.Clear();
  EXPECT_EQ(files(), before);
  EXPECT_EQ(hub_.Anonymous("GET", media).status, 200);
}

TEST_F(FaultTest, AWallClockSteppedBackLocksNobodyOutOfPosting) {
  const LatLon p = hub_.CentreOf("poster_wall");
  const std::string form = "service_code=graffiti&lat=" + std::to_string(p.lat) + "&long=" + std::to_string(p.lon) +
                           "&description=Tag+on+the+wall";
  auto post = [&] {
    return hub_.Anonymous("POST", "/open311/v2/requests.json", form,
                          {"Content-Type: application/x-www-form-urlencoded"});
  };
  int created = 0;
  HttpReply r;
  while ((r = post()).status == 201 && created < 100) ++created;
  ASSERT_EQ(r.status, 429) << r.body;
  env_.StepClock(-kDay);
  r = post();
  ASSERT_EQ(r.status, 429) << "the window is elapsed time, not wall time";
  EXPECT_LE(std::stoll(r.header("retry-after")), 60) << "not a day and a minute";
}

TEST_F(FaultTest, AWallClockSteppedForwardByDaysDoesNotMakeThePurgeDeleteEarly) {
  const LatLon p = Place();
  hub_.Ingest(json::array({MakeEventNow("fresh/1", "illegal_parking", p.lat, p.lon)}));
  const District& district = hub_.hub().catalog().Get()->district;
  const PurgeClock clock(&env_);
  env_.StepClock((district.retention.events_days + 10) * kDay);
  const std::string evidence = DefaultEvidenceDir("sqlite:" + hub_.dir() + "/hub.db");
  auto purged = PurgeExpired(hub_.hub().store(), district, evidence, &env_, clock.Now());
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->events, 0);
  ExpectEachStoredOnce("fresh", 1);
  // By the stepped wall clock alone, the same purge would have taken it.
  purged = PurgeExpired(hub_.hub().store(), district, evidence, &env_, env_.NowMs());
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->events, 1);
}

TEST_F(FaultTest, AWallClockSteppedBackReordersNoStream) {
  const LatLon p = Place();
  auto first = hub_.Ingest(json::array({MakeEvent("order/1", "illegal_parking", p.lat, p.lon)}));
  env_.StepClock(-kDay);
  auto second = hub_.Ingest(json::array({MakeEvent("order/2", "dumped_rubbish", p.lat, p.lon)}));
  auto changes = hub_.hub().store().ChangesAfter(0, 1000).value();
  std::vector<Id> order;
  for (const auto& c : changes)
    if (order.empty() || order.back() != c.incident_id) order.push_back(c.incident_id);
  ASSERT_GE(order.size(), 2u);
  EXPECT_EQ(order[order.size() - 2], first["results"][0]["incident_id"].get<Id>());
  EXPECT_EQ(order.back(), second["results"][0]["incident_id"].get<Id>()) << "the later change comes later";
}

}  // namespace
}  // namespace gb::testing
