// Batch ingest's duplicate detection. Ingest looks up a batch's keys on a read snapshot
// before it takes the write lock; these tests make that snapshot stale (as when an edge
// agent's retry races its first try) or unavailable, and check that every key is still
// stored once and every duplicate names the stored event and its incident.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "district/district.h"
#include "incidents/catalog.h"
#include "incidents/service.h"
#include "test_store.h"

namespace gb {
namespace {

constexpr TimeMs kNow = 1'795'000'000'000;  // 2026-11-18

std::shared_ptr<const Catalog> DemoCatalog() {
  auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
  if (!district.ok()) throw std::runtime_error(district.status().message());
  auto catalog = Catalog::Build(std::move(district).value());
  if (!catalog.ok()) throw std::runtime_error(catalog.status().message());
  return *catalog;
}

struct Rig {
  test::TempStore db;
  test::FailableStore store{db.store()};
  CatalogHolder catalog{DemoCatalog()};
  FakeClockEnv env{kNow};
  IncidentService service{store, catalog, &env};
  Actor edge{"edge-1", Role::kAdmin, false};

  std::vector<IngestOutcome> Ingest(const std::vector<Event>& events) {
    auto out = service.Ingest(events, edge);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? *out : std::vector<IngestOutcome>{};
  }
};

// An illegal-parking observation by cam-1, `n` metres east of a fixed point.
Event Parking(const std::string& key, double east_m = 0) {
  Event e;
  e.idempotency_key = key;
  e.source_kind = SourceKind::kCamera;
  e.source_id = "cam-1";
  e.category = "illegal_parking";
  e.rule = "stationary_vehicle";
  e.observed_at = kNow - 60'000;
  e.location = {31.2304, 121.4737 + east_m / 95'000.0};
  e.confidence = 0.9;
  return e;
}

using Kind = IngestOutcome::Kind;

// Ingests `first`, then `second` with key lookups in `mode`, and checks that the keys of
// `first` come back as duplicates naming what was stored and that nothing is stored twice.
void ExpectDuplicatesFound(test::FailableStore::KeyLookups mode) {
  Rig rig;
  auto first = rig.Ingest({Parking("a"), Parking("b", 5)});
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(first[0].kind, Kind::kStored);
  ASSERT_EQ(first[1].kind, Kind::kStored);

  rig.store.SetKeyLookups(mode);
  auto second = rig.Ingest({Parking("b", 5), Parking("c", 10), Parking("a")});
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].kind, Kind::kDuplicate);
  EXPECT_EQ(second[0].event_id, first[1].event_id);
  EXPECT_EQ(second[0].incident_id, first[1].incident_id);
  EXPECT_EQ(second[1].kind, Kind::kStored);
  EXPECT_EQ(second[1].incident_id, first[0].incident_id) << "10 m away: joins the same incident";
  EXPECT_EQ(second[2].kind, Kind::kDuplicate);
  EXPECT_EQ(second[2].event_id, first[0].event_id);

  rig.store.SetKeyLookups(test::FailableStore::KeyLookups::kReal);
  auto events = rig.store.EventsOfIncident(first[0].incident_id, 100).value();
  EXPECT_EQ(events.size(), 3u) << "a, b and c, each once";
  auto incident = rig.store.GetIncident(first[0].incident_id).value();
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->event_count, 3) << "a rolled-back attempt must not count its events";
}

TEST(IngestKeys, DuplicatesAreFoundOnTheSnapshot) { ExpectDuplicatesFound(test::FailableStore::KeyLookups::kReal); }

TEST(IngestKeys, AStaleSnapshotIsCaughtByTheStoreAndTheBatchRunsAgain) {
  ExpectDuplicatesFound(test::FailableStore::KeyLookups::kStale);
}

TEST(IngestKeys, WithoutASnapshotKeysAreCheckedInsideTheWrite) {
  ExpectDuplicatesFound(test::FailableStore::KeyLookups::kFail);
}

TEST(IngestKeys, AStaleRetryCommitsOnceAndLeavesOneChangePerIncident) {
  Rig rig;
  ASSERT_EQ(rig.Ingest({Parking("a")})[0].kind, Kind::kStored);
  const Id changes = rig.store.LastChangeSeq().value();
  const int writes = rig.store.writes();
  rig.store.SetKeyLookups(test::FailableStore::KeyLookups::kStale);
  auto again = rig.Ingest({Parking("a"), Parking("d", 3)});
  EXPECT_EQ(again[0].kind, Kind::kDuplicate);
  EXPECT_EQ(again[1].kind, Kind::kStored);
  EXPECT_EQ(rig.store.writes(), writes + 1) << "the raced attempt rolled back; only the rerun committed";
  EXPECT_EQ(rig.store.LastChangeSeq().value(), changes + 1) << "one update of the one incident";
}

// A report's photo is stored in the report's own transaction: when the report cannot be
// stored, neither is the photo's record.
TEST(SubmitReport, ThePhotoCommitsWithTheReportOrNotAtAll) {
  Rig rig;
  const std::string photo = "sha256:" + std::string(64, 'a');
  auto store_photo = [&](WriteTxn& txn) -> Status {
    return txn.PutEvidence(EvidenceRecord{photo, 1234, kNow}).status();
  };
  auto report = [&](const std::string& token) {
    Report r;
    r.token = token;
    r.service_code = "pothole";
    r.location = {31.2304, 121.4737};
    r.media = photo;
    r.requested_at = kNow;
    return r;
  };
  Report first = report("token-1");
  first.media.clear();
  ASSERT_TRUE(rig.service.SubmitReport(first, rig.edge).ok());
  const int writes = rig.store.writes();

  Report clash = report("token-1");  // report tokens are unique: this insert fails
  EXPECT_EQ(rig.service.SubmitReport(clash, rig.edge, store_photo).code(), Code::kConflict);
  EXPECT_FALSE(rig.store.GetEvidence(photo).value()) << "the photo's record went with the failed report";
  EXPECT_EQ(rig.store.writes(), writes);

  Report second = report("token-2");
  ASSERT_TRUE(rig.service.SubmitReport(second, rig.edge, store_photo).ok());
  EXPECT_EQ(rig.store.writes(), writes + 1) << "one commit for the photo and the report";
  auto stored = rig.store.GetEvidence(photo).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->bytes, 1234);
  EXPECT_EQ(rig.store.GetReport(second.id).value()->media, photo);
}

}  // namespace
}  // namespace gb
