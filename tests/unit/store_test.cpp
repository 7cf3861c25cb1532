// Tests of the SQLite store on real files, one fresh temporary directory per test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "store/sqlite/encoding.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace gb {
namespace {

namespace fs = std::filesystem;

constexpr TimeMs kT0 = 1795515302120;  // 2026-11-24T10:15:02.120Z
constexpr const char* kEvil = "x'); DROP TABLE events;--";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gb-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (fs::path(dir_) / "hub.db").string();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Reopen() {
    store_.reset();
    auto s = OpenStore("sqlite:" + path_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  Store& store() { return *store_; }

  Status W(const std::function<Status(WriteTxn&)>& fn) { return store_->Write(fn); }

  // Reads a single integer with a private connection (schema checks).
  std::int64_t Scalar(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  static Event MakeEvent(const std::string& key, const std::string& category, LatLon at, TimeMs t) {
    Event e;
    e.idempotency_key = key;
    e.source_kind = SourceKind::kCamera;
    e.source_id = "cam-12";
    e.category = category;
    e.rule = "stationary_vehicle";
    e.observed_at = t;
    e.location = at;
    e.confidence = 0.87;
    e.attributes_json = R"({"dwell_s": 312})";
    e.evidence = {"sha256:9f86d0", "sha256:abcdef"};
    return e;
  }

  static Incident MakeIncident(const std::string& category, LatLon at, TimeMs t,
                               IncidentState state = IncidentState::kNew) {
    Incident i;
    i.category = category;
    i.state = state;
    i.location = at;
    i.opened_at = i.updated_at = i.last_seen_at = t;
    i.event_count = 1;
    return i;
  }

  Id AddIncident(const Incident& in) {
    Incident copy = in;
    EXPECT_TRUE(W([&](WriteTxn& t) { return t.InsertIncident(copy); }).ok());
    return copy.id;
  }

  Id AddEvent(Event e, Id incident) {
    EXPECT_TRUE(W([&](WriteTxn& t) { return t.InsertEvent(e, incident); }).ok());
    return e.id;
  }

  std::string dir_, path_;
  std::unique_ptr<Store> store_;
};

// Joins the parts into a string (GCC 12 warns falsely about chains of string operator+).
std::string Cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

GeoBox Box(double min_lat, double min_lon, double max_lat, double max_lon) {
  return GeoBox(GeoPoint(min_lon, min_lat), GeoPoint(max_lon, max_lat));
}

template <typename T>  // Incident or IncidentCandidate
std::vector<Id> Ids(const std::vector<T>& v) {
  std::vector<Id> ids;
  for (const auto& i : v) ids.push_back(i.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---- opening, schema, migrations ----------------------------------------------------------------

TEST_F(StoreTest, MigrationsCreateTheSchemaAndReopeningKeepsVersionAndData) {
  EXPECT_EQ(Scalar("PRAGMA user_version"), sqlite::LatestSchemaVersion());
  for (const char* table : {"events", "incidents", "incident_changes", "audit", "reports", "evidence", "config",
                            "users", "tokens", "sessions", "idempotency"}) {
    EXPECT_EQ(Scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") + table + "'"),
              1)
        << table;
  }
  Id id = AddIncident(MakeIncident("dumped_waste", {31.23, 121.47}, kT0));
  Reopen();
  Reopen();
  EXPECT_EQ(Scalar("PRAGMA user_version"), sqlite::LatestSchemaVersion());
  auto got = store().GetIncident(id).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->category, "dumped_waste");
  EXPECT_TRUE(store().Ping());
}

TEST_F(StoreTest, AVersionOneDatabaseIsMigratedAndKeepsItsData) {
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite::Migrations()[0].version, 1);
  ASSERT_EQ(sqlite3_exec(db, sqlite::Migrations()[0].sql, nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA user_version = 1;"
                         "INSERT INTO incident_changes (incident_id, at, type, department_id, area_id, json)"
                         " VALUES (7, 1, 'created', 'roads', 'ward-1', '{}');"
                         "INSERT INTO incidents (id, category, state, open, lat, lon, opened_at, updated_at,"
                         " last_seen_at, cell) VALUES (7, 'noise', 'routed', 1, 31.2, 121.4, 1, 1, 1, 0),"
                         " (8, 'noise', 'routed', 1, 31.2, 121.4, 1, 1, 1, 0);"
                         "INSERT INTO events (id, idempotency_key, source_kind, source_id, category, rule,"
                         " observed_at, lat, lon, confidence, attributes, evidence, incident_id) VALUES"
                         " (1, 'k1', 'camera', 'cam-1', 'noise', '', 5, 31.2, 121.4, 1, '{}', '', 7),"
                         " (2, 'k2', 'camera', 'cam-1', 'noise', '', 6, 31.2, 121.4, 1, '{}', '', 8),"
                         " (3, 'k3', 'camera', 'cam-1', 'noise', '', 7, 31.2, 121.4, 1, '{}', '', 7);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  EXPECT_EQ(Scalar("PRAGMA user_version"), sqlite::LatestSchemaVersion());
  EXPECT_EQ(Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'incident_changes_by_incident'"), 0);
  EXPECT_EQ(store().ChangesAfter(0, 10).value().size(), 1u);
  // v3 links the events that were there to their incidents, and new ones come first.
  auto ids = [&](Id inc) {
    std::vector<Id> v;
    for (auto& e : store().EventsOfIncident(inc, 100).value()) v.push_back(e.id);
    return v;
  };
  EXPECT_EQ(ids(7), (std::vector<Id>{3, 1}));
  EXPECT_EQ(ids(8), (std::vector<Id>{2}));
  Id added = AddEvent(MakeEvent("k4", "noise", {31.2, 121.4}, kT0), 7);
  EXPECT_EQ(ids(7), (std::vector<Id>{added, 3, 1}));
}

TEST_F(StoreTest, WalModeIsPersistentInTheFile) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(StoreTest, NewerSchemaThanTheBuildIsRefused) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string sql = "PRAGMA user_version = " + std::to_string(sqlite::LatestSchemaVersion() + 1);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore("sqlite:" + path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().message();
}

TEST_F(StoreTest, OpenStoreChecksTheUrl) {
  auto bad = OpenStore("postgres://localhost/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
  EXPECT_NE(bad.status().message().find("use sqlite:PATH"), std::string::npos);
  EXPECT_EQ(OpenStore("hub.db").status().code(), Code::kInvalid);
  EXPECT_EQ(OpenStore("sqlite:").status().code(), Code::kInvalid);
  EXPECT_EQ(OpenStore("sqlite::memory:").status().code(), Code::kInvalid);

  auto missing = OpenStore("sqlite:" + dir_ + "/no/such/dir/hub.db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kUnavailable);
  EXPECT_NE(missing.status().message().find("no/such/dir/hub.db"), std::string::npos) << missing.status().message();

  std::string junk = dir_ + "/junk.db";
  std::ofstream(junk) << std::string(8192, 'x');
  auto notdb = OpenStore("sqlite:" + junk);
  ASSERT_FALSE(notdb.ok());
  EXPECT_EQ(notdb.status().code(), Code::kUnavailable);

  auto triple = OpenStore("sqlite://" + dir_ + "/other.db");  // sqlite:///abs/path spelling
  EXPECT_TRUE(triple.ok()) << triple.status().message();
  EXPECT_TRUE(fs::exists(dir_ + "/other.db"));
}

TEST(ConfigKind, HasStableNames) {
  EXPECT_EQ(ConfigKindName(ConfigKind::kArea), "area");
  EXPECT_EQ(ConfigKindName(ConfigKind::kCamera), "camera");
  EXPECT_EQ(ConfigKindName(ConfigKind::kDepartment), "department");
  EXPECT_EQ(ConfigKindName(ConfigKind::kRoutingRule), "routing_rule");
  EXPECT_EQ(ConfigKindName(ConfigKind::kService), "service");
  EXPECT_EQ(ConfigKindName(ConfigKind::kSensor), "sensor");
  EXPECT_EQ(ConfigKindName(ConfigKind::kSetting), "setting");
  EXPECT_EQ(ConfigKindName(ConfigKind::kSla), "sla");
  EXPECT_EQ(ConfigKindName(ConfigKind::kResponseTemplate), "response_template");
  EXPECT_EQ(ConfigKindName(ConfigKind::kEvidencePurpose), "evidence_purpose");
}

// ---- encodings -------------------------------------------------------------------------------

TEST(Encoding, EvidenceAndViewsRoundTripAnyString) {
  std::vector<std::string> hashes = {"sha256:ab", "with space", "100%|;", "sha256:cd"};
  std::string text;
  sqlite::EncodeEvidence(hashes, text);
  std::vector<std::string> back;
  sqlite::DecodeEvidence(text, back);
  EXPECT_EQ(back, hashes);
  sqlite::EncodeEvidence({}, text);
  EXPECT_EQ(text, "");
  sqlite::DecodeEvidence(text, back);
  EXPECT_TRUE(back.empty());
  sqlite::EncodeEvidence({"sha256:1", "sha256:2"}, text);
  EXPECT_EQ(text, "sha256:1 sha256:2");

  std::vector<EvidenceView> views = {{"sha256:aa", "cam-1", 0.1}, {"a|b;c%d e", kEvil, 1.0 / 3}, {"", "", 0}};
  sqlite::EncodeViews(views, text);
  std::vector<EvidenceView> vback;
  sqlite::DecodeViews(text, vback);
  ASSERT_EQ(vback.size(), views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(vback[i].evidence, views[i].evidence);
    EXPECT_EQ(vback[i].source_id, views[i].source_id);
    EXPECT_EQ(vback[i].confidence, views[i].confidence);  // exact: shortest round-trip form
  }
  sqlite::EncodeViews({{"sha256:aa", "cam-1", 0.5}}, text);
  EXPECT_EQ(text, "sha256:aa|cam-1|0.5");
}

// ---- events and write transactions ---------------------------------------------------------------

TEST_F(StoreTest, EventRoundTripAndIdempotencyKeyIsUnique) {
  Id inc = AddIncident(MakeIncident("illegal_parking", {31.2304, 121.4737}, kT0));
  Event e = MakeEvent("cam-12/2026-11-24T10:15:02.120Z/stationary_vehicle/7", "illegal_parking", {31.2304, 121.4737}, kT0);
  Id first = AddEvent(e, inc);
  EXPECT_GT(first, 0);

  ASSERT_TRUE(W([&](WriteTxn& t) {
                auto found = t.FindEventByKey(e.idempotency_key);
                EXPECT_TRUE(found);
                if (found) {
                  EXPECT_EQ(found->first, first);
                  EXPECT_EQ(found->second, inc);
                }
                EXPECT_FALSE(t.FindEventByKey("other"));
                // The caller checks first, but the constraint holds regardless.
                Event dup = e;
                Status s = t.InsertEvent(dup, inc);
                EXPECT_EQ(s.code(), Code::kConflict);
                EXPECT_NE(s.message().find("idempotency key"), std::string::npos) << s.message();
                // The transaction goes on after a failed statement.
                Event other = MakeEvent("k2", "illegal_parking", {31.2304, 121.4737}, kT0 + 1);
                return t.InsertEvent(other, inc);
              }).ok());

  auto events = store().EventsOfIncident(inc, 10).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].idempotency_key, "k2");  // newest first
  const Event& got = events[1];
  EXPECT_EQ(got.id, first);
  EXPECT_EQ(got.idempotency_key, e.idempotency_key);
  EXPECT_EQ(got.source_kind, SourceKind::kCamera);
  EXPECT_EQ(got.source_id, "cam-12");
  EXPECT_EQ(got.category, "illegal_parking");
  EXPECT_EQ(got.rule, "stationary_vehicle");
  EXPECT_EQ(got.observed_at, kT0);
  EXPECT_EQ(got.location.lat, 31.2304);
  EXPECT_EQ(got.location.lon, 121.4737);
  EXPECT_EQ(got.confidence, 0.87);
  EXPECT_EQ(got.attributes_json, R"({"dwell_s": 312})");
  EXPECT_EQ(got.evidence, e.evidence);
  EXPECT_EQ(store().EventsOfIncident(inc, 1).value().size(), 1u);
  EXPECT_TRUE(store().EventsOfIncident(inc, 0).value().empty());
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 2);
}

TEST_F(StoreTest, EventWithoutIncidentAndLinkToMissingIncident) {
  Event loose = MakeEvent("loose", "noise", {31.2, 121.4}, kT0);
  EXPECT_GT(AddEvent(loose, 0), 0);
  ASSERT_TRUE(W([&](WriteTxn& t) {
                auto found = t.FindEventByKey("loose");
                EXPECT_TRUE(found && found->second == 0);
                return Status::Ok();
              }).ok());
  Event bad = MakeEvent("bad", "noise", {31.2, 121.4}, kT0);
  Status s = W([&](WriteTxn& t) { return t.InsertEvent(bad, 999); });
  EXPECT_FALSE(s.ok());  // foreign key
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 1);
}

TEST_F(StoreTest, WriteRollsBackOnErrorAndOnException) {
  Status s = W([&](WriteTxn& t) {
    Incident i = MakeIncident("noise", {31.2, 121.4}, kT0);
    GB_RETURN_IF_ERROR(t.InsertIncident(i));
    Event e = MakeEvent("rolled-back", "noise", {31.2, 121.4}, kT0);
    GB_RETURN_IF_ERROR(t.InsertEvent(e, i.id));
    AuditEntry a{0, kT0, "alice", "incident.transition", "incident/1", "", "{}"};
    GB_RETURN_IF_ERROR(t.AppendAudit(a));
    return Status::Invalid("changed my mind");
  });
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_THROW(W([&](WriteTxn& t) -> Status {
                 Incident i = MakeIncident("noise", {31.2, 121.4}, kT0);
                 (void)t.InsertIncident(i);
                 throw std::runtime_error("boom");
               }),
               std::runtime_error);
  EXPECT_EQ(Scalar("SELECT count(*) FROM incidents"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM audit"), 0);
  EXPECT_TRUE(store().ListAudit({}).value().empty());
  // The writer is usable afterwards.
  EXPECT_GT(AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0)), 0);
}

TEST_F(StoreTest, NestedWriteIsRefusedInsteadOfDeadlocking) {
  Status inner;
  Status outer = W([&](WriteTxn&) {
    inner = store().Write([](WriteTxn&) { return Status::Ok(); });
    return Status::Ok();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), Code::kInternal);
}

TEST_F(StoreTest, WritesInsideTheTransactionAreVisibleToItsReads) {
  ASSERT_TRUE(W([&](WriteTxn& t) {
                Incident i = MakeIncident("noise", {31.2, 121.4}, kT0);
                GB_RETURN_IF_ERROR(t.InsertIncident(i));
                EXPECT_TRUE(t.GetIncident(i.id));
                EXPECT_EQ(t.FindOpenIncidents("noise", Box(31.1, 121.3, 31.3, 121.5), 0).size(), 1u);
                Event e = MakeEvent("k", "noise", {31.2, 121.4}, kT0);
                GB_RETURN_IF_ERROR(t.InsertEvent(e, i.id));
                EXPECT_TRUE(t.FindEventByKey("k"));
                EXPECT_EQ(t.EventsOfIncident(i.id, 5).size(), 1u);
                // Not visible to readers before the commit.
                EXPECT_FALSE(store().GetIncident(i.id).value());
                return Status::Ok();
              }).ok());
}

// ---- incidents ---------------------------------------------------------------------------------

TEST_F(StoreTest, IncidentRoundTripsEveryField) {
  Incident in = MakeIncident("dumped_waste", {31.2304, 121.4737}, kT0, IncidentState::kDispatched);
  in.area_id = "ward-3";
  in.department_id = "sanitation";
  in.routing_rule_id = "rule-7";
  in.explanation = "dumped_waste in ward-3 goes to sanitation";
  in.unrouted = true;
  in.priority = 2;
  in.updated_at = kT0 + 5;
  in.last_seen_at = kT0 + 9;
  in.event_count = 4;
  in.views = {{"sha256:aa", "cam-1", 0.9}, {"sha256:bb", "cam-2", 0.8}, {"sha256:cc", "17", 0.5}};
  in.assignee = "crew-bob";
  in.merged_into = 0;
  in.note = kEvil;
  Id id = AddIncident(in);
  in.id = id;
  auto got = store().GetIncident(id).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->category, in.category);
  EXPECT_EQ(got->state, in.state);
  EXPECT_EQ(got->location.lat, in.location.lat);
  EXPECT_EQ(got->location.lon, in.location.lon);
  EXPECT_EQ(got->area_id, in.area_id);
  EXPECT_EQ(got->department_id, in.department_id);
  EXPECT_EQ(got->routing_rule_id, in.routing_rule_id);
  EXPECT_EQ(got->explanation, in.explanation);
  EXPECT_EQ(got->unrouted, true);
  EXPECT_EQ(got->priority, 2);
  EXPECT_EQ(got->opened_at, kT0);
  EXPECT_EQ(got->updated_at, kT0 + 5);
  EXPECT_EQ(got->last_seen_at, kT0 + 9);
  EXPECT_EQ(got->event_count, 4);
  ASSERT_EQ(got->views.size(), 3u);
  EXPECT_EQ(got->views[1].evidence, "sha256:bb");
  EXPECT_EQ(got->views[1].source_id, "cam-2");
  EXPECT_EQ(got->views[1].confidence, 0.8);
  EXPECT_EQ(got->assignee, "crew-bob");
  EXPECT_EQ(got->note, kEvil);
  EXPECT_FALSE(store().GetIncident(id + 100).value());
  EXPECT_EQ(got->latest_report.id, 0);
  EXPECT_TRUE(got->sla.sla_id.empty());

  // What the pages show beside it: its newest report, its SLA clock, when the crew set off.
  in.latest_report = {12, kEvil, kT0 - 7, true};
  in.sla = {"sla-1", kT0, kT0 + 60'000, kT0 + 600'000, kT0 + 61'000, "traffic"};
  in.en_route_at = kT0 + 30;
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(in); }).ok());  // the cheap path
  got = store().GetIncident(id).value();
  EXPECT_EQ(got->latest_report.id, 12);
  EXPECT_EQ(got->latest_report.description, kEvil);
  EXPECT_EQ(got->latest_report.requested_at, kT0 - 7);
  EXPECT_TRUE(got->latest_report.has_photo);
  EXPECT_EQ(got->sla.sla_id, "sla-1");
  EXPECT_EQ(got->sla.started_at, kT0);
  EXPECT_EQ(got->sla.respond_due_at, kT0 + 60'000);
  EXPECT_EQ(got->sla.resolve_due_at, kT0 + 600'000);
  EXPECT_EQ(got->sla.overdue_at, kT0 + 61'000);
  EXPECT_EQ(got->sla.escalated_from, "traffic");
  EXPECT_EQ(got->en_route_at, kT0 + 30);

  // Update: both the cheap path (no indexed column changes) and the full one.
  in.event_count = 5;
  in.last_seen_at = kT0 + 20;
  in.views.pop_back();
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(in); }).ok());
  got = store().GetIncident(id).value();
  EXPECT_EQ(got->event_count, 5);
  EXPECT_EQ(got->last_seen_at, kT0 + 20);
  EXPECT_EQ(got->views.size(), 2u);
  EXPECT_EQ(got->assignee, "crew-bob");
  in.state = IncidentState::kResolved;
  in.assignee = "";
  in.merged_into = 3;
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(in); }).ok());
  got = store().GetIncident(id).value();
  EXPECT_EQ(got->state, IncidentState::kResolved);
  EXPECT_EQ(got->assignee, "");
  EXPECT_EQ(got->merged_into, 3);

  Incident missing = in;
  missing.id = id + 100;
  EXPECT_EQ(W([&](WriteTxn& t) { return t.UpdateIncident(missing); }).code(), Code::kNotFound);
}

TEST_F(StoreTest, FindOpenIncidentsRespectsCategoryBoxTimeAndState) {
  const LatLon here{31.2304, 121.4737};
  Id a = AddIncident(MakeIncident("illegal_parking", here, kT0));
  Id near = AddIncident(MakeIncident("illegal_parking", {31.2308, 121.4741}, kT0));
  AddIncident(MakeIncident("dumped_waste", here, kT0));                                      // other category
  AddIncident(MakeIncident("illegal_parking", {31.2404, 121.4737}, kT0));                    // ~1 km north
  AddIncident(MakeIncident("illegal_parking", here, kT0 - 3'600'000));                       // too old
  AddIncident(MakeIncident("illegal_parking", here, kT0, IncidentState::kResolved));         // closed
  AddIncident(MakeIncident("illegal_parking", here, kT0, IncidentState::kMerged));           // closed
  Id routed = AddIncident(MakeIncident("illegal_parking", here, kT0, IncidentState::kInProgress));

  const GeoBox box = Box(31.2300, 121.4730, 31.2310, 121.4745);
  std::vector<IncidentCandidate> found;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                found = t.FindOpenIncidents("illegal_parking", box, kT0 - 600'000);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Ids(found), (std::vector<Id>{a, near, routed}));
  for (const auto& c : found) {  // what correlation ranks by is read back as stored
    if (c.id != near) continue;
    EXPECT_EQ(c.location.lat, 31.2308);
    EXPECT_EQ(c.location.lon, 121.4741);
    EXPECT_EQ(c.last_seen_at, kT0);
  }

  // A point exactly on the box edge is inside.
  ASSERT_TRUE(W([&](WriteTxn& t) {
                found = t.FindOpenIncidents("illegal_parking", Box(31.2304, 121.4737, 31.2304, 121.4737), kT0);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Ids(found), (std::vector<Id>{a, routed}));

  // A tall box (many grid rows) finds the far one too; an inverted box finds nothing.
  ASSERT_TRUE(W([&](WriteTxn& t) {
                found = t.FindOpenIncidents("illegal_parking", Box(31.20, 121.47, 31.25, 121.48), kT0 - 600'000);
                EXPECT_EQ(found.size(), 4u);
                EXPECT_TRUE(t.FindOpenIncidents("illegal_parking", Box(31.25, 121.47, 31.20, 121.48), 0).empty());
                return Status::Ok();
              }).ok());

  // Moving and closing an incident updates what the search sees.
  auto inc = store().GetIncident(a).value();
  inc->location = {31.30, 121.50};
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(*inc); }).ok());
  auto n = store().GetIncident(near).value();
  n->state = IncidentState::kRejected;
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(*n); }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(Ids(t.FindOpenIncidents("illegal_parking", box, kT0 - 600'000)), (std::vector<Id>{routed}));
                EXPECT_EQ(Ids(t.FindOpenIncidents("illegal_parking", Box(31.2999, 121.4999, 31.3001, 121.5001), 0)),
                          (std::vector<Id>{a}));
                return Status::Ok();
              }).ok());
  // Reopening puts it back.
  n->state = IncidentState::kInProgress;
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(*n); }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(Ids(t.FindOpenIncidents("illegal_parking", box, kT0 - 600'000)),
                          (std::vector<Id>{near, routed}));
                return Status::Ok();
              }).ok());
}

TEST_F(StoreTest, FindOpenIncidentsAcrossGridCellBorders) {
  // Points scattered over a few hundred metres; every box query must agree with brute force.
  std::vector<Incident> all;
  unsigned seed = 12345;
  auto rnd = [&] {
    seed = seed * 1103515245u + 12345u;
    return static_cast<double>((seed >> 8) & 0xffff) / 65536.0;
  };
  ASSERT_TRUE(W([&](WriteTxn& t) {
                for (int i = 0; i < 300; ++i) {
                  Incident in = MakeIncident(i % 2 ? "a" : "b", {31.230 + rnd() * 0.004, 121.470 + rnd() * 0.004}, kT0);
                  GB_RETURN_IF_ERROR(t.InsertIncident(in));
                  all.push_back(in);
                }
                return Status::Ok();
              }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) {
                for (int q = 0; q < 200; ++q) {
                  double lat = 31.229 + rnd() * 0.006, lon = 121.469 + rnd() * 0.006;
                  double dh = rnd() * 0.0015, dw = rnd() * 0.0015;
                  GeoBox box = Box(lat, lon, lat + dh, lon + dw);
                  std::vector<Id> want;
                  for (const auto& in : all)
                    if (in.category == "a" && in.location.lat >= lat && in.location.lat <= lat + dh &&
                        in.location.lon >= lon && in.location.lon <= lon + dw)
                      want.push_back(in.id);
                  EXPECT_EQ(Ids(t.FindOpenIncidents("a", box, kT0)), want) << q;
                }
                return Status::Ok();
              }).ok());
}

TEST_F(StoreTest, FindOpenIncidentsFollowsChangesInsideAndAcrossTransactions) {
  const GeoBox box = Box(31.2300, 121.4730, 31.2310, 121.4745);
  const GeoBox world = Box(-90, -180, 90, 180);
  Incident a = MakeIncident("noise", {31.2304, 121.4737}, kT0);
  Incident b = MakeIncident("noise", {31.2306, 121.4739}, kT0);
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_TRUE(t.FindOpenIncidents("noise", box, 0).empty());  // loads the (empty) index
                GB_RETURN_IF_ERROR(t.InsertIncident(a));
                GB_RETURN_IF_ERROR(t.InsertIncident(b));
                EXPECT_EQ(Ids(t.FindOpenIncidents("noise", box, 0)), (std::vector<Id>{a.id, b.id}));
                b.location = {31.30, 121.50};  // moved away
                b.last_seen_at = kT0 + 5;
                GB_RETURN_IF_ERROR(t.UpdateIncident(b));
                a.state = IncidentState::kResolved;
                GB_RETURN_IF_ERROR(t.UpdateIncident(a));
                EXPECT_TRUE(t.FindOpenIncidents("noise", box, 0).empty());
                auto moved = t.FindOpenIncidents("noise", world, kT0 + 5);  // a box wider than the grid
                EXPECT_EQ(Ids(moved), (std::vector<Id>{b.id}));
                EXPECT_TRUE(t.FindOpenIncidents("noise", world, kT0 + 6).empty());
                EXPECT_TRUE(t.FindOpenIncidents("graffiti", world, 0).empty());
                return Status::Ok();
              }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_TRUE(t.FindOpenIncidents("noise", box, 0).empty());
                EXPECT_EQ(Ids(t.FindOpenIncidents("noise", Box(31.29, 121.49, 31.31, 121.51), 0)),
                          (std::vector<Id>{b.id}));
                a.state = IncidentState::kRouted;  // reopened
                return t.UpdateIncident(a);
              }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(Ids(t.FindOpenIncidents("noise", box, 0)), (std::vector<Id>{a.id}));
                return Status::Ok();
              }).ok());
}

TEST_F(StoreTest, FindOpenIncidentsForgetsWhatWasRolledBack) {
  const GeoBox box = Box(31.2300, 121.4730, 31.2310, 121.4745);
  Incident kept = MakeIncident("noise", {31.2304, 121.4737}, kT0);
  AddIncident(kept);
  Status s = W([&](WriteTxn& t) {
    EXPECT_EQ(t.FindOpenIncidents("noise", box, 0).size(), 1u);
    Incident gone = MakeIncident("noise", {31.2305, 121.4738}, kT0);
    GB_RETURN_IF_ERROR(t.InsertIncident(gone));
    EXPECT_EQ(t.FindOpenIncidents("noise", box, 0).size(), 2u);
    return Status::Invalid("changed my mind");
  });
  EXPECT_EQ(s.code(), Code::kInvalid);
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(t.FindOpenIncidents("noise", box, 0).size(), 1u);
                return Status::Ok();
              }).ok());
}

// The writer keeps incident rows between transactions; what it did not write must not
// come back from that memory.
TEST_F(StoreTest, IncidentRowsAreReadAgainAfterARollbackOrAnotherConnectionsCommit) {
  Incident a = MakeIncident("noise", {31.2304, 121.4737}, kT0);
  a.id = AddIncident(a);
  auto note_in_write = [&] {
    std::string note;
    EXPECT_TRUE(W([&](WriteTxn& t) {
                  auto got = t.GetIncident(a.id);
                  if (got) note = got->note;
                  return Status::Ok();
                }).ok());
    return note;
  };
  EXPECT_EQ(note_in_write(), "");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE incidents SET note = 'elsewhere' WHERE id = " + std::to_string(a.id);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  EXPECT_EQ(note_in_write(), "elsewhere");

  Status s = W([&](WriteTxn& t) {
    Incident changed = *t.GetIncident(a.id);
    changed.note = "rolled back";
    GB_RETURN_IF_ERROR(t.UpdateIncident(changed));
    EXPECT_EQ(t.GetIncident(a.id)->note, "rolled back");
    return Status::Invalid("changed my mind");
  });
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_EQ(note_in_write(), "elsewhere");
}

TEST_F(StoreTest, FindOpenIncidentsSeesCommitsOfAnotherConnection) {
  const GeoBox box = Box(31.2300, 121.4730, 31.2310, 121.4745);
  Id closed_elsewhere = AddIncident(MakeIncident("noise", {31.2304, 121.4737}, kT0));
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(Ids(t.FindOpenIncidents("noise", box, 0)), (std::vector<Id>{closed_elsewhere}));
                return Status::Ok();
              }).ok());
  // Another process on the same file closes it and opens another one.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE incidents SET state = 'resolved', open = 0 WHERE id = " +
                    std::to_string(closed_elsewhere) +
                    "; INSERT INTO incidents (category, state, open, lat, lon, opened_at, updated_at, last_seen_at)"
                    " VALUES ('noise', 'routed', 1, 31.2305, 121.4738, 0, 0, 0);";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  const Id opened_elsewhere = sqlite3_last_insert_rowid(db);
  sqlite3_close(db);
  ASSERT_TRUE(W([&](WriteTxn& t) {
                EXPECT_EQ(Ids(t.FindOpenIncidents("noise", box, 0)), (std::vector<Id>{opened_elsewhere}));
                return Status::Ok();
              }).ok());
}

TEST_F(StoreTest, ListIncidentsFiltersAndPagesWithoutGapsOrDuplicates) {
  const IncidentState states[] = {IncidentState::kNew, IncidentState::kRouted, IncidentState::kResolved};
  const char* categories[] = {"noise", "dumped_waste"};
  ASSERT_TRUE(W([&](WriteTxn& t) {
                for (int i = 0; i < 90; ++i) {
                  Incident in = MakeIncident(categories[i % 2], {31.20 + i * 0.001, 121.40 + i * 0.001}, kT0 + i,
                                             states[i % 3]);
                  in.department_id = i % 5 == 0 ? "sanitation" : "traffic";
                  in.area_id = i % 4 == 0 ? "ward-1" : "ward-2";
                  in.assignee = i % 7 == 0 ? "crew-bob" : "";
                  GB_RETURN_IF_ERROR(t.InsertIncident(in));
                }
                return Status::Ok();
              }).ok());
  auto all = store().ListIncidents({}).value();
  ASSERT_EQ(all.size(), 90u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](auto& a, auto& b) { return a.id > b.id; }));
  auto match = [&](const IncidentFilter& f, const std::function<bool(const Incident&)>& pred) {
    std::vector<Id> want;
    for (const auto& i : all)
      if (pred(i)) want.push_back(i.id);
    std::sort(want.begin(), want.end());
    return Ids(store().ListIncidents(f).value()) == want;
  };
  IncidentFilter f;
  f.states = {IncidentState::kNew, IncidentState::kResolved};
  EXPECT_TRUE(match(f, [](auto& i) { return i.state != IncidentState::kRouted; }));
  f = {};
  f.categories = {"noise"};
  EXPECT_TRUE(match(f, [](auto& i) { return i.category == "noise"; }));
  f = {};
  f.department_id = "sanitation";
  EXPECT_TRUE(match(f, [](auto& i) { return i.department_id == "sanitation"; }));
  f = {};
  f.area_id = "ward-1";
  f.assignee = "crew-bob";
  EXPECT_TRUE(match(f, [](auto& i) { return i.area_id == "ward-1" && i.assignee == "crew-bob"; }));
  f = {};
  f.updated_from = kT0 + 10;
  f.updated_to = kT0 + 20;
  EXPECT_TRUE(match(f, [](auto& i) { return i.updated_at >= kT0 + 10 && i.updated_at < kT0 + 20; }));
  f = {};
  f.bbox = Box(31.2095, 121.4095, 31.2305, 121.4205);
  EXPECT_TRUE(match(f, [](auto& i) {
    return i.location.lat >= 31.2095 && i.location.lat <= 31.2305 && i.location.lon >= 121.4095 &&
           i.location.lon <= 121.4205;
  }));
  f = {};
  f.categories = {kEvil};
  EXPECT_TRUE(store().ListIncidents(f).value().empty());

  // Cursor paging over a filtered list.
  f = {};
  f.states = {IncidentState::kNew, IncidentState::kRouted};
  f.limit = 7;
  std::vector<Id> paged;
  for (int guard = 0; guard < 100; ++guard) {
    auto page = store().ListIncidents(f).value();
    if (page.empty()) break;
    EXPECT_LE(page.size(), 7u);
    for (const auto& i : page) paged.push_back(i.id);
    f.before_id = page.back().id;
  }
  std::vector<Id> want;
  for (const auto& i : all)
    if (i.state != IncidentState::kResolved) want.push_back(i.id);
  EXPECT_EQ(paged, want);  // same order, no duplicates, no gaps

  // Limits are clamped.
  f = {};
  f.limit = 0;
  EXPECT_EQ(store().ListIncidents(f).value().size(), 1u);
  f.limit = 1'000'000;
  EXPECT_EQ(store().ListIncidents(f).value().size(), 90u);
}

TEST_F(StoreTest, CountIncidentsByStateFollowsInsertsUpdatesAndPurges) {
  Id a = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kRouted));
  auto inc = store().GetIncident(a).value();
  inc->state = IncidentState::kResolved;
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.UpdateIncident(*inc); }).ok());
  auto counts = store().CountIncidentsByState().value();
  ASSERT_EQ(counts.size(), kAllIncidentStates.size());
  auto count = [&](IncidentState s) {
    for (auto& [st, n] : store().CountIncidentsByState().value())
      if (st == s) return n;
    return std::int64_t{-1};
  };
  EXPECT_EQ(count(IncidentState::kNew), 1);
  EXPECT_EQ(count(IncidentState::kRouted), 1);
  EXPECT_EQ(count(IncidentState::kResolved), 1);
  EXPECT_EQ(count(IncidentState::kMerged), 0);
  RetentionCutoffs c;
  c.incidents_before = kT0 + 1;
  ASSERT_TRUE(store().Purge(c).ok());
  EXPECT_EQ(count(IncidentState::kResolved), 0);
  EXPECT_EQ(count(IncidentState::kNew), 1);
}

// ---- moving events and reports ----------------------------------------------------------------

TEST_F(StoreTest, MoveEventsMovesEventsAndTheirReports) {
  Id from = AddIncident(MakeIncident("dumped_waste", {31.2, 121.4}, kT0));
  Id to = AddIncident(MakeIncident("dumped_waste", {31.2, 121.4}, kT0));
  Id e1 = AddEvent(MakeEvent("e1", "dumped_waste", {31.2, 121.4}, kT0), from);
  Id e2 = AddEvent(MakeEvent("e2", "dumped_waste", {31.2, 121.4}, kT0), from);
  Report r1, r2;
  r1.service_code = r2.service_code = "dumped_waste";
  r1.incident_id = r2.incident_id = from;
  r1.requested_at = r2.requested_at = kT0;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                GB_RETURN_IF_ERROR(t.InsertReport(r1));
                return t.InsertReport(r2);
              }).ok());
  Event re = MakeEvent("report/" + std::to_string(r1.id), "dumped_waste", {31.2, 121.4}, kT0);
  re.source_kind = SourceKind::kReport;
  re.source_id = "report-" + std::to_string(r1.id);
  Id e3 = AddEvent(re, from);

  // Split: only e1 and the report event; only r1 follows.
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.MoveEvents(from, to, {e1, e3}); }).ok());
  auto ids = [&](Id inc) {
    std::vector<Id> v;
    for (auto& e : store().EventsOfIncident(inc, 100).value()) v.push_back(e.id);
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids(to), (std::vector<Id>{e1, e3}));
  EXPECT_EQ(ids(from), (std::vector<Id>{e2}));
  EXPECT_EQ(store().GetReport(r1.id).value()->incident_id, to);
  EXPECT_EQ(store().GetReport(r2.id).value()->incident_id, from);

  // An event that is not part of `from` is an error and the Write rolls back.
  Status s = W([&](WriteTxn& t) { return t.MoveEvents(from, to, {e2, e1}); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(ids(from), (std::vector<Id>{e2}));

  // Merge: everything, reports included.
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.MoveEvents(from, to, {}); }).ok());
  EXPECT_TRUE(ids(from).empty());
  EXPECT_EQ(ids(to), (std::vector<Id>{e1, e2, e3}));
  EXPECT_EQ(store().GetReport(r2.id).value()->incident_id, to);
  // Moving to a missing incident violates the foreign key.
  EXPECT_FALSE(W([&](WriteTxn& t) { return t.MoveEvents(to, 12345, {}); }).ok());
  EXPECT_EQ(ids(to).size(), 3u);
}

// ---- change log and audit ------------------------------------------------------------------------

TEST_F(StoreTest, ChangesHaveIncreasingSeqAndResume) {
  EXPECT_EQ(store().LastChangeSeq().value(), 0);
  EXPECT_TRUE(store().ChangesAfter(0, 10).value().empty());
  Id inc = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  std::vector<Id> seqs;
  for (int batch = 0; batch < 3; ++batch) {
    ASSERT_TRUE(W([&](WriteTxn& t) {
                  for (int i = 0; i < 4; ++i) {
                    IncidentChange c{0, inc, kT0 + batch * 10 + i, i == 0 ? "created" : "updated", "traffic", "ward-1",
                                     "{\"n\":" + std::to_string(batch * 4 + i) + "}"};
                    GB_RETURN_IF_ERROR(t.AppendChange(c));
                    seqs.push_back(c.seq);
                  }
                  return Status::Ok();
                }).ok());
  }
  // A rolled-back change never shows up.
  EXPECT_FALSE(W([&](WriteTxn& t) {
                 IncidentChange c{0, inc, kT0, "updated", "", "", "{}"};
                 (void)t.AppendChange(c);
                 return Status::Invalid("no");
               }).ok());
  ASSERT_EQ(seqs.size(), 12u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::set<Id>(seqs.begin(), seqs.end()).size(), 12u);
  EXPECT_EQ(store().LastChangeSeq().value(), seqs.back());

  auto first = store().ChangesAfter(0, 5).value();
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(first[0].seq, seqs[0]);
  EXPECT_EQ(first[0].type, "created");
  EXPECT_EQ(first[0].department_id, "traffic");
  EXPECT_EQ(first[0].area_id, "ward-1");
  EXPECT_EQ(first[0].incident_id, inc);
  EXPECT_EQ(first[0].json, "{\"n\":0}");
  auto rest = store().ChangesAfter(first.back().seq, 100).value();
  ASSERT_EQ(rest.size(), 7u);
  EXPECT_EQ(rest[0].seq, seqs[5]);
  EXPECT_EQ(rest.back().json, "{\"n\":11}");
  EXPECT_TRUE(store().ChangesAfter(seqs.back(), 100).value().empty());
}

TEST_F(StoreTest, AuditFilters) {
  ASSERT_TRUE(W([&](WriteTxn& t) {
                const char* actions[] = {"incident.transition", "evidence.read", "user.add", "incident.merge"};
                for (int i = 0; i < 20; ++i) {
                  AuditEntry a{0, kT0 + i, i % 2 ? "alice" : "bob", actions[i % 4],
                               "incident/" + std::to_string(i % 3), i % 4 == 1 ? "investigation" : "", "{}"};
                  GB_RETURN_IF_ERROR(t.AppendAudit(a));
                  EXPECT_GT(a.id, 0);
                }
                AuditEntry odd{0, kT0 + 100, kEvil, "incident%_x", "evidence/sha256:1", "", "{}"};
                return t.AppendAudit(odd);
              }).ok());
  auto all = store().ListAudit({}).value();
  ASSERT_EQ(all.size(), 21u);
  EXPECT_EQ(all[0].actor, kEvil);  // newest first
  AuditFilter f;
  f.actor = "alice";
  EXPECT_EQ(store().ListAudit(f).value().size(), 10u);
  f = {};
  f.action_prefix = "incident.";
  EXPECT_EQ(store().ListAudit(f).value().size(), 10u);
  f.action_prefix = "incident";
  EXPECT_EQ(store().ListAudit(f).value().size(), 11u);
  f.action_prefix = "incident%";  // no wildcards: only the literal prefix
  EXPECT_EQ(store().ListAudit(f).value().size(), 1u);
  f = {};
  f.object = "incident/1";
  for (auto& a : store().ListAudit(f).value()) EXPECT_EQ(a.object, "incident/1");
  EXPECT_EQ(store().ListAudit(f).value().size(), 7u);
  f = {};
  f.from = kT0 + 5;
  f.to = kT0 + 10;
  EXPECT_EQ(store().ListAudit(f).value().size(), 5u);
  f = {};
  f.limit = 8;
  auto page1 = store().ListAudit(f).value();
  f.before_id = page1.back().id;
  auto page2 = store().ListAudit(f).value();
  ASSERT_EQ(page2.size(), 8u);
  EXPECT_EQ(page2[0].id, page1.back().id - 1);
  f = {};
  f.action_prefix = "evidence.read";
  auto evidence = store().ListAudit(f).value();
  ASSERT_EQ(evidence.size(), 5u);
  EXPECT_EQ(evidence[0].purpose, "investigation");
  EXPECT_EQ(evidence[0].detail, "{}");
}

// ---- reports -----------------------------------------------------------------------------------

TEST_F(StoreTest, ReportsRoundTripAndOpen311Filters) {
  Id open_inc = AddIncident(MakeIncident("pothole", {31.2, 121.4}, kT0));
  Id resolved_inc = AddIncident(MakeIncident("pothole", {31.2, 121.4}, kT0, IncidentState::kResolved));
  Id rejected_inc = AddIncident(MakeIncident("graffiti", {31.2, 121.4}, kT0, IncidentState::kRejected));
  Id merged_inc = AddIncident(MakeIncident("graffiti", {31.2, 121.4}, kT0, IncidentState::kMerged));
  std::vector<Report> reports;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                Id links[] = {open_inc, resolved_inc, rejected_inc, merged_inc, 0};
                for (int i = 0; i < 10; ++i) {
                  Report r;
                  r.token = i == 9 ? "" : "tok-" + std::to_string(i);
                  r.service_code = i % 2 ? "pothole" : "graffiti";
                  r.description = i == 0 ? kEvil : "hole number " + std::to_string(i);
                  r.location = {31.2 + i * 1e-4, 121.4};
                  r.address = "1 Main St";
                  r.email = "r@example.org";
                  r.first_name = "Ana";
                  r.last_name = "Li";
                  r.phone = "+86 21 0000";
                  r.device_id = "dev";
                  r.account_id = "acc";
                  r.media = i == 3 ? "sha256:feed" : "";
                  r.requested_at = kT0 + i * 1000;
                  r.incident_id = links[i % 5];
                  GB_RETURN_IF_ERROR(t.InsertReport(r));
                  reports.push_back(r);
                }
                return Status::Ok();
              }).ok());
  auto got = store().GetReport(reports[0].id).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->description, kEvil);
  EXPECT_EQ(got->token, "tok-0");
  EXPECT_EQ(got->email, "r@example.org");
  EXPECT_EQ(got->first_name, "Ana");
  EXPECT_EQ(got->last_name, "Li");
  EXPECT_EQ(got->phone, "+86 21 0000");
  EXPECT_EQ(got->device_id, "dev");
  EXPECT_EQ(got->account_id, "acc");
  EXPECT_EQ(got->address, "1 Main St");
  EXPECT_EQ(got->requested_at, kT0);
  EXPECT_EQ(got->incident_id, open_inc);
  EXPECT_EQ(store().GetReport(reports[3].id).value()->media, "sha256:feed");
  EXPECT_EQ(store().FindReportByToken("tok-4").value()->id, reports[4].id);
  EXPECT_FALSE(store().FindReportByToken("").value());
  EXPECT_FALSE(store().FindReportByToken("nope").value());
  EXPECT_EQ(store().FindReportByMedia("sha256:feed").value()->id, reports[3].id);
  EXPECT_FALSE(store().FindReportByMedia("").value()) << "reports without a photo publish nothing";
  EXPECT_FALSE(store().FindReportByMedia("sha256:beef").value());
  EXPECT_FALSE(store().GetReport(9999).value());

  Report dup;
  dup.token = "tok-1";
  EXPECT_EQ(W([&](WriteTxn& t) { return t.InsertReport(dup); }).code(), Code::kConflict);
  Report second_empty;  // several reports may have no token
  EXPECT_TRUE(W([&](WriteTxn& t) { return t.InsertReport(second_empty); }).ok());

  auto list = [&](const ReportFilter& f) {
    std::vector<Id> ids;
    for (auto& v : store().ListReports(f).value()) ids.push_back(v.report.id);
    return ids;
  };
  auto all = store().ListReports({}).value();
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(all[0].report.id, reports[9].id);  // newest first
  EXPECT_FALSE(all[0].incident);               // report 9 has no incident
  ASSERT_TRUE(all[1].incident);
  EXPECT_EQ(all[1].incident->id, merged_inc);
  EXPECT_EQ(all[1].incident->state, IncidentState::kMerged);

  ReportFilter f;
  f.ids = {reports[2].id, reports[5].id, 9999};
  EXPECT_EQ(list(f), (std::vector<Id>{reports[5].id, reports[2].id}));
  f = {};
  f.service_codes = {"pothole"};
  EXPECT_EQ(list(f).size(), 5u);
  f.service_codes = {"pothole", "graffiti"};
  EXPECT_EQ(list(f).size(), 10u);
  f = {};
  f.start = kT0 + 2000;
  f.end = kT0 + 4000;  // inclusive
  EXPECT_EQ(list(f), (std::vector<Id>{reports[4].id, reports[3].id, reports[2].id}));
  f = {};
  f.open = false;  // resolved or rejected
  EXPECT_EQ(list(f), (std::vector<Id>{reports[7].id, reports[6].id, reports[2].id, reports[1].id}));
  f.open = true;
  f.service_codes = {"graffiti"};
  EXPECT_EQ(list(f), (std::vector<Id>{reports[8].id, reports[4].id, reports[0].id}));
  f = {};
  f.limit = 3;
  f.offset = 2;
  EXPECT_EQ(list(f), (std::vector<Id>{reports[7].id, reports[6].id, reports[5].id}));
  f.service_codes = {kEvil};
  EXPECT_TRUE(list(f).empty());
}

// ---- evidence, config, accounts --------------------------------------------------------------------

TEST_F(StoreTest, EvidenceRecords) {
  EvidenceRecord r{"sha256:abc", 1234, kT0};
  Result<bool> first = false, again = false;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                first = t.PutEvidence(r);
                again = t.PutEvidence(r);
                return Status::Ok();
              }).ok());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  auto got = store().GetEvidence("sha256:abc").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, 1234);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(store().GetEvidence("sha256:nope").value());
}

TEST_F(StoreTest, ConfigPutListGetDelete) {
  ASSERT_TRUE(W([&](WriteTxn& t) {
                GB_RETURN_IF_ERROR(t.PutConfig({ConfigKind::kArea, "ward-2", R"({"name":"Ward 2"})"}));
                GB_RETURN_IF_ERROR(t.PutConfig({ConfigKind::kArea, "ward-1", R"({"name":"Ward 1"})"}));
                GB_RETURN_IF_ERROR(t.PutConfig({ConfigKind::kCamera, "ward-1", "{}"}));
                return t.PutConfig({ConfigKind::kArea, kEvil, R"({"name":"x'); DROP TABLE config;--"})"});
              }).ok());
  auto areas = store().ListConfig(ConfigKind::kArea).value();
  ASSERT_EQ(areas.size(), 3u);
  EXPECT_EQ(areas[0].id, "ward-1");  // ordered by id
  EXPECT_EQ(areas[0].json, R"({"name":"Ward 1"})");
  EXPECT_EQ(areas[0].kind, ConfigKind::kArea);
  EXPECT_EQ(areas[2].id, kEvil);
  EXPECT_EQ(store().GetConfig(ConfigKind::kArea, kEvil).value()->json, R"({"name":"x'); DROP TABLE config;--"})");
  EXPECT_EQ(store().ListConfig(ConfigKind::kCamera).value().size(), 1u);
  EXPECT_TRUE(store().ListConfig(ConfigKind::kSensor).value().empty());

  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutConfig({ConfigKind::kArea, "ward-1", "{\"v\":2}"}); }).ok());
  EXPECT_EQ(store().GetConfig(ConfigKind::kArea, "ward-1").value()->json, "{\"v\":2}");
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.DeleteConfig(ConfigKind::kArea, "ward-1"); }).ok());
  EXPECT_FALSE(store().GetConfig(ConfigKind::kArea, "ward-1").value());
  EXPECT_TRUE(store().GetConfig(ConfigKind::kCamera, "ward-1").value());
  Status s = W([&](WriteTxn& t) { return t.DeleteConfig(ConfigKind::kArea, "ward-1"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("ward-1"), std::string::npos);
}

TEST_F(StoreTest, UsersTokensSessionsAndIdempotentReplies) {
  ASSERT_TRUE(W([&](WriteTxn& t) {
                GB_RETURN_IF_ERROR(t.PutUser({"bob", Role::kCrew, "$argon2id$v=19$bob", kT0}));
                GB_RETURN_IF_ERROR(t.PutUser({"alice", Role::kDispatcher, "$argon2id$v=19$a", kT0}));
                GB_RETURN_IF_ERROR(t.PutUser({kEvil, Role::kAuditor, "h", kT0}));
                GB_RETURN_IF_ERROR(t.PutToken({"edge-1", Role::kEdge, "aa11", kT0}, std::nullopt));
                GB_RETURN_IF_ERROR(t.PutSession({"s1", "alice", Role::kDispatcher, "csrf", kT0 + 3600'000}));
                return t.PutIdempotentReply("alice:key-1", {201, R"({"id":7})"}, kT0);
              }).ok());
  auto users = store().ListUsers().value();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].name, "alice");  // ordered by name
  EXPECT_EQ(users[1].name, "bob");
  EXPECT_EQ(store().GetUser(kEvil).value()->role, Role::kAuditor);
  auto bob = store().GetUser("bob").value();
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->role, Role::kCrew);
  EXPECT_EQ(bob->password_hash, "$argon2id$v=19$bob");
  EXPECT_EQ(bob->created_at, kT0);
  EXPECT_FALSE(store().GetUser("carol").value());
  // Insert or replace.
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutUser({"bob", Role::kAdmin, "new", kT0 + 1}); }).ok());
  EXPECT_EQ(store().GetUser("bob").value()->role, Role::kAdmin);
  EXPECT_EQ(store().ListUsers().value().size(), 3u);

  auto tok = store().FindToken("aa11").value();
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->name, "edge-1");
  EXPECT_EQ(tok->role, Role::kEdge);
  EXPECT_FALSE(store().FindToken("bb22").value());
  // A second live token under the same name is refused, unless it retires the first: at
  // once, or after a grace period; the retired one stays, with its expiry.
  EXPECT_EQ(W([&](WriteTxn& t) { return t.PutToken({"edge-1", Role::kEdge, "bb22", kT0 + 1}, std::nullopt); }).code(),
            Code::kConflict);
  EXPECT_EQ(store().FindToken("aa11").value()->expires_at, 0);
  EXPECT_FALSE(store().FindToken("bb22").value());
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutToken({"edge-1", Role::kEdge, "bb22", kT0 + 1}, kT0 + 600'000); }).ok());
  EXPECT_EQ(store().FindToken("aa11").value()->expires_at, kT0 + 600'000);
  EXPECT_EQ(store().FindToken("bb22").value()->expires_at, 0);
  EXPECT_EQ(W([&](WriteTxn& t) { return t.PutToken({"edge-1", Role::kEdge, "cc33", kT0 + 2}, std::nullopt); }).code(),
            Code::kConflict)
      << "bb22 is live";
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.ExpireTokens("edge-1", kT0 + 3); }).ok());
  EXPECT_EQ(store().FindToken("aa11").value()->expires_at, kT0 + 3) << "an earlier expiry replaces a later one";
  EXPECT_EQ(store().FindToken("bb22").value()->expires_at, kT0 + 3);
  EXPECT_EQ(W([&](WriteTxn& t) { return t.ExpireTokens("edge-1", kT0 + 4); }).code(), Code::kNotFound);
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutToken({"edge-1", Role::kEdge, "cc33", kT0 + 5}, std::nullopt); }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.TouchToken("cc33", kT0 + 6); }).ok());
  EXPECT_EQ(store().FindToken("cc33").value()->last_used_at, kT0 + 6);
  auto tokens = store().ListTokens();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[0].token_hash, "aa11") << "by name, then creation";
  EXPECT_EQ((*tokens)[2].token_hash, "cc33");

  auto session = store().GetSession("s1").value();
  ASSERT_TRUE(session);
  EXPECT_EQ(session->user, "alice");
  EXPECT_EQ(session->role, Role::kDispatcher);
  EXPECT_EQ(session->csrf_token, "csrf");
  EXPECT_EQ(session->expires_at, kT0 + 3600'000);
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.DeleteSession("s1"); }).ok());
  EXPECT_FALSE(store().GetSession("s1").value());
  EXPECT_TRUE(W([&](WriteTxn& t) { return t.DeleteSession("s1"); }).ok());

  auto reply = store().GetIdempotentReply("alice:key-1").value();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body, R"({"id":7})");
  EXPECT_FALSE(store().GetIdempotentReply("alice:key-2").value());
}

TEST_F(StoreTest, UnknownRolesAreNeverGranted) {
  ASSERT_TRUE(W([&](WriteTxn& t) {
                GB_RETURN_IF_ERROR(t.PutUser({"eve", Role::kAdmin, "h", kT0}));
                GB_RETURN_IF_ERROR(t.PutToken({"t", Role::kAdmin, "cc33", kT0}, false));
                return t.PutSession({"s2", "eve", Role::kAdmin, "c", kT0});
              }).ok());
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE users SET role = 'root'; UPDATE tokens SET role = 'root'; "
                             "UPDATE sessions SET role = 'root'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  EXPECT_FALSE(store().GetUser("eve").value());
  EXPECT_TRUE(store().ListUsers().value().empty());
  EXPECT_FALSE(store().FindToken("cc33").value());
  EXPECT_FALSE(store().GetSession("s2").value());
}

// ---- purge -------------------------------------------------------------------------------------

TEST_F(StoreTest, PurgeRemovesExactlyTheOldDataAndReturnsEvidenceHashes) {
  const TimeMs day = 86'400'000;
  const TimeMs now = kT0 + 400 * day;
  // An old closed incident with events, a report and changes: all go.
  Incident old_closed = MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kResolved);
  // A closed incident updated recently stays, as does an old but open one.
  Incident recent_closed = MakeIncident("noise", {31.2, 121.4}, now - day, IncidentState::kRejected);
  Incident old_open = MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kDispatched);
  Report old_report, unlinked_old, unlinked_new;
  std::vector<Id> keep_events;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                GB_RETURN_IF_ERROR(t.InsertIncident(old_closed));
                GB_RETURN_IF_ERROR(t.InsertIncident(recent_closed));
                GB_RETURN_IF_ERROR(t.InsertIncident(old_open));
                // Events: "noise" keeps 30 days by default, "dumped_waste" 7 days by override.
                for (int i = 0; i < 3; ++i) {
                  Event e = MakeEvent("closed-" + std::to_string(i), "noise", {31.2, 121.4}, now - day);
                  GB_RETURN_IF_ERROR(t.InsertEvent(e, old_closed.id));  // recent, but its incident goes
                }
                Event old_noise = MakeEvent("old-noise", "noise", {31.2, 121.4}, now - 31 * day);
                GB_RETURN_IF_ERROR(t.InsertEvent(old_noise, old_open.id));
                Event new_noise = MakeEvent("new-noise", "noise", {31.2, 121.4}, now - 29 * day);
                GB_RETURN_IF_ERROR(t.InsertEvent(new_noise, old_open.id));
                keep_events.push_back(new_noise.id);
                Event old_waste = MakeEvent("old-waste", "dumped_waste", {31.2, 121.4}, now - 8 * day);
                GB_RETURN_IF_ERROR(t.InsertEvent(old_waste, recent_closed.id));
                Event new_waste = MakeEvent("new-waste", "dumped_waste", {31.2, 121.4}, now - 6 * day);
                GB_RETURN_IF_ERROR(t.InsertEvent(new_waste, recent_closed.id));
                keep_events.push_back(new_waste.id);
                Event other = MakeEvent("other", "graffiti", {31.2, 121.4}, now - 20 * day);
                GB_RETURN_IF_ERROR(t.InsertEvent(other, 0));
                keep_events.push_back(other.id);

                old_report.incident_id = old_closed.id;
                old_report.requested_at = now - day;
                GB_RETURN_IF_ERROR(t.InsertReport(old_report));
                unlinked_old.requested_at = now - 200 * day;
                GB_RETURN_IF_ERROR(t.InsertReport(unlinked_old));
                unlinked_new.requested_at = now - day;
                GB_RETURN_IF_ERROR(t.InsertReport(unlinked_new));

                // A change is stamped with its incident's updated_at (as the incident service does).
                for (const Incident* inc : {&old_closed, &recent_closed}) {
                  IncidentChange c{0, inc->id, inc->updated_at, "updated", "", "", "{}"};
                  GB_RETURN_IF_ERROR(t.AppendChange(c));
                }
                IncidentChange ancient{0, old_open.id, now - 200 * day, "created", "", "", "{}"};
                GB_RETURN_IF_ERROR(t.AppendChange(ancient));
                IncidentChange fresh{0, old_open.id, now, "updated", "", "", "{}"};
                GB_RETURN_IF_ERROR(t.AppendChange(fresh));

                for (int i = 0; i < 4; ++i) {
                  AuditEntry a{0, now - (i < 2 ? 400 : 10) * day, "alice", "evidence.read", "x", "p", "{}"};
                  GB_RETURN_IF_ERROR(t.AppendAudit(a));
                }
                GB_RETURN_IF_ERROR(t.PutEvidence({"sha256:old1", 10, now - 100 * day}).status());
                GB_RETURN_IF_ERROR(t.PutEvidence({"sha256:old2", 10, now - 91 * day}).status());
                GB_RETURN_IF_ERROR(t.PutEvidence({"sha256:new", 10, now - 89 * day}).status());
                GB_RETURN_IF_ERROR(t.PutSession({"expired", "alice", Role::kAdmin, "c", now - 100 * day}));
                GB_RETURN_IF_ERROR(t.PutSession({"live", "alice", Role::kAdmin, "c", now + day}));
                GB_RETURN_IF_ERROR(t.PutIdempotentReply("old", {200, "{}"}, now - 200 * day));
                return t.PutIdempotentReply("new", {200, "{}"}, now - day);
              }).ok());

  RetentionCutoffs c;
  c.events_before = now - 30 * day;
  c.category_events_before = {{"dumped_waste", now - 7 * day}};
  c.incidents_before = now - 180 * day;
  c.evidence_before = now - 90 * day;
  c.audit_before = now - 365 * day;
  auto r = store().Purge(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->events, 3 + 1 + 1);  // the closed incident's three, old noise, old waste
  EXPECT_EQ(r->incidents, 1);
  EXPECT_EQ(r->reports, 2);  // the closed incident's and the old unlinked one
  EXPECT_EQ(r->changes, 2);  // the closed incident's and the one older than incidents_before
  EXPECT_EQ(r->audit, 2);
  std::vector<std::string> hashes = r->evidence_hashes;
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(hashes, (std::vector<std::string>{"sha256:old1", "sha256:old2"}));

  EXPECT_FALSE(store().GetIncident(old_closed.id).value());
  EXPECT_TRUE(store().GetIncident(recent_closed.id).value());
  EXPECT_TRUE(store().GetIncident(old_open.id).value());
  std::vector<Id> left;
  for (Id inc : {recent_closed.id, old_open.id})
    for (auto& e : store().EventsOfIncident(inc, 100).value()) left.push_back(e.id);
  left.push_back(keep_events.back());  // the unlinked graffiti event, checked by count below
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, keep_events);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 3);
  EXPECT_FALSE(store().GetReport(old_report.id).value());
  EXPECT_FALSE(store().GetReport(unlinked_old.id).value());
  EXPECT_TRUE(store().GetReport(unlinked_new.id).value());
  auto changes = store().ChangesAfter(0, 100).value();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].incident_id, recent_closed.id);
  auto audit = store().ListAudit({}).value();
  ASSERT_EQ(audit.size(), 3u) << "the two kept and the purge's own record of its cut";
  EXPECT_EQ(audit.front().action, "audit.purge");
  EXPECT_FALSE(store().GetEvidence("sha256:old1").value());
  EXPECT_TRUE(store().GetEvidence("sha256:new").value());
  EXPECT_FALSE(store().GetSession("expired").value());
  EXPECT_TRUE(store().GetSession("live").value());
  EXPECT_FALSE(store().GetIdempotentReply("old").value());
  EXPECT_TRUE(store().GetIdempotentReply("new").value());

  // A second run finds nothing more; zero cutoffs purge nothing.
  auto again = store().Purge(c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->events + again->incidents + again->reports + again->audit + again->changes, 0);
  EXPECT_TRUE(again->evidence_hashes.empty());
  auto none = store().Purge({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 3);
  // Purge runs without foreign keys enforced; writes after it are checked again.
  Event orphan = MakeEvent("orphan", "noise", {31.2, 121.4}, now);
  EXPECT_FALSE(W([&](WriteTxn& t) { return t.InsertEvent(orphan, 99999); }).ok());
}

// An incident's events are found through a chain of links, one per transaction that added
// some; purge removes links whose events are all past retention, and the chain still works.
TEST_F(StoreTest, EventLinksArePurgedWithTheirEventsAndTheChainGoesOn) {
  const TimeMs day = 86'400'000;
  const TimeMs now = kT0 + 100 * day;
  Id inc = AddIncident(MakeIncident("noise", {31.2, 121.4}, now));
  Id e1 = AddEvent(MakeEvent("e1", "noise", {31.2, 121.4}, now - 40 * day), inc);
  Id e2 = AddEvent(MakeEvent("e2", "noise", {31.2, 121.4}, now - 35 * day), inc);
  Id e3 = AddEvent(MakeEvent("e3", "noise", {31.2, 121.4}, now - day), inc);
  auto ids = [&] {
    std::vector<Id> v;
    for (auto& e : store().EventsOfIncident(inc, 100).value()) v.push_back(e.id);
    return v;
  };
  EXPECT_EQ(ids(), (std::vector<Id>{e3, e2, e1}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM event_links"), 3);
  RetentionCutoffs c;
  c.events_before = now - 30 * day;
  auto r = store().Purge(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->events, 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM event_links"), 1) << "the links of e1 and e2 went with them";
  EXPECT_EQ(ids(), (std::vector<Id>{e3}));
  Id e4 = AddEvent(MakeEvent("e4", "noise", {31.2, 121.4}, now), inc);
  EXPECT_EQ(ids(), (std::vector<Id>{e4, e3}));
  // A category kept forever keeps every link.
  c.category_events_before = {{"graffiti", 0}};
  c.events_before = now + day;
  ASSERT_TRUE(store().Purge(c).ok());
  EXPECT_TRUE(ids().empty());
  EXPECT_EQ(Scalar("SELECT count(*) FROM event_links"), 2);
}

TEST_F(StoreTest, AnEventThatLeavesAndComesBackIsListedOnce) {
  Id a = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  Id b = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  std::vector<Id> e;
  ASSERT_TRUE(W([&](WriteTxn& t) {
                for (int i = 0; i < 3; ++i) {
                  Event ev = MakeEvent("k" + std::to_string(i), "noise", {31.2, 121.4}, kT0 + i);
                  GB_RETURN_IF_ERROR(t.InsertEvent(ev, a));
                  e.push_back(ev.id);
                }
                // Read inside the transaction that added them: they are already listed.
                EXPECT_EQ(t.EventsOfIncident(a, 10).size(), 3u);
                return Status::Ok();
              }).ok());
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.MoveEvents(a, b, {e[0]}); }).ok());
  auto ids = [&](Id inc) {
    std::vector<Id> v;
    for (auto& ev : store().EventsOfIncident(inc, 100).value()) v.push_back(ev.id);
    return v;
  };
  EXPECT_EQ(ids(a), (std::vector<Id>{e[2], e[1]}));
  EXPECT_EQ(ids(b), (std::vector<Id>{e[0]}));
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.MoveEvents(b, a, {}); }).ok());
  EXPECT_EQ(ids(a), (std::vector<Id>{e[0], e[2], e[1]})) << "most recently joined first, each once";
  EXPECT_TRUE(ids(b).empty());
  EXPECT_EQ(store().EventsOfIncident(a, 2).value().size(), 2u);
}

// ---- SQL metacharacters -------------------------------------------------------------------------

TEST_F(StoreTest, SqlMetacharactersAreStoredVerbatim) {
  const std::string nasty[] = {kEvil, "'; DELETE FROM incidents; --", "\"quoted\" `back` [br]", "%_\\",
                               std::string("nul\0byte", 8), "ünïcødé ✓"};
  for (const std::string& s : nasty) {
    Incident in = MakeIncident(s, {31.2, 121.4}, kT0);
    in.note = s;
    in.explanation = s;
    in.views = {{s, s, 0.5}};
    Id id = AddIncident(in);
    Event e = MakeEvent(s, s, {31.2, 121.4}, kT0);
    e.source_id = s;
    e.attributes_json = s;
    e.evidence = {s};
    AddEvent(e, id);
    auto got = store().GetIncident(id).value();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->category, s);
    EXPECT_EQ(got->note, s);
    EXPECT_EQ(got->explanation, s);
    ASSERT_EQ(got->views.size(), 1u);
    EXPECT_EQ(got->views[0].evidence, s);
    EXPECT_EQ(got->views[0].source_id, s);
    auto events = store().EventsOfIncident(id, 10).value();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].idempotency_key, s);
    EXPECT_EQ(events[0].source_id, s);
    EXPECT_EQ(events[0].attributes_json, s);
    EXPECT_EQ(events[0].evidence, std::vector<std::string>{s});
    IncidentFilter f;
    f.categories = {s};
    EXPECT_EQ(store().ListIncidents(f).value().size(), 1u);
    ASSERT_TRUE(W([&](WriteTxn& t) {
                  EXPECT_TRUE(t.FindEventByKey(s));
                  EXPECT_EQ(t.FindOpenIncidents(s, Box(31, 121, 32, 122), 0).size(), 1u);
                  return Status::Ok();
                }).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM incidents"), 6);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 6);
}

// ---- concurrency and durability -------------------------------------------------------------------

TEST_F(StoreTest, ReadersRunConcurrentlyWithTheWriterAndSeeOnlyCommittedData) {
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, bad{0};
  Id inc = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      std::size_t last = 0;
      while (!done.load()) {
        // Every batch commits 10 events at once; a reader never sees part of one.
        auto events = store().EventsOfIncident(inc, 10000).value();
        if (events.size() % 10 != 0 || events.size() < last) ++bad;
        last = events.size();
        auto changes = store().ChangesAfter(0, 10000).value();
        if (changes.size() % 10 != 0) ++bad;
        if (!store().GetIncident(inc).value()) ++bad;
        ++reads;
      }
    });
  }
  for (int b = 0; b < 50; ++b) {
    ASSERT_TRUE(W([&](WriteTxn& t) {
                  for (int i = 0; i < 10; ++i) {
                    Event e = MakeEvent(Cat({"k", std::to_string(b * 10 + i)}), "noise", {31.2, 121.4}, kT0);
                    GB_RETURN_IF_ERROR(t.InsertEvent(e, inc));
                    IncidentChange c{0, inc, kT0, "updated", "", "", "{}"};
                    GB_RETURN_IF_ERROR(t.AppendChange(c));
                  }
                  return Status::Ok();
                }).ok());
  }
  // Let the readers see the final state at least once.
  while (reads.load() < 20) std::this_thread::yield();
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store().EventsOfIncident(inc, 10000).value().size(), 500u);
}

TEST_F(StoreTest, ConcurrentWritersAreSerialised) {
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < 20; ++b) {
        Status s = store().Write([&](WriteTxn& t) {
          for (int i = 0; i < 5; ++i) {
            std::string key = Cat({"w", std::to_string(w), "-", std::to_string(b), "-", std::to_string(i)});
            if (t.FindEventByKey(key)) continue;
            Event e = MakeEvent(key, "noise", {31.2, 121.4}, kT0);
            GB_RETURN_IF_ERROR(t.InsertEvent(e, 0));
          }
          return Status::Ok();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 400);
}

// The WAL is copied into the database file as it grows and does not grow without bound.
TEST_F(StoreTest, WalIsCheckpointedAndStaysBounded) {
  const std::string big(2000, 'a');
  auto wal_size = [&] {
    std::error_code ec;
    auto n = fs::file_size(path_ + "-wal", ec);
    return ec ? std::uintmax_t{0} : n;
  };
  std::uintmax_t max_wal = 0;
  for (int b = 0; b < 45; ++b) {
    ASSERT_TRUE(W([&](WriteTxn& t) {
                  for (int i = 0; i < 1000; ++i) {
                    Event e = MakeEvent(Cat({"wal-", std::to_string(b), "-", std::to_string(i)}), "noise",
                                        {31.2, 121.4}, kT0);
                    e.attributes_json = big;
                    GB_RETURN_IF_ERROR(t.InsertEvent(e, 0));
                  }
                  return Status::Ok();
                }).ok());
    max_wal = std::max(max_wal, wal_size());
  }
  EXPECT_LT(max_wal, std::uintmax_t{80} << 20);
  // Pages reached the database file without a close.
  EXPECT_GT(fs::file_size(path_), std::uintmax_t{40} << 20);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 45000);
}

// A child process writes and reports each acknowledged batch through a pipe; it is killed
// with SIGKILL mid-stream. Every batch it acknowledged must be in the file afterwards.
TEST_F(StoreTest, AcknowledgedWritesSurviveKillNine) {
  store_.reset();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto s = OpenStore("sqlite:" + path_);
    if (!s.ok()) ::_exit(2);
    for (int b = 0;; ++b) {
      Status w = (*s)->Write([&](WriteTxn& t) {
        for (int i = 0; i < 20; ++i) {
          Event e = MakeEvent(Cat({"b", std::to_string(b), "-", std::to_string(i)}), "noise", {31.2, 121.4}, kT0);
          GB_RETURN_IF_ERROR(t.InsertEvent(e, 0));
        }
        return Status::Ok();
      });
      if (!w.ok()) ::_exit(3);
      int acked = b + 1;
      if (::write(fds[1], &acked, sizeof acked) != sizeof acked) ::_exit(4);
    }
  }
  ::close(fds[1]);
  int acked = 0, v = 0;
  while (acked < 15 && ::read(fds[0], &v, sizeof v) == sizeof v) acked = v;
  ::kill(pid, SIGKILL);
  while (::read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // acks sent before the kill
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_GE(acked, 15);
  Reopen();
  EXPECT_GE(Scalar("SELECT count(*) FROM events"), acked * 20);
  ASSERT_TRUE(W([&](WriteTxn& t) {
                for (int b = 0; b < acked; ++b) EXPECT_TRUE(t.FindEventByKey(Cat({"b", std::to_string(b), "-19"}))) << b;
                return Status::Ok();
              }).ok());
}

// ---- what the web pages read -------------------------------------------------------------------

TEST_F(StoreTest, OverdueAndDueFiltersFollowTheSlaClock) {
  Incident routed = MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kRouted);
  routed.sla = {"s", kT0, kT0 + 100, kT0 + 1000, 0, ""};
  Incident dispatched = routed;
  dispatched.state = IncidentState::kDispatched;
  Incident flagged = routed;
  flagged.sla.overdue_at = kT0 + 100;
  Incident closed = routed;
  closed.state = IncidentState::kResolved;
  Incident none = MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kRouted);
  const Id a = AddIncident(routed), b = AddIncident(dispatched), c = AddIncident(flagged);
  AddIncident(closed);
  AddIncident(none);
  auto due = [&](TimeMs by) {
    IncidentFilter f;
    f.overdue = false;
    f.due_by = by;
    return Ids(store().ListIncidents(f).value());
  };
  EXPECT_TRUE(due(kT0 + 99).empty());
  EXPECT_EQ(due(kT0 + 100), (std::vector<Id>{a})) << "dispatched in time: only the routed one missed respond";
  EXPECT_EQ(due(kT0 + 1000), (std::vector<Id>{a, b})) << "resolve missed by both; closed ones never are";
  IncidentFilter overdue;
  overdue.overdue = true;
  EXPECT_EQ(Ids(store().ListIncidents(overdue).value()), (std::vector<Id>{c}));
}

TEST_F(StoreTest, AuditTalliesCountByBucketActionAndDetailKey) {
  ASSERT_TRUE(W([&](WriteTxn& t) -> Status {
                for (auto [at, action, detail] :
                     {std::tuple{kT0, "evidence.read", R"({"purpose_code":"verify"})"},
                      std::tuple{kT0 + 10, "evidence.read", R"({"purpose_code":"verify"})"},
                      std::tuple{kT0 + 3'600'000, "evidence.read", R"({"role":"dispatcher"})"},
                      std::tuple{kT0 + 20, "evidence.read", "not json"},
                      std::tuple{kT0 + 30, "session.login", R"({"purpose_code":"verify"})"},
                      std::tuple{kT0 + 7'200'000, "evidence.read", R"({"purpose_code":"late"})"}}) {
                  AuditEntry e{0, at, "ann", action, "evidence/x", "", detail};
                  GB_RETURN_IF_ERROR(t.AppendAudit(e));
                }
                return Status::Ok();
              }).ok());
  auto hourly = store().TallyAudit({kT0, kT0 + 7'200'000, 3'600'000, {"evidence.read"}, "purpose_code"});
  ASSERT_TRUE(hourly.ok()) << hourly.status().message();
  ASSERT_EQ(hourly->size(), 3u);
  EXPECT_EQ((*hourly)[0].bucket, kT0);
  EXPECT_EQ((*hourly)[0].value, "") << "the entry whose detail is not JSON";
  EXPECT_EQ((*hourly)[0].count, 1);
  EXPECT_EQ((*hourly)[1].value, "verify");
  EXPECT_EQ((*hourly)[1].count, 2);
  EXPECT_EQ((*hourly)[2].bucket, kT0 + 3'600'000);
  EXPECT_EQ((*hourly)[2].value, "") << "no purpose_code";
  auto whole = store().TallyAudit({kT0, kT0 + 8'000'000, 0, {"evidence.read", "session.login"}, ""});
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->size(), 2u);
  EXPECT_EQ((*whole)[0].action, "evidence.read");
  EXPECT_EQ((*whole)[0].count, 5);
  EXPECT_EQ((*whole)[1].count, 1);
  EXPECT_TRUE(store().TallyAudit({kT0, kT0 + 10, 0, {}, ""})->empty());
}

TEST_F(StoreTest, ResolveDurationsJoinTheTransitionToItsIncident) {
  Id a = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0));
  Id b = AddIncident(MakeIncident("noise", {31.2, 121.4}, kT0 + 1000));
  ASSERT_TRUE(W([&](WriteTxn& t) -> Status {
                for (auto [id, at, to] : {std::tuple{a, kT0 + 5000, "resolved"}, std::tuple{b, kT0 + 9000, "resolved"},
                                          std::tuple{b, kT0 + 2000, "dispatched"}}) {
                  AuditEntry e{0, at, "crew", "incident.transition", "incident/" + std::to_string(id), "",
                               std::string(R"({"to":")") + to + "\"}"};
                  GB_RETURN_IF_ERROR(t.AppendAudit(e));
                }
                return Status::Ok();
              }).ok());
  auto d = store().ResolveDurations(kT0, kT0 + 10'000);
  ASSERT_TRUE(d.ok()) << d.status().message();
  std::vector<TimeMs> got = *d;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<TimeMs>{5000, 8000}));
  EXPECT_TRUE(store().ResolveDurations(kT0, kT0 + 5000)->empty()) << "to is exclusive";
}

TEST_F(StoreTest, OpenCountsTasksOrdersAndTheNewestReport) {
  Incident x = MakeIncident("noise", {31.2, 121.4}, kT0, IncidentState::kDispatched);
  x.department_id = "env";
  x.assignee = "crew1";
  Incident y = x;
  y.category = "pothole";
  y.state = IncidentState::kInProgress;
  y.sla.overdue_at = kT0;
  Incident z = x;
  z.state = IncidentState::kResolved;
  const Id xid = AddIncident(x), yid = AddIncident(y);
  AddIncident(z);
  auto counts = store().CountOpenIncidents();
  ASSERT_TRUE(counts.ok());
  using Counts = std::vector<std::pair<std::string, std::int64_t>>;
  EXPECT_EQ(counts->by_department, (Counts{{"env", 2}}));
  EXPECT_EQ(counts->by_category, (Counts{{"noise", 1}, {"pothole", 1}}));
  EXPECT_EQ(counts->overdue, 1);
  EXPECT_EQ(*store().CountOpenTasks(), (Counts{{"crew1", 2}}));

  EXPECT_TRUE(store().TaskOrder("crew1")->empty());
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutTaskOrder("crew1", {yid, xid}); }).ok());
  EXPECT_EQ(*store().TaskOrder("crew1"), (std::vector<Id>{yid, xid}));
  ASSERT_TRUE(W([&](WriteTxn& t) { return t.PutTaskOrder("crew1", {}); }).ok());
  EXPECT_TRUE(store().TaskOrder("crew1")->empty());

  auto report = [&](const std::string& token, TimeMs at, const std::string& media) {
    Report r;
    r.token = token;
    r.service_code = "noise";
    r.description = "report " + token;
    r.requested_at = at;
    r.media = media;
    r.incident_id = xid;
    EXPECT_TRUE(W([&](WriteTxn& t) { return t.InsertReport(r); }).ok());
    return r.id;
  };
  report("old", kT0, "");
  const Id newest = report("new", kT0 + 5, "sha256:ab");
  report("mid", kT0 + 2, "");
  ReportSummary latest;
  ASSERT_TRUE(W([&](WriteTxn& t) -> Status {
                auto got = t.LatestReportOf(xid);
                if (!got.ok()) return got.status();
                latest = *got;
                return Status::Ok();
              }).ok());
  EXPECT_EQ(latest.id, newest);
  EXPECT_EQ(latest.description, "report new");
  EXPECT_TRUE(latest.has_photo);
}

TEST_F(StoreTest, AVersionThreeDatabaseLearnsEachIncidentsNewestReport) {
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  for (const auto& m : sqlite::Migrations())
    if (m.version <= 3) {
      ASSERT_EQ(sqlite3_exec(db, m.sql, nullptr, nullptr, nullptr), SQLITE_OK) << m.version;
    }
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA user_version = 3;"
                         "INSERT INTO incidents (id, category, state, open, lat, lon, opened_at, updated_at,"
                         " last_seen_at) VALUES (7, 'noise', 'routed', 1, 31.2, 121.4, 1, 1, 1);"
                         "INSERT INTO reports (id, token, service_code, description, lat, lon, address, email,"
                         " first_name, last_name, phone, device_id, account_id, media, requested_at, incident_id)"
                         " VALUES (1, 'a', 'noise', 'older', 31.2, 121.4, '', '', '', '', '', '', '', '', 5, 7),"
                         " (2, 'b', 'noise', 'newer', 31.2, 121.4, '', '', '', '', '', '', '', 'sha256:x', 9, 7);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  auto inc = store().GetIncident(7).value();
  ASSERT_TRUE(inc);
  EXPECT_EQ(inc->latest_report.id, 2);
  EXPECT_EQ(inc->latest_report.description, "newer");
  EXPECT_EQ(inc->latest_report.requested_at, 9);
  EXPECT_TRUE(inc->latest_report.has_photo);
  EXPECT_TRUE(inc->sla.sla_id.empty());
}

}  // namespace
}  // namespace gb
