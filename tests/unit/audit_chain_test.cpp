// The audit log's hash chain (store/audit_chain.h) on a real SQLite store: an intact chain
// verifies; an edit, a deletion, a reordering or the loss of the newest entries, made by
// hand in the database, is found and the first entry that does not match is named; a purge
// keeps the chain verifiable from its new anchor and records the cut in the log; a database
// from before the chain is chained when migrated.
#include <gtest/gtest.h>

#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"
#include "test_store.h"

namespace gb::test {
namespace {

constexpr TimeMs kT0 = 1795515302120;  // 2026-11-24T10:15:02.120Z
constexpr TimeMs kDay = 86'400'000;

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 6; ++i) Append(kT0 + i * kDay, "action." + std::to_string(i));
  }
  void Append(TimeMs at, const std::string& action) {
    ASSERT_TRUE(store_->Write([&](WriteTxn& t) {
      AuditEntry e{0, at, "ana", action, "incident/" + std::to_string(at % 97), "", R"({"n":1})"};
      GB_RETURN_IF_ERROR(t.AppendAudit(e));
      EXPECT_EQ(e.hash.size(), 64u);
      return Status::Ok();
    }).ok());
  }
  // The message of a failed verification ("" when it verifies).
  std::string Broken() {
    auto v = VerifyAuditChain(store_.store());
    return v.ok() ? "" : v.status().message();
  }
  TempStore store_;
};

TEST_F(AuditChainTest, AnIntactChainVerifiesAndItsHeadIsTheNewestHash) {
  auto v = VerifyAuditChain(store_.store());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->checked, 6);
  auto chain = store_->GetAuditChain();
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->entries, 6);
  EXPECT_EQ(chain->anchor_hash, kAuditGenesis);
  EXPECT_EQ(chain->head_at, kT0 + 6 * kDay);
  auto newest = store_->ListAudit(AuditFilter{}).value();
  ASSERT_FALSE(newest.empty());
  EXPECT_EQ(chain->head_hash, newest.front().hash);
  EXPECT_EQ(v->head_hash, chain->head_hash);
  // Each link is the documented formula over the one before.
  std::string previous(kAuditGenesis);
  ASSERT_TRUE(store_->ScanAudit([&](const AuditEntry& e) {
    EXPECT_EQ(e.hash, AuditChainHash(previous, e)) << e.id;
    EXPECT_TRUE(AuditCanonicalContent(e).starts_with("13:" + std::to_string(e.at) + ",3:ana,")) << AuditCanonicalContent(e);
    previous = e.hash;
    return Status::Ok();
  }).ok());
}

TEST_F(AuditChainTest, AnEditedEntryIsNamed) {
  ASSERT_TRUE(store_.Exec("UPDATE audit SET purpose = 'curiosity' WHERE id = 3").ok());
  EXPECT_NE(Broken().find("audit entry 3 does not match"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, AnEditedTimeIsNamed) {
  ASSERT_TRUE(store_.Exec("UPDATE audit SET at = at + 1 WHERE id = 5").ok());
  EXPECT_NE(Broken().find("audit entry 5 does not match"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, ADeletedEntryIsFoundAtTheNextOne) {
  ASSERT_TRUE(store_.Exec("DELETE FROM audit WHERE id = 3").ok());
  EXPECT_NE(Broken().find("audit entry 4 does not match"), std::string::npos) << Broken();
  EXPECT_NE(Broken().find("between 2 and 4 are missing"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, ReorderedEntriesAreFound) {
  // Entries 2 and 3 swap their contents; each keeps its id and its hash.
  ASSERT_TRUE(store_.Exec("CREATE TEMP TABLE swapped AS SELECT * FROM audit WHERE id IN (2, 3); "
                          "UPDATE audit SET at = (SELECT at FROM swapped s WHERE s.id = 5 - audit.id), "
                          "action = (SELECT action FROM swapped s WHERE s.id = 5 - audit.id), "
                          "object = (SELECT object FROM swapped s WHERE s.id = 5 - audit.id) WHERE id IN (2, 3)")
                  .ok());
  EXPECT_NE(Broken().find("audit entry 2 does not match"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, RemovingTheNewestEntriesIsFoundByTheRecordedHead) {
  ASSERT_TRUE(store_.Exec("DELETE FROM audit WHERE id >= 5").ok());
  EXPECT_NE(Broken().find("its newest entries were removed"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, AHeadNotedEarlierIsFoundOrNot) {
  auto noted = store_->GetAuditChain();
  ASSERT_TRUE(noted.ok());
  Append(kT0 + 7 * kDay, "action.7");
  auto v = VerifyAuditChain(store_.store(), noted->head_hash);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->head_found);
  auto other = VerifyAuditChain(store_.store(), std::string(64, 'a'));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->head_found);
}

TEST_F(AuditChainTest, PurgeCutsAPrefixKeepsTheChainVerifiableAndRecordsTheCut) {
  const std::string third = [&] {
    std::string h;
    EXPECT_TRUE(store_->ScanAudit([&](const AuditEntry& e) {
      if (e.id == 3) h = e.hash;
      return Status::Ok();
    }).ok());
    return h;
  }();
  RetentionCutoffs c;
  c.audit_before = kT0 + 3 * kDay + 1;  // entries 1..3 are older
  c.now = kT0 + 10 * kDay;
  auto r = store_->Purge(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->audit, 3);
  auto chain = store_->GetAuditChain();
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->anchor_id, 3);
  EXPECT_EQ(chain->anchor_hash, third);
  EXPECT_EQ(chain->purged, 3);
  EXPECT_EQ(chain->entries, 7) << "six entries and the purge's own";
  auto v = VerifyAuditChain(store_.store());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->checked, 4);
  auto newest = store_->ListAudit(AuditFilter{}).value();
  ASSERT_FALSE(newest.empty());
  EXPECT_EQ(newest.front().action, "audit.purge");
  EXPECT_EQ(newest.front().at, c.now);
  EXPECT_NE(newest.front().detail.find(third), std::string::npos) << newest.front().detail;

  // After the cut, tampering is still found.
  ASSERT_TRUE(store_.Exec("UPDATE audit SET actor = 'bob' WHERE id = 4").ok());
  EXPECT_NE(Broken().find("audit entry 4 does not match"), std::string::npos) << Broken();
}

TEST_F(AuditChainTest, PurgeStopsAtTheFirstEntryStillInItsWindow) {
  Append(kT0, "clock.stepped.back");  // id 7, older than entries 2..6
  RetentionCutoffs c;
  c.audit_before = kT0 + 1 * kDay + 1;  // entry 1 and entry 7 are older
  c.now = kT0 + 10 * kDay;
  auto r = store_->Purge(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->audit, 1) << "entry 7 stays: removing it would cut the chain in the middle";
  EXPECT_EQ(Broken(), "");
}

TEST(AuditChainMigration, EntriesFromBeforeTheChainAreChainedInOrder) {
  // A store as version 4 left it: its schema, and audit entries without links (ids from 4,
  // the first three purged).
  TempStore dir;
  const std::string path = (dir.dir() / "v4.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (const auto& m : sqlite::Migrations()) {
    if (m.version > 4) break;
    ASSERT_EQ(sqlite3_exec(db, m.sql, nullptr, nullptr, nullptr), SQLITE_OK) << m.version;
  }
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA user_version = 4;"
                         "INSERT INTO audit (id, at, actor, action, object, purpose, detail) VALUES "
                         "(4, 10, 'ana', 'user.add', 'user/bo', '', '{}'), "
                         "(5, 20, 'bo', 'evidence.read', 'evidence/x', 'a look', '{}')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto reopened = OpenStore("sqlite:" + path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  auto v = VerifyAuditChain(**reopened);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->checked, 2);
  auto chain = (*reopened)->GetAuditChain();
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->anchor_id, 3) << "the chain starts before the oldest kept entry";
  EXPECT_EQ(chain->entries, 2);
}

}  // namespace
}  // namespace gb::test
