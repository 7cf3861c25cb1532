#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <exception>
#include <unordered_map>

#include "core/json_writer.h"
#include "store/audit_chain.h"
#include "store/sqlite/encoding.h"
#include "store/sqlite/env_vfs.h"
#include "store/sqlite/event_links.h"
#include "store/sqlite/migrations.h"

namespace gb {
namespace {

using sqlite::Database;
using sqlite::GroupSync;
using sqlite::Query;
using sqlite::SqlKey;

// ---- column lists (code constants) and row readers -----------------------------------------

#define GB_INCIDENT_COLS                                                                                 \
  "i.id, i.category, i.state, i.lat, i.lon, i.area_id, i.department_id, i.routing_rule_id, i.explanation, " \
  "i.unrouted, i.priority, i.opened_at, i.updated_at, i.last_seen_at, i.event_count, i.views, i.assignee, "  \
  "i.merged_into, i.note, i.report_id, i.report_description, i.report_at, i.report_photo, i.sla_id, "           \
  "i.sla_started_at, i.respond_due_at, i.resolve_due_at, i.overdue_at, i.escalated_from, i.en_route_at"

#define GB_EVENT_COLS                                                                                      \
  "e.id, e.idempotency_key, e.source_kind, e.source_id, e.category, e.rule, e.observed_at, e.lat, e.lon, " \
  "e.confidence, e.attributes, e.evidence"

#define GB_REPORT_COLS                                                                                       \
  "r.id, r.token, r.service_code, r.description, r.lat, r.lon, r.address, r.email, r.first_name, r.last_name, " \
  "r.phone, r.device_id, r.account_id, r.media, r.requested_at, r.incident_id"

#define GB_AUDIT_COLS "a.id, a.at, a.actor, a.action, a.object, a.purpose, a.detail, a.hash"
#define GB_CHANGE_COLS "seq, incident_id, at, type, department_id, area_id, json"

void ReadIncident(const Query& q, int c, Incident& out) {
  out.id = q.Int(c + 0);
  q.TextTo(c + 1, out.category);
  out.state = ParseState(q.View(c + 2)).value_or(IncidentState::kNew);
  out.location.lat = q.Double(c + 3);
  out.location.lon = q.Double(c + 4);
  q.TextTo(c + 5, out.area_id);
  q.TextTo(c + 6, out.department_id);
  q.TextTo(c + 7, out.routing_rule_id);
  q.TextTo(c + 8, out.explanation);
  out.unrouted = q.Int(c + 9) != 0;
  out.priority = static_cast<int>(q.Int(c + 10));
  out.opened_at = q.Int(c + 11);
  out.updated_at = q.Int(c + 12);
  out.last_seen_at = q.Int(c + 13);
  out.event_count = static_cast<int>(q.Int(c + 14));
  sqlite::DecodeViews(q.View(c + 15), out.views);
  q.TextTo(c + 16, out.assignee);
  out.merged_into = q.Int(c + 17);
  q.TextTo(c + 18, out.note);
  out.latest_report.id = q.Int(c + 19);
  q.TextTo(c + 20, out.latest_report.description);
  out.latest_report.requested_at = q.Int(c + 21);
  out.latest_report.has_photo = q.Int(c + 22) != 0;
  q.TextTo(c + 23, out.sla.sla_id);
  out.sla.started_at = q.Int(c + 24);
  out.sla.respond_due_at = q.Int(c + 25);
  out.sla.resolve_due_at = q.Int(c + 26);
  out.sla.overdue_at = q.Int(c + 27);
  q.TextTo(c + 28, out.sla.escalated_from);
  out.en_route_at = q.Int(c + 29);
}

void ReadEvent(const Query& q, Event& out) {
  out.id = q.Int(0);
  q.TextTo(1, out.idempotency_key);
  out.source_kind = ParseSourceKind(q.View(2)).value_or(SourceKind::kCamera);
  q.TextTo(3, out.source_id);
  q.TextTo(4, out.category);
  q.TextTo(5, out.rule);
  out.observed_at = q.Int(6);
  out.location.lat = q.Double(7);
  out.location.lon = q.Double(8);
  out.confidence = q.Double(9);
  q.TextTo(10, out.attributes_json);
  sqlite::DecodeEvidence(q.View(11), out.evidence);
}

void ReadReport(const Query& q, Report& out) {
  out.id = q.Int(0);
  q.TextTo(1, out.token);
  q.TextTo(2, out.service_code);
  q.TextTo(3, out.description);
  out.location.lat = q.Double(4);
  out.location.lon = q.Double(5);
  q.TextTo(6, out.address);
  q.TextTo(7, out.email);
  q.TextTo(8, out.first_name);
  q.TextTo(9, out.last_name);
  q.TextTo(10, out.phone);
  q.TextTo(11, out.device_id);
  q.TextTo(12, out.account_id);
  q.TextTo(13, out.media);
  out.requested_at = q.Int(14);
  out.incident_id = q.Int(15);
}
constexpr int kReportColCount = 16;

AuditEntry ReadAudit(const Query& q) {
  AuditEntry a;
  a.id = q.Int(0);
  a.at = q.Int(1);
  q.TextTo(2, a.actor);
  q.TextTo(3, a.action);
  q.TextTo(4, a.object);
  q.TextTo(5, a.purpose);
  q.TextTo(6, a.detail);
  q.TextTo(7, a.hash);
  return a;
}

IncidentChange ReadChange(const Query& q) {
  IncidentChange c;
  c.seq = q.Int(0);
  c.incident_id = q.Int(1);
  c.at = q.Int(2);
  q.TextTo(3, c.type);
  q.TextTo(4, c.department_id);
  q.TextTo(5, c.area_id);
  q.TextTo(6, c.json);
  return c;
}

// Appends ",?,?,?" style placeholders for `n` values starting at parameter `first`.
void AppendPlaceholders(std::string& sql, std::size_t n, int& next_param) {
  sql += '(';
  for (std::size_t i = 0; i < n; ++i) {
    if (i) sql += ',';
    sql += '?';
    sql += std::to_string(next_param++);
  }
  sql += ')';
}

// ---- statements -----------------------------------------------------------------------------

const SqlKey kBegin("BEGIN IMMEDIATE");
const SqlKey kBeginRead("BEGIN");
const SqlKey kCommit("COMMIT");
const SqlKey kRollback("ROLLBACK");

const SqlKey kFindEventByKey("SELECT id, coalesce(incident_id, 0) FROM events WHERE idempotency_key = ?1");
const SqlKey kInsertEvent(
    "INSERT INTO events (idempotency_key, source_kind, source_id, category, rule, observed_at, lat, lon, "
    "confidence, attributes, evidence, incident_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
// What the open-incident index holds (see store/open_index.h), through the partial index.
const SqlKey kLoadOpenIncidents("SELECT id, category, lat, lon, last_seen_at FROM incidents WHERE open = 1");
const SqlKey kDataVersion("PRAGMA data_version");
const SqlKey kGetIncident("SELECT " GB_INCIDENT_COLS " FROM incidents i WHERE i.id = ?1");
const SqlKey kInsertIncident(
    "INSERT INTO incidents (category, state, open, lat, lon, area_id, department_id, routing_rule_id, explanation, "
    "unrouted, priority, opened_at, updated_at, last_seen_at, event_count, views, assignee, merged_into, note, "
    "report_id, report_description, report_at, report_photo, sla_id, sla_started_at, respond_due_at, resolve_due_at, "
    "overdue_at, escalated_from, en_route_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
    "?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)");
// The columns from ?20 on, set by both updates below; ?31 is the id.
#define GB_INCIDENT_EXTRA_SET                                                                                \
  "report_id = ?20, report_description = ?21, report_at = ?22, report_photo = ?23, sla_id = ?24, "          \
  "sla_started_at = ?25, respond_due_at = ?26, resolve_due_at = ?27, overdue_at = ?28, escalated_from = ?29, " \
  "en_route_at = ?30"
const SqlKey kUpdateIncident(
    "UPDATE incidents SET category = ?1, state = ?2, open = ?3, lat = ?4, lon = ?5, area_id = ?6, "
    "department_id = ?7, routing_rule_id = ?8, explanation = ?9, unrouted = ?10, priority = ?11, opened_at = ?12, "
    "updated_at = ?13, last_seen_at = ?14, event_count = ?15, views = ?16, assignee = ?17, merged_into = ?18, "
    "note = ?19, " GB_INCIDENT_EXTRA_SET " WHERE id = ?31");
// The columns that indexes and the per-state counts depend on. When none of them changes,
// the narrow UPDATE below leaves every index alone, which makes the common update (a new
// observation joins an open incident) several times cheaper.
const SqlKey kIncidentIndexedCols(
    "SELECT category, state, lat, lon, department_id, assignee FROM incidents WHERE id = ?1");
const SqlKey kUpdateIncidentNarrow(
    "UPDATE incidents SET area_id = ?6, routing_rule_id = ?8, explanation = ?9, unrouted = ?10, priority = ?11, "
    "opened_at = ?12, updated_at = ?13, last_seen_at = ?14, event_count = ?15, views = ?16, merged_into = ?18, "
    "note = ?19, " GB_INCIDENT_EXTRA_SET " WHERE id = ?31");
const SqlKey kCountState("UPDATE incident_state_counts SET n = n + ?2 WHERE state = ?1");
const SqlKey kRecountStates(
    "UPDATE incident_state_counts SET n = (SELECT count(*) FROM incidents i WHERE i.state = incident_state_counts.state)");
const SqlKey kMoveAllReports("UPDATE reports SET incident_id = ?2 WHERE incident_id = ?1");
const SqlKey kMoveEvent(
    "UPDATE events SET incident_id = ?2 WHERE id = ?3 AND incident_id = ?1 RETURNING source_kind, source_id, "
    "observed_at");
const SqlKey kMoveReport("UPDATE reports SET incident_id = ?2 WHERE id = ?3 AND incident_id = ?1");
const SqlKey kEventOfIncident("SELECT " GB_EVENT_COLS " FROM events e WHERE e.id = ?1 AND e.incident_id = ?2");
const SqlKey kAppendChange(
    "INSERT INTO incident_changes (incident_id, at, type, department_id, area_id, json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
const SqlKey kAppendAudit(
    "INSERT INTO audit (at, actor, action, object, purpose, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
const SqlKey kAuditHead("SELECT head_hash FROM audit_chain WHERE id = 1");
const SqlKey kAdvanceAuditHead("UPDATE audit_chain SET head_hash = ?1, entries = entries + 1 WHERE id = 1");
const SqlKey kGetAuditChain(
    "SELECT anchor_hash, anchor_id, purged, head_hash, entries, "
    "coalesce((SELECT at FROM audit ORDER BY id DESC LIMIT 1), 0) FROM audit_chain WHERE id = 1");
const SqlKey kScanAudit("SELECT " GB_AUDIT_COLS " FROM audit a ORDER BY a.id");
const SqlKey kInsertReport(
    "INSERT INTO reports (token, service_code, description, lat, lon, address, email, first_name, last_name, "
    "phone, device_id, account_id, media, requested_at, incident_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
const SqlKey kPutEvidence("INSERT OR IGNORE INTO evidence (hash, bytes, created_at) VALUES (?1, ?2, ?3)");
const SqlKey kPutEvidenceAlias("INSERT OR IGNORE INTO evidence_aliases (alias, hash) VALUES (?1, ?2)");
const SqlKey kPutConfig(
    "INSERT INTO config (kind, id, json) VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json");
const SqlKey kDeleteConfig("DELETE FROM config WHERE kind = ?1 AND id = ?2");
const SqlKey kPutUser(
    "INSERT OR REPLACE INTO users (name, role, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)");
const SqlKey kDeleteUser("DELETE FROM users WHERE name = ?1");
// A token is live at ?2 when it has no expiry or one after ?2.
const SqlKey kLiveTokenNamed(
    "SELECT count(*) FROM tokens WHERE name = ?1 AND (expires_at = 0 OR expires_at > ?2)");
const SqlKey kInsertToken(
    "INSERT INTO tokens (token_hash, name, role, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)");
const SqlKey kExpireTokens(
    "UPDATE tokens SET expires_at = ?2 WHERE name = ?1 AND (expires_at = 0 OR expires_at > ?2)");
const SqlKey kTouchToken("UPDATE tokens SET last_used_at = ?2 WHERE token_hash = ?1");
const SqlKey kPutSession(
    "INSERT OR REPLACE INTO sessions (id_hash, user_name, role, csrf_token, expires_at, last_seen_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
const SqlKey kDeleteSession("DELETE FROM sessions WHERE id_hash = ?1");
const SqlKey kDeleteSessionsOf("DELETE FROM sessions WHERE user_name = ?1");
const SqlKey kTouchSession("UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1");
const SqlKey kLatestReportOf(
    "SELECT id, description, requested_at, media <> '' FROM reports WHERE incident_id = ?1 "
    "ORDER BY requested_at DESC, id DESC LIMIT 1");
const SqlKey kPutTaskOrder("INSERT OR REPLACE INTO task_orders (user_name, incident_ids) VALUES (?1, ?2)");
const SqlKey kTaskOrder("SELECT incident_ids FROM task_orders WHERE user_name = ?1");
const SqlKey kOpenByDepartment(
    "SELECT department_id, count(*) FROM incidents WHERE open = 1 GROUP BY department_id ORDER BY department_id");
const SqlKey kOpenByCategory(
    "SELECT category, count(*) FROM incidents WHERE open = 1 GROUP BY category ORDER BY category");
const SqlKey kOpenOverdue("SELECT count(*) FROM incidents WHERE open = 1 AND overdue_at <> 0");
const SqlKey kOpenTasks(
    "SELECT assignee, count(*) FROM incidents WHERE open = 1 AND assignee <> '' GROUP BY assignee ORDER BY assignee");
// An incident's audit entries name it "incident/<id>"; a resolution is a transition to resolved.
const SqlKey kResolveDurations(
    "SELECT a.at - i.opened_at FROM audit a JOIN incidents i ON i.id = CAST(substr(a.object, 10) AS INTEGER) "
    "WHERE a.at >= ?1 AND a.at < ?2 AND a.action = 'incident.transition' AND substr(a.object, 1, 9) = 'incident/' "
    "AND CASE WHEN json_valid(a.detail) THEN json_extract(a.detail, '$.to') END = 'resolved'");
const SqlKey kPutIdempotent(
    "INSERT OR REPLACE INTO idempotency (scope_key, status, body, at) VALUES (?1, ?2, ?3, ?4)");

const SqlKey kCountByState("SELECT state, n FROM incident_state_counts");
const SqlKey kChangesAfter("SELECT " GB_CHANGE_COLS " FROM incident_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2");
const SqlKey kLastChangeSeq(
    "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'incident_changes'), 0)");
const SqlKey kGetReport("SELECT " GB_REPORT_COLS " FROM reports r WHERE r.id = ?1");
const SqlKey kReportByToken("SELECT " GB_REPORT_COLS " FROM reports r WHERE r.token = ?1");
const SqlKey kReportByMedia("SELECT " GB_REPORT_COLS " FROM reports r WHERE r.media = ?1 AND r.media <> '' LIMIT 1");
const SqlKey kGetEvidence(
    "SELECT hash, bytes, created_at FROM evidence WHERE hash = ?1 UNION ALL "
    "SELECT e.hash, e.bytes, e.created_at FROM evidence_aliases a JOIN evidence e ON e.hash = a.hash "
    "WHERE a.alias = ?1 LIMIT 1");
const SqlKey kListConfig("SELECT id, json FROM config WHERE kind = ?1 ORDER BY id");
const SqlKey kGetConfig("SELECT id, json FROM config WHERE kind = ?1 AND id = ?2");
const SqlKey kGetUser("SELECT name, role, password_hash, created_at, disabled FROM users WHERE name = ?1");
const SqlKey kListUsers("SELECT name, role, password_hash, created_at, disabled FROM users ORDER BY name");
#define GB_TOKEN_COLS "name, role, token_hash, created_at, expires_at, last_used_at"
const SqlKey kFindToken("SELECT " GB_TOKEN_COLS " FROM tokens WHERE token_hash = ?1");
const SqlKey kListTokens("SELECT " GB_TOKEN_COLS " FROM tokens ORDER BY name, created_at");
const SqlKey kGetSession(
    "SELECT id_hash, user_name, role, csrf_token, expires_at, last_seen_at FROM sessions WHERE id_hash = ?1");
const SqlKey kGetIdempotent("SELECT status, body FROM idempotency WHERE scope_key = ?1");
const SqlKey kPing("SELECT count(*) FROM sqlite_schema");
// The probe's write: one row replaced, which commits a WAL frame. Its key has no newline, so
// it is no key of a client's reply (those are principal, method and path on lines).
const SqlKey kProbeWrite(
    "INSERT OR REPLACE INTO idempotency (scope_key, status, body, at) VALUES ('store-probe', 0, '', ?1)");
const SqlKey kCheckpoint("PRAGMA wal_checkpoint(TRUNCATE)");

// Purge. `doomed` incidents: closed and last updated before the cutoff.
#define GB_DOOMED_INCIDENTS "SELECT id FROM incidents WHERE open = 0 AND updated_at < ?1"
const SqlKey kEventCategories(
    "WITH RECURSIVE c(category) AS ("
    " SELECT (SELECT min(category) FROM events)"
    " UNION ALL SELECT (SELECT min(category) FROM events WHERE category > c.category) FROM c"
    " WHERE c.category IS NOT NULL) "
    "SELECT category FROM c WHERE category IS NOT NULL");
const SqlKey kPurgeEventsOfCategory("DELETE FROM events WHERE category = ?1 AND observed_at < ?2");
const SqlKey kDoomedIncidents(GB_DOOMED_INCIDENTS);
const SqlKey kPurgeEventOfIncident("DELETE FROM events WHERE id = ?1 AND incident_id = ?2");
const SqlKey kPurgeReportsOfDoomed("DELETE FROM reports WHERE incident_id IN (" GB_DOOMED_INCIDENTS ")");
const SqlKey kPurgeDoomed("DELETE FROM incidents WHERE open = 0 AND updated_at < ?1");
const SqlKey kPurgeUnlinkedReports("DELETE FROM reports WHERE incident_id IS NULL AND requested_at < ?1");
const SqlKey kPurgeChangesBefore("DELETE FROM incident_changes WHERE at < ?1");
// The audit chain is only ever cut at a prefix: before the oldest entry still in its window
// (ids follow time, except where the clock stepped back).
const SqlKey kAuditCut(
    "SELECT id, hash FROM audit WHERE id < coalesce((SELECT min(id) FROM audit WHERE at >= ?1), "
    "(SELECT max(id) + 1 FROM audit)) ORDER BY id DESC LIMIT 1");
const SqlKey kPurgeAudit("DELETE FROM audit WHERE id <= ?1");
const SqlKey kMoveAuditAnchor(
    "UPDATE audit_chain SET anchor_hash = ?1, anchor_id = ?2, purged = purged + ?3 WHERE id = 1");
const SqlKey kPurgeEvidence("DELETE FROM evidence WHERE created_at < ?1 RETURNING hash");
const SqlKey kPurgeEvidenceAliases("DELETE FROM evidence_aliases WHERE hash NOT IN (SELECT hash FROM evidence)");
const SqlKey kPurgeSessions("DELETE FROM sessions WHERE expires_at < ?1");
const SqlKey kPurgeIdempotent("DELETE FROM idempotency WHERE at < ?1");

int Clamp(int v, int lo, int hi) { return std::max(lo, std::min(v, hi)); }

// The report an event of source kind `report` came from: its source_id is "report-<id>"
// (as the incident service writes it) or the bare decimal id. 0 when it is neither.
Id ReportIdOfSource(std::string_view source_id) {
  if (source_id.starts_with("report-")) source_id.remove_prefix(7);
  Id id = 0;
  auto r = std::from_chars(source_id.data(), source_id.data() + source_id.size(), id);
  if (r.ec != std::errc() || r.ptr != source_id.data() + source_id.size() || source_id.empty()) return 0;
  return id;
}

// ---- queries shared by the write transaction and the readers --------------------------------

std::optional<Incident> QueryIncident(Database& db, Id id, Status& error) {
  Query q = db.Use(kGetIncident);
  q.Bind(1, id);
  std::optional<Incident> out;
  if (q.Step()) ReadIncident(q, 0, out.emplace());
  if (!q.status().ok()) error = q.status();
  return out;
}

// The incident's events along its chain of links (store/sqlite/event_links.h), skipping
// those that have moved on or been purged.
std::vector<Event> QueryEventsOfIncident(Database& db, Id incident_id, int limit, Status& error) {
  std::vector<Event> out;
  limit = Clamp(limit, 0, 10000);
  if (limit == 0) return out;
  Status read;
  Status walked = sqlite::WalkEventLinks(db, incident_id, [&](Id event_id) {
    Query q = db.Use(kEventOfIncident);
    q.Bind(1, event_id).Bind(2, incident_id);
    if (q.Step()) ReadEvent(q, out.emplace_back());
    read = q.status();
    return read.ok() && static_cast<int>(out.size()) < limit;
  });
  if (!walked.ok()) error = walked;
  if (!read.ok()) error = read;
  return out;
}

// The id and incident of the stored event with this idempotency key, if any.
std::optional<std::pair<Id, Id>> QueryEventByKey(Database& db, std::string_view key, Status& error) {
  Query q = db.Use(kFindEventByKey);
  q.Bind(1, key);
  std::optional<std::pair<Id, Id>> out;
  if (q.Step()) out.emplace(q.Int(0), q.Int(1));
  if (!q.status().ok()) error = q.status();
  return out;
}

// Runs `read` in one read transaction on a reader: one snapshot for all its statements, and
// the WAL read lock taken once. Returns read's error, else the end's.
Status InReadTransaction(Database& db, const std::function<Status()>& read) {
  GB_RETURN_IF_ERROR(db.Use(kBeginRead).Run());
  Status s = read();
  Status end = db.Use(kCommit).Run();  // ends the read transaction; nothing was written
  if (!s.ok()) return s;
  return WithContext(end, "cannot end a read transaction");
}

// ---- the write transaction ------------------------------------------------------------------

class SqliteWriteTxn final : public WriteTxn {
 public:
  SqliteWriteTxn(Database& db, OpenIncidentIndex& open, IncidentRows& cache) : db_(db), open_(open), cache_(cache) {}

  // The first failure of a method that cannot report one; Write() will not commit.
  const Status& error() const { return error_; }

  // False once SQLite has rolled the whole transaction back by itself (it does so on some
  // I/O, full-disk and out-of-memory errors). Every method then refuses to run, so that
  // nothing after the failure can slip into autocommit mode.
  bool Active() {
    if (db_.InTransaction()) return true;
    Note(Status::Unavailable("the write transaction was rolled back after an earlier error"));
    return false;
  }
  Status Inactive() const { return error_; }

  std::optional<std::pair<Id, Id>> FindEventByKey(const std::string& key) override {
    if (!Active()) return std::nullopt;
    Status error;
    auto out = QueryEventByKey(db_, key, error);
    Note(error);
    return out;
  }

  Status InsertEvent(Event& event, Id incident_id) override {
    if (!Active()) return Inactive();
    sqlite::EncodeEvidence(event.evidence, buf_);
    Query q = db_.Use(kInsertEvent);
    q.Bind(1, event.idempotency_key)
        .Bind(2, SourceKindName(event.source_kind))
        .Bind(3, event.source_id)
        .Bind(4, event.category)
        .Bind(5, event.rule)
        .Bind(6, event.observed_at)
        .Bind(7, event.location.lat)
        .Bind(8, event.location.lon)
        .Bind(9, event.confidence)
        .Bind(10, event.attributes_json)
        .Bind(11, buf_)
        .BindId(12, incident_id);
    Status s = q.Run();
    if (!s.ok()) {
      if (s.code() == Code::kConflict && sqlite3_extended_errcode(db_.handle()) == SQLITE_CONSTRAINT_UNIQUE)
        return Status::Conflict("an event with this idempotency key is already stored");
      return WithContext(s, "cannot store the event");
    }
    event.id = db_.LastInsertRowid();
    if (incident_id != 0) links_.Add(incident_id, event.id, event.observed_at);
    return Status::Ok();
  }

  std::vector<IncidentCandidate> FindOpenIncidents(const std::string& category, const GeoBox& box,
                                                   TimeMs since) override {
    if (!Active()) return {};
    if (!open_.loaded()) {
      open_.BeginLoad();
      Query q = db_.Use(kLoadOpenIncidents);
      while (q.Step()) open_.Put(q.Int(0), std::string(q.View(1)), {q.Double(2), q.Double(3)}, q.Int(4));
      if (!q.status().ok()) {
        open_.Invalidate();
        Note(q.status());
        return {};
      }
    }
    return open_.Find(category, box, since);
  }

  std::optional<Incident> GetIncident(Id id) override {
    if (!Active()) return std::nullopt;
    if (auto it = cache_.find(id); it != cache_.end()) return it->second;
    auto out = QueryIncident(db_, id, error_);
    if (out) Remember(*out);
    return out;
  }

  Status InsertIncident(Incident& incident) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kInsertIncident);
    BindIncident(q, incident);
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot store the incident"));
    incident.id = db_.LastInsertRowid();
    ++state_delta_[static_cast<std::size_t>(incident.state)];
    Remember(incident);
    File(incident);
    return Status::Ok();
  }

  Status UpdateIncident(const Incident& incident) override {
    if (!Active()) return Inactive();
    // The indexed columns as stored: from the transaction's cache, else from the table.
    IndexedColumns old;
    if (auto it = cache_.find(incident.id); it != cache_.end()) {
      old.Assign(it->second);
    } else {
      Query q = db_.Use(kIncidentIndexedCols);
      q.Bind(1, incident.id);
      if (!q.Step()) {
        GB_RETURN_IF_ERROR(WithContext(q.status(), "cannot update the incident"));
        return Status::NotFound("incident " + std::to_string(incident.id) + " does not exist");
      }
      old.category.assign(q.View(0));
      old.state = ParseState(q.View(1)).value_or(IncidentState::kNew);
      old.location = {q.Double(2), q.Double(3)};
      old.department_id.assign(q.View(4));
      old.assignee.assign(q.View(5));
    }
    const bool narrow = old.category == incident.category && old.state == incident.state &&
                        old.location.lat == incident.location.lat && old.location.lon == incident.location.lon &&
                        old.department_id == incident.department_id && old.assignee == incident.assignee;
    {
      Query q = db_.Use(narrow ? kUpdateIncidentNarrow : kUpdateIncident);
      BindIncident(q, incident);
      q.Bind(31, incident.id);
      GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot update the incident"));
      if (db_.Changes() == 0) {
        cache_.erase(incident.id);
        return Status::NotFound("incident " + std::to_string(incident.id) + " does not exist");
      }
    }
    --state_delta_[static_cast<std::size_t>(old.state)];
    ++state_delta_[static_cast<std::size_t>(incident.state)];
    Remember(incident);
    File(incident);
    return Status::Ok();
  }

  Status MoveEvents(Id from, Id to, const std::vector<Id>& event_ids) override {
    if (!Active()) return Inactive();
    if (from == to) return Status::Ok();
    if (event_ids.empty()) {
      GB_RETURN_IF_ERROR(FlushLinks());  // the chain must name every event of `from`
      std::vector<Id> all;
      GB_RETURN_IF_ERROR(sqlite::EventLinkIds(db_, from, all));
      for (Id id : all) GB_RETURN_IF_ERROR(MoveEvent(from, to, id, nullptr));
      GB_RETURN_IF_ERROR(sqlite::DeleteEventLinks(db_, from));
      Query reports = db_.Use(kMoveAllReports);
      reports.Bind(1, from).BindId(2, to);
      return WithContext(reports.Run(), "cannot move reports");
    }
    for (Id event_id : event_ids) {
      Id report_id = 0;
      bool moved = false;
      GB_RETURN_IF_ERROR(MoveEvent(from, to, event_id, &moved, &report_id));
      if (!moved)
        return Status::NotFound("event " + std::to_string(event_id) + " is not part of incident " +
                                std::to_string(from));
      if (report_id != 0) {
        Query q = db_.Use(kMoveReport);
        q.Bind(1, from).BindId(2, to).Bind(3, report_id);
        GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot move a report"));
      }
    }
    return Status::Ok();
  }

  std::vector<Event> EventsOfIncident(Id incident_id, int limit) override {
    if (!Active()) return {};
    Note(FlushLinks());
    return QueryEventsOfIncident(db_, incident_id, limit, error_);
  }

  Result<ReportSummary> LatestReportOf(Id incident_id) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kLatestReportOf);
    q.Bind(1, incident_id);
    ReportSummary out;
    if (q.Step()) {
      out.id = q.Int(0);
      q.TextTo(1, out.description);
      out.requested_at = q.Int(2);
      out.has_photo = q.Int(3) != 0;
    }
    GB_RETURN_IF_ERROR(WithContext(q.status(), "cannot read the incident's newest report"));
    return out;
  }

  Status AppendChange(IncidentChange& change) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kAppendChange);
    q.Bind(1, change.incident_id)
        .Bind(2, change.at)
        .Bind(3, change.type)
        .Bind(4, change.department_id)
        .Bind(5, change.area_id)
        .Bind(6, change.json);
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot append to the change log"));
    change.seq = db_.LastInsertRowid();
    return Status::Ok();
  }

  Status AppendAudit(AuditEntry& entry) override {
    if (!Active()) return Inactive();
    std::string previous;
    {
      Query q = db_.Use(kAuditHead);
      if (q.Step()) q.TextTo(0, previous);
      GB_RETURN_IF_ERROR(WithContext(q.status(), "cannot read the audit chain's head"));
      if (previous.empty()) return Status::Internal("the audit chain has no head row");
    }
    entry.hash = AuditChainHash(previous, entry);
    Query q = db_.Use(kAppendAudit);
    q.Bind(1, entry.at)
        .Bind(2, entry.actor)
        .Bind(3, entry.action)
        .Bind(4, entry.object)
        .Bind(5, entry.purpose)
        .Bind(6, entry.detail)
        .Bind(7, entry.hash);
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot write the audit entry"));
    entry.id = db_.LastInsertRowid();
    Query head = db_.Use(kAdvanceAuditHead);
    return WithContext(head.Bind(1, entry.hash).Run(), "cannot advance the audit chain");
  }

  Status InsertReport(Report& r) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kInsertReport);
    if (r.token.empty()) {
      q.BindNull(1);
    } else {
      q.Bind(1, r.token);
    }
    q.Bind(2, r.service_code)
        .Bind(3, r.description)
        .Bind(4, r.location.lat)
        .Bind(5, r.location.lon)
        .Bind(6, r.address)
        .Bind(7, r.email)
        .Bind(8, r.first_name)
        .Bind(9, r.last_name)
        .Bind(10, r.phone)
        .Bind(11, r.device_id)
        .Bind(12, r.account_id)
        .Bind(13, r.media)
        .Bind(14, r.requested_at)
        .BindId(15, r.incident_id);
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot store the report"));
    r.id = db_.LastInsertRowid();
    return Status::Ok();
  }

  Result<bool> PutEvidence(const EvidenceRecord& record) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutEvidence);
    q.Bind(1, record.hash).Bind(2, record.bytes).Bind(3, record.created_at);
    Status s = q.Run();
    if (!s.ok()) return WithContext(s, "cannot record the evidence");
    return db_.Changes() > 0;
  }

  Status PutEvidenceAlias(const std::string& alias, const std::string& hash) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutEvidenceAlias);
    return WithContext(q.Bind(1, alias).Bind(2, hash).Run(), "cannot record the evidence's alias");
  }

  Status PutConfig(const ConfigDoc& doc) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutConfig);
    q.Bind(1, ConfigKindName(doc.kind)).Bind(2, doc.id).Bind(3, doc.json);
    return WithContext(q.Run(), "cannot store the configuration");
  }

  Status DeleteConfig(ConfigKind kind, const std::string& id) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kDeleteConfig);
    q.Bind(1, ConfigKindName(kind)).Bind(2, id);
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot delete the configuration"));
    if (db_.Changes() == 0)
      return Status::NotFound("there is no " + std::string(ConfigKindName(kind)) + " with id '" + id + "'");
    return Status::Ok();
  }

  Status PutUser(const User& user) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutUser);
    q.Bind(1, user.name)
        .Bind(2, RoleName(user.role))
        .Bind(3, user.password_hash)
        .Bind(4, user.created_at)
        .Bind(5, user.disabled ? 1 : 0);
    return WithContext(q.Run(), "cannot store the user");
  }

  Status DeleteUser(const std::string& name) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kDeleteUser);
    GB_RETURN_IF_ERROR(WithContext(q.Bind(1, name).Run(), "cannot remove the user"));
    return db_.Changes() == 0 ? Status::NotFound("there is no user named " + name) : Status::Ok();
  }

  Status PutToken(const ApiToken& token, std::optional<TimeMs> retire_others_at) override {
    if (!Active()) return Inactive();
    if (retire_others_at) {
      Status s = ExpireTokens(token.name, *retire_others_at);
      if (!s.ok() && s.code() != Code::kNotFound) return s;
    } else {
      Query live = db_.Use(kLiveTokenNamed);
      live.Bind(1, token.name).Bind(2, token.created_at);
      bool taken = live.Step() && live.Int(0) > 0;
      GB_RETURN_IF_ERROR(WithContext(live.status(), "cannot read the tokens"));
      if (taken) return Status::Conflict("a token named " + token.name + " already exists; rotate it to replace it");
    }
    Query q = db_.Use(kInsertToken);
    q.Bind(1, token.token_hash)
        .Bind(2, token.name)
        .Bind(3, RoleName(token.role))
        .Bind(4, token.created_at)
        .Bind(5, token.expires_at);
    return WithContext(q.Run(), "cannot store the token");
  }

  Status ExpireTokens(const std::string& name, TimeMs at) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kExpireTokens);
    GB_RETURN_IF_ERROR(WithContext(q.Bind(1, name).Bind(2, at).Run(), "cannot revoke the token"));
    return db_.Changes() == 0 ? Status::NotFound("there is no live token named " + name) : Status::Ok();
  }

  Status TouchToken(const std::string& token_hash, TimeMs at) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kTouchToken);
    return WithContext(q.Bind(1, token_hash).Bind(2, at).Run(), "cannot record the token's use");
  }

  Status PutSession(const Session& s) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutSession);
    q.Bind(1, s.id_hash)
        .Bind(2, s.user)
        .Bind(3, RoleName(s.role))
        .Bind(4, s.csrf_token)
        .Bind(5, s.expires_at)
        .Bind(6, s.last_seen_at);
    return WithContext(q.Run(), "cannot store the session");
  }

  Status DeleteSession(const std::string& id_hash) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kDeleteSession);
    q.Bind(1, id_hash);
    return WithContext(q.Run(), "cannot delete the session");
  }

  Status DeleteSessionsOf(const std::string& user) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kDeleteSessionsOf);
    return WithContext(q.Bind(1, user).Run(), "cannot end the user's sessions");
  }

  Status TouchSession(const std::string& id_hash, TimeMs at) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kTouchSession);
    return WithContext(q.Bind(1, id_hash).Bind(2, at).Run(), "cannot record the session's use");
  }

  Status PutIdempotentReply(const std::string& scope_key, const IdempotentReply& reply, TimeMs at) override {
    if (!Active()) return Inactive();
    Query q = db_.Use(kPutIdempotent);
    q.Bind(1, scope_key).Bind(2, reply.status).Bind(3, reply.body).Bind(4, at);
    return WithContext(q.Run(), "cannot store the idempotent reply");
  }

  Status PutTaskOrder(const std::string& user, const std::vector<Id>& incident_ids) override {
    if (!Active()) return Inactive();
    std::string ids;
    for (Id id : incident_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    Query q = db_.Use(kPutTaskOrder);
    q.Bind(1, user).Bind(2, ids);
    return WithContext(q.Run(), "cannot store the order of the tasks");
  }

  // Cuts the audit chain's oldest entries; the last one's hash becomes the anchor the rest
  // verifies from, and the cut is itself an audit entry.
  Status PurgeAudit(const RetentionCutoffs& c, std::int64_t& removed) {
    Id last_id = 0;
    std::string last_hash;
    {
      Query q = db_.Use(kAuditCut);
      q.Bind(1, c.audit_before);
      if (q.Step()) {
        last_id = q.Int(0);
        q.TextTo(1, last_hash);
      }
      GB_RETURN_IF_ERROR(q.status());
    }
    if (last_id == 0) return Status::Ok();
    Query del = db_.Use(kPurgeAudit);
    GB_RETURN_IF_ERROR(del.Bind(1, last_id).Run());
    const std::int64_t n = db_.Changes();
    removed += n;
    Query anchor = db_.Use(kMoveAuditAnchor);
    GB_RETURN_IF_ERROR(anchor.Bind(1, last_hash).Bind(2, last_id).Bind(3, n).Run());
    AuditEntry entry{0, c.now, "system", "audit.purge", "audit", "", "", ""};
    JsonWriter(entry.detail).BeginObject().Key("removed").Int(n).Key("anchor_id").Int(last_id).Key("anchor_hash")
        .String(last_hash).EndObject();
    return AppendAudit(entry);
  }

  Status Purge(const RetentionCutoffs& c, PurgeResult& out) {
    cache_.clear();  // closed incidents go below, by a statement that bypasses the cache
    auto run = [&](const SqlKey& key, TimeMs cutoff, std::int64_t& counter) -> Status {
      Query q = db_.Use(key);
      q.Bind(1, cutoff);
      GB_RETURN_IF_ERROR(q.Run());
      counter += db_.Changes();
      return Status::Ok();
    };
    // Events, category by category (the index is (category, observed_at)).
    std::vector<std::string> categories;
    {
      Query q = db_.Use(kEventCategories);
      while (q.Step()) categories.push_back(q.Text(0));
      GB_RETURN_IF_ERROR(q.status());
    }
    for (const std::string& category : categories) {
      TimeMs cutoff = c.events_before;
      for (const auto& [name, before] : c.category_events_before)
        if (name == category) cutoff = before;
      if (cutoff == 0) continue;
      Query q = db_.Use(kPurgeEventsOfCategory);
      q.Bind(1, category).Bind(2, cutoff);
      GB_RETURN_IF_ERROR(q.Run());
      out.events += db_.Changes();
    }
    // Links whose events are all past retention: before the earliest cutoff of any category,
    // and only when every category has one.
    TimeMs links_before = c.events_before;
    for (const auto& [name, before] : c.category_events_before)
      links_before = before == 0 ? 0 : std::min(links_before, before);
    if (links_before != 0) GB_RETURN_IF_ERROR(sqlite::PurgeEventLinks(db_, links_before));
    // Closed incidents with everything hanging off them, then the old stream log (which
    // holds every change of those incidents: the incident service stamps a change with its
    // incident's updated_at).
    if (c.incidents_before != 0) {
      std::vector<Id> doomed;
      {
        Query q = db_.Use(kDoomedIncidents);
        q.Bind(1, c.incidents_before);
        while (q.Step()) doomed.push_back(q.Int(0));
        GB_RETURN_IF_ERROR(q.status());
      }
      for (Id incident : doomed) GB_RETURN_IF_ERROR(PurgeEventsOf(incident, out.events));
      GB_RETURN_IF_ERROR(run(kPurgeReportsOfDoomed, c.incidents_before, out.reports));
      GB_RETURN_IF_ERROR(run(kPurgeDoomed, c.incidents_before, out.incidents));
      GB_RETURN_IF_ERROR(db_.Use(kRecountStates).Run());
      GB_RETURN_IF_ERROR(run(kPurgeUnlinkedReports, c.incidents_before, out.reports));
      GB_RETURN_IF_ERROR(run(kPurgeChangesBefore, c.incidents_before, out.changes));
    }
    if (c.audit_before != 0) GB_RETURN_IF_ERROR(PurgeAudit(c, out.audit));
    if (c.evidence_before != 0) {
      Query q = db_.Use(kPurgeEvidence);
      q.Bind(1, c.evidence_before);
      while (q.Step()) out.evidence_hashes.push_back(q.Text(0));
      GB_RETURN_IF_ERROR(q.status());
      if (!out.evidence_hashes.empty()) GB_RETURN_IF_ERROR(db_.Use(kPurgeEvidenceAliases).Run());
    }
    // Sessions that expired and idempotent replies older than every retention window.
    TimeMs latest = std::max({c.events_before, c.incidents_before, c.audit_before, c.evidence_before});
    if (latest != 0) {
      std::int64_t ignored = 0;
      GB_RETURN_IF_ERROR(run(kPurgeSessions, latest, ignored));
      GB_RETURN_IF_ERROR(run(kPurgeIdempotent, latest, ignored));
    }
    return Status::Ok();
  }

 private:
  void Note(const Status& s) {
    if (!s.ok() && error_.ok()) error_ = s;
  }

  // Deletes the events of `incident` along its chain, and the chain.
  Status PurgeEventsOf(Id incident, std::int64_t& count) {
    std::vector<Id> ids;
    GB_RETURN_IF_ERROR(sqlite::EventLinkIds(db_, incident, ids));
    for (Id id : ids) {
      Query q = db_.Use(kPurgeEventOfIncident);
      q.Bind(1, id).Bind(2, incident);
      GB_RETURN_IF_ERROR(q.Run());
      count += db_.Changes();
    }
    return sqlite::DeleteEventLinks(db_, incident);
  }

  // Moves one event if it belongs to `from` (sets *moved), linking it to `to`; fills
  // *report_id when the event came from an Open311 report.
  Status MoveEvent(Id from, Id to, Id event_id, bool* moved, Id* report_id = nullptr) {
    Query q = db_.Use(kMoveEvent);
    q.Bind(1, from).BindId(2, to).Bind(3, event_id);
    const bool found = q.Step();
    if (found) {
      if (report_id && q.View(0) == SourceKindName(SourceKind::kReport)) *report_id = ReportIdOfSource(q.View(1));
      if (to != 0) links_.Add(to, event_id, q.Int(2));
    }
    GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot move an event"));
    if (moved) *moved = found;
    return Status::Ok();
  }

  // Keeps a copy of an incident as now stored, so that the usual sequence of a batch
  // (FindOpenIncidents, GetIncident, UpdateIncident) reads no row that an earlier batch
  // already read or wrote. Every change to incidents goes through these objects (Purge
  // clears the cache), so the copies stay exact; the store drops them with the
  // open-incident index when a transaction rolls back or another connection commits.
  void Remember(const Incident& incident) {
    if (cache_.size() >= kMaxCachedIncidents) cache_.clear();
    cache_.insert_or_assign(incident.id, incident);
  }

  // Keeps the open-incident index equal to the table as this transaction sees it. Before
  // the index is loaded there is nothing to keep: loading reads the transaction's view.
  void File(const Incident& incident) {
    if (!open_.loaded()) return;
    if (IsOpen(incident.state))
      open_.Put(incident.id, incident.category, incident.location, incident.last_seen_at);
    else
      open_.Remove(incident.id);
  }

  struct IndexedColumns {
    std::string category;
    IncidentState state = IncidentState::kNew;
    LatLon location;
    std::string department_id;
    std::string assignee;
    void Assign(const Incident& i) {
      category = i.category;
      state = i.state;
      location = i.location;
      department_id = i.department_id;
      assignee = i.assignee;
    }
  };

  void BindIncident(Query& q, const Incident& in) {
    sqlite::EncodeViews(in.views, buf_);
    q.Bind(1, in.category)
        .Bind(2, StateName(in.state))
        .Bind(3, IsOpen(in.state) ? 1 : 0)
        .Bind(4, in.location.lat)
        .Bind(5, in.location.lon)
        .Bind(6, in.area_id)
        .Bind(7, in.department_id)
        .Bind(8, in.routing_rule_id)
        .Bind(9, in.explanation)
        .Bind(10, in.unrouted ? 1 : 0)
        .Bind(11, in.priority)
        .Bind(12, in.opened_at)
        .Bind(13, in.updated_at)
        .Bind(14, in.last_seen_at)
        .Bind(15, in.event_count)
        .Bind(16, buf_)
        .Bind(17, in.assignee)
        .Bind(18, in.merged_into)
        .Bind(19, in.note)
        .Bind(20, in.latest_report.id)
        .Bind(21, in.latest_report.description)
        .Bind(22, in.latest_report.requested_at)
        .Bind(23, in.latest_report.has_photo ? 1 : 0)
        .Bind(24, in.sla.sla_id)
        .Bind(25, in.sla.started_at)
        .Bind(26, in.sla.respond_due_at)
        .Bind(27, in.sla.resolve_due_at)
        .Bind(28, in.sla.overdue_at)
        .Bind(29, in.sla.escalated_from)
        .Bind(30, in.en_route_at);
  }

  static constexpr std::size_t kMaxCachedIncidents = 4096;

  Database& db_;
  OpenIncidentIndex& open_;
  IncidentRows& cache_;
  sqlite::PendingLinks links_;  // events added to incidents, linked at the end
  Status error_;
  std::string buf_;  // encoded evidence list or views, bound without a copy
  std::array<std::int64_t, kAllIncidentStates.size()> state_delta_{};

 public:
  // Writes the event links of the transaction; Write() calls it before COMMIT, and every
  // read of an incident's events before it reads.
  Status FlushLinks() {
    if (links_.empty()) return Status::Ok();
    return links_.Write(db_);
  }

  // The probe's write (see sqlite_store.h, "Faults").
  Status ProbeWrite(TimeMs at) {
    return WithContext(db_.Use(kProbeWrite).Bind(1, at).Run(), "cannot write the store's probe row");
  }

  // Applies the per-state count changes of the transaction; Write() calls it before COMMIT.
  Status FlushCounts() {
    for (std::size_t i = 0; i < state_delta_.size(); ++i) {
      if (state_delta_[i] == 0) continue;
      Query q = db_.Use(kCountState);
      q.Bind(1, StateName(kAllIncidentStates[i])).Bind(2, state_delta_[i]);
      GB_RETURN_IF_ERROR(WithContext(q.Run(), "cannot count incidents by state"));
      state_delta_[i] = 0;
    }
    return Status::Ok();
  }
};

// Applies the per-connection settings.
Status Configure(Database& db, bool writer, int cache_kib) {
  // First, so that everything below waits for another process's lock instead of failing.
  GB_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 5000"));
  if (writer) {
    // Only takes effect when the file is new. 8 KiB pages measured about 10% less CPU per
    // ingested event than 4 KiB: a batch commits fewer, fuller WAL frames.
    GB_RETURN_IF_ERROR(db.Exec("PRAGMA page_size = 8192"));
    // WAL persists in the file; the answer is the mode in force.
    Query q = db.UseDynamic("PRAGMA journal_mode = WAL");
    std::string mode;
    if (q.Step()) mode = q.Text(0);
    GB_RETURN_IF_ERROR(q.status());
    if (mode != "wal")
      return Status::Unavailable("cannot switch " + db.path() + " to WAL mode (journal mode is '" + mode + "')");
  }
  GB_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  GB_RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY"));
  // The writer's commits are made durable by GroupSync after the write lock is released.
  GB_RETURN_IF_ERROR(db.Exec(writer ? "PRAGMA synchronous = NORMAL" : "PRAGMA query_only = ON"));
  if (writer) {
    // The writer checkpoints (copies the WAL into the database file) after the commit that
    // takes the WAL past 4096 pages (32 MiB) instead of SQLite's 1000: a 1,000-event batch
    // writes a few hundred pages, many of them the same hot pages batch after batch, and a
    // checkpoint copies each page once however often it changed. A checkpoint thread with
    // its own connection was measured too: its copies could never finish while the writer
    // kept appending, so the WAL only restarted at a hard limit and hot pages were copied
    // several times; it cost more CPU per event and gave no more throughput.
    GB_RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint = 4096"));
    // After a checkpoint lets the WAL start over, its file is cut back to this size.
    GB_RETURN_IF_ERROR(db.Exec("PRAGMA journal_size_limit = 67108864"));
  }
  std::string cache = "PRAGMA cache_size = -" + std::to_string(cache_kib);
  return db.Exec(cache.c_str());
}

}  // namespace

// ---- readers ----------------------------------------------------------------------------------

class SqliteStore::Readers {
 public:
  Readers(std::string path, std::string vfs, int max, int cache_kib)
      : path_(std::move(path)), vfs_(std::move(vfs)), max_(max), cache_kib_(cache_kib) {}

  // A connection lent to one reader; it goes back to the pool when the Lease ends.
  class Lease {
   public:
    Lease(Readers* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) pool_->Return(std::move(db_));
    }
    Database& operator*() { return *db_; }

   private:
    Readers* pool_;
    std::unique_ptr<Database> db_;
  };

  std::optional<Lease> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !closing_ && (!idle_.empty() || open_ < max_); });
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
    ++open_;
    lock.unlock();
    auto db = Database::Open(path_, false, vfs_);
    Status s = db.ok() ? Configure(**db, false, cache_kib_) : db.status();
    if (!s.ok()) {
      lock.lock();
      --open_;
      cv_.notify_all();
      return std::nullopt;
    }
    return Lease(this, std::move(*db));
  }

  // Closes every connection, waiting for those lent out to come back; Acquire waits
  // meanwhile, and opens new ones afterwards.
  void CloseAll() {
    std::unique_lock lock(mu_);
    closing_ = true;
    cv_.wait(lock, [&] { return static_cast<int>(idle_.size()) == open_; });
    idle_.clear();
    open_ = 0;
    closing_ = false;
    cv_.notify_all();
  }

 private:
  void Return(std::unique_ptr<Database> db) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(db));
    }
    cv_.notify_all();  // CloseAll may be the one waiting
  }

  const std::string path_;
  const std::string vfs_;
  const int max_;
  const int cache_kib_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Database>> idle_;
  int open_ = 0;
  bool closing_ = false;
};

// ---- SqliteStore --------------------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, const Options& options) {
  auto vfs = sqlite::VfsFor(options.env);
  if (!vfs.ok()) return vfs.status();
  auto writer = Database::Open(path, true, *vfs);
  if (!writer.ok()) return writer.status();
  Status s = Configure(**writer, true, options.writer_cache_kib);
  if (s.ok()) s = sqlite::ApplyMigrations(**writer);
  if (!s.ok()) return Status::Unavailable("cannot use the SQLite database " + path + ": " + s.message());
  int readers = options.max_readers > 0 ? options.max_readers
                                        : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, *vfs, options, std::move(*writer),
                      std::make_unique<Readers>(path, *vfs, readers, options.reader_cache_kib)));
}

SqliteStore::SqliteStore(std::string path, std::string vfs, const Options& options, std::unique_ptr<Database> writer,
                         std::unique_ptr<Readers> readers)
    : path_(std::move(path)),
      vfs_(std::move(vfs)),
      options_(options),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      durable_(GroupSync::SyncFile(path_ + "-wal", options_.env)),
      probe_([this] { Probe(); }) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(probe_mu_);
    stopping_ = true;
  }
  probe_cv_.notify_all();
  probe_.join();
  readers_.reset();
  writer_.reset();  // the last connection to close checkpoints and removes the WAL
}

void SqliteStore::NoteWrite(const Status& s) {
  if (s.ok()) {
    writable_.store(true, std::memory_order_relaxed);
  } else if (s.code() == Code::kUnavailable || s.code() == Code::kNoSpace) {
    if (writable_.exchange(false, std::memory_order_relaxed))
      unwritable_since_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
}

void SqliteStore::Probe() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lock(probe_mu_);
  while (!stopping_) {
    probe_cv_.wait_for(lock, options_.probe_interval / 2);
    if (stopping_ || writable_.load(std::memory_order_relaxed)) continue;
    const Clock::time_point since{Clock::duration(unwritable_since_.load(std::memory_order_relaxed))};
    if (Clock::now() - since < options_.probe_interval) continue;
    lock.unlock();
    Status s = Write([this](WriteTxn& txn) {
      return static_cast<SqliteWriteTxn&>(txn).ProbeWrite(options_.env->NowMs());
    });
    // A failed probe waits a whole interval again.
    if (!s.ok()) unwritable_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    lock.lock();
  }
}

Status SqliteStore::RecoverLocked() {
  if (writer_ && durable_.Broken().ok()) return Status::Ok();
  // SQLite's page cache and WAL index may describe frames the failed sync lost: forget
  // them all. The last connection to close tries a checkpoint of its own; whatever it
  // leaves, the next open reads back from the WAL file.
  readers_->CloseAll();
  writer_.reset();
  open_index_.Invalidate();
  incident_rows_.clear();
  data_version_ = -1;
  auto writer = Database::Open(path_, false, vfs_);
  if (!writer.ok()) return writer.status();
  GB_RETURN_IF_ERROR(Configure(**writer, true, options_.writer_cache_kib));
  {
    // The whole WAL into the database file, which is then fsync'd (synchronous=NORMAL), and
    // the WAL cut to nothing. Its row: busy (1 when a reader kept it from finishing), frames.
    Query q = (*writer)->Use(kCheckpoint);
    const bool done = q.Step() && q.Int(0) == 0;
    GB_RETURN_IF_ERROR(WithContext(q.status(), "cannot checkpoint the store after a failed sync"));
    if (!done) return Status::Unavailable("cannot checkpoint the whole store after a failed sync");
  }
  writer_ = std::move(*writer);
  durable_.Restart(GroupSync::SyncFile(path_ + "-wal", options_.env));
  return Status::Ok();
}

Status SqliteStore::Write(const std::function<Status(WriteTxn&)>& fn) { return WriteWith(fn, true); }

Status SqliteStore::WriteWith(const std::function<Status(WriteTxn&)>& fn, bool foreign_keys) {
  if (write_owner_.load(std::memory_order_relaxed) == std::this_thread::get_id())
    return Status::Internal("Store::Write called from inside a Write callback");
  std::uint64_t ticket = 0;
  Status s = Commit(fn, foreign_keys, ticket);
  if (s.ok()) s = durable_.WaitDurable(ticket);  // outside the lock: the next writer runs meanwhile
  NoteWrite(s);
  return s;
}

Status SqliteStore::Commit(const std::function<Status(WriteTxn&)>& fn, bool foreign_keys, std::uint64_t& ticket) {
  std::lock_guard lock(write_mu_);
  GB_RETURN_IF_ERROR(RecoverLocked());
  write_owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  struct ClearOwner {
    std::atomic<std::thread::id>& owner;
    ~ClearOwner() { owner.store(std::thread::id(), std::memory_order_relaxed); }
  } clear_owner{write_owner_};
  // The pragma only takes effect outside a transaction, hence before BEGIN and after the end.
  struct ForeignKeys {
    Database& db;
    bool off;
    ~ForeignKeys() {
      if (off) (void)db.Exec("PRAGMA foreign_keys = ON");
    }
  } restore{*writer_, !foreign_keys};
  if (!foreign_keys) GB_RETURN_IF_ERROR(writer_->Exec("PRAGMA foreign_keys = OFF"));

  Database& db = *writer_;
  auto rollback = [&] {
    if (db.InTransaction()) (void)db.Use(kRollback).Run();
    open_index_.Invalidate();  // they may hold what was rolled back
    incident_rows_.clear();
  };
  {
    Status begin = db.Use(kBegin).Run();
    if (!begin.ok()) {
      rollback();
      return WithContext(begin, "cannot start a write transaction");
    }
  }
  {
    // Another connection's commit (another process on this file) may have changed incidents.
    Query q = db.Use(kDataVersion);
    std::int64_t version = q.Step() ? q.Int(0) : -1;
    if (!q.status().ok() || version != data_version_) {
      open_index_.Invalidate();
      incident_rows_.clear();
    }
    data_version_ = version;
  }
  SqliteWriteTxn txn(db, open_index_, incident_rows_);
  Status s;
  try {
    s = fn(txn);
  } catch (...) {
    rollback();
    throw;
  }
  if (s.ok() && !txn.error().ok()) s = WithContext(txn.error(), "a read inside the write transaction failed");
  if (s.ok()) s = txn.FlushLinks();
  if (s.ok()) s = txn.FlushCounts();
  if (!s.ok()) {
    rollback();
    return s;
  }
  Status commit = db.Use(kCommit).Run();
  if (!commit.ok()) {
    rollback();
    return WithContext(commit, "cannot commit the write transaction");
  }
  ticket = durable_.Committed();
  return Status::Ok();
}

Result<PurgeResult> SqliteStore::Purge(const RetentionCutoffs& cutoffs) {
  PurgeResult result;
  // With foreign keys enforced, deleting an incident would make SQLite look for its events
  // with a scan of the whole table (events are found by incident through their links, not
  // an index; see event_links.h). Purge deletes an incident's events itself, first.
  Status s = WriteWith([&](WriteTxn& txn) { return static_cast<SqliteWriteTxn&>(txn).Purge(cutoffs, result); },
                       false);
  if (!s.ok()) return WithContext(s, "purge failed");
  return result;
}

Result<std::optional<Incident>> SqliteStore::GetIncident(Id id) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Status error;
  auto out = QueryIncident(**lease, id, error);
  if (!error.ok()) return WithContext(error, "cannot read the incident");
  return out;
}

Result<std::vector<Incident>> SqliteStore::ListIncidents(const IncidentFilter& f) {
  std::vector<Incident> out;
  std::string sql = "SELECT " GB_INCIDENT_COLS " FROM incidents i WHERE 1";
  int p = 1;
  if (!f.states.empty()) {
    sql += " AND i.state IN ";
    AppendPlaceholders(sql, f.states.size(), p);
  }
  if (!f.categories.empty()) {
    sql += " AND i.category IN ";
    AppendPlaceholders(sql, f.categories.size(), p);
  }
  auto cond = [&](bool on, const char* text) {
    if (!on) return;
    sql += " AND ";
    sql += text;
    sql += std::to_string(p++);
  };
  cond(!f.department_id.empty(), "i.department_id = ?");
  cond(!f.area_id.empty(), "i.area_id = ?");
  cond(!f.assignee.empty(), "i.assignee = ?");
  cond(f.updated_from != 0, "i.updated_at >= ?");
  cond(f.updated_to != 0, "i.updated_at < ?");
  if (f.bbox) {
    cond(true, "i.lat >= ?");
    cond(true, "i.lat <= ?");
    cond(true, "i.lon >= ?");
    cond(true, "i.lon <= ?");
  }
  // "i.open = 1" lets SQLite walk the partial index of open incidents instead of the table.
  if (f.overdue) sql += *f.overdue ? " AND i.open = 1 AND i.overdue_at <> 0" : " AND i.overdue_at = 0";
  if (f.due_by != 0) {
    const std::string n = std::to_string(p++);
    sql += " AND i.open = 1 AND ((i.state IN ('new', 'routed') AND i.respond_due_at > 0 AND i.respond_due_at <= ?" +
           n + ") OR (i.resolve_due_at > 0 AND i.resolve_due_at <= ?" + n + "))";
  }
  cond(f.before_id != 0, "i.id < ?");
  sql += " ORDER BY i.id DESC LIMIT ?" + std::to_string(p);

  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).UseDynamic(sql);
  p = 1;
  for (IncidentState s : f.states) q.Bind(p++, StateName(s));
  for (const std::string& c : f.categories) q.Bind(p++, c);
  if (!f.department_id.empty()) q.Bind(p++, f.department_id);
  if (!f.area_id.empty()) q.Bind(p++, f.area_id);
  if (!f.assignee.empty()) q.Bind(p++, f.assignee);
  if (f.updated_from != 0) q.Bind(p++, f.updated_from);
  if (f.updated_to != 0) q.Bind(p++, f.updated_to);
  if (f.bbox) {
    q.Bind(p, f.bbox->min_corner().y()).Bind(p + 1, f.bbox->max_corner().y());
    q.Bind(p + 2, f.bbox->min_corner().x()).Bind(p + 3, f.bbox->max_corner().x());
    p += 4;
  }
  if (f.due_by != 0) q.Bind(p++, f.due_by);
  if (f.before_id != 0) q.Bind(p++, f.before_id);
  q.Bind(p, Clamp(f.limit, 1, 1000));
  while (q.Step()) ReadIncident(q, 0, out.emplace_back());
  if (!q.status().ok()) return WithContext(q.status(), "cannot list the incidents");
  return out;
}

Result<std::vector<Event>> SqliteStore::EventsOfIncident(Id incident_id, int limit) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  std::vector<Event> out;
  Status s = InReadTransaction(**lease, [&] {  // one snapshot for the whole chain
    Status error;
    out = QueryEventsOfIncident(**lease, incident_id, limit, error);
    return WithContext(error, "cannot read the incident's events");
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::optional<std::pair<Id, Id>>>> SqliteStore::FindEventsByKeys(
    const std::vector<std::string_view>& keys) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  std::vector<std::optional<std::pair<Id, Id>>> out(keys.size());
  Status s = InReadTransaction(**lease, [&] {
    Status error;
    for (size_t i = 0; i < keys.size() && error.ok(); ++i) out[i] = QueryEventByKey(**lease, keys[i], error);
    return WithContext(error, "cannot look up idempotency keys");
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<std::pair<IncidentState, std::int64_t>>> SqliteStore::CountIncidentsByState() {
  std::vector<std::pair<IncidentState, std::int64_t>> out;
  for (IncidentState s : kAllIncidentStates) out.emplace_back(s, 0);
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kCountByState);
  while (q.Step()) {
    if (auto state = ParseState(q.View(0))) out[static_cast<std::size_t>(*state)].second = q.Int(1);
  }
  if (!q.status().ok()) return WithContext(q.status(), "cannot count the incidents");
  return out;
}

Result<std::vector<IncidentChange>> SqliteStore::ChangesAfter(Id seq, int limit) {
  std::vector<IncidentChange> out;
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kChangesAfter);
  q.Bind(1, seq).Bind(2, Clamp(limit, 1, 10000));
  while (q.Step()) out.push_back(ReadChange(q));
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the change log");
  return out;
}

Result<Id> SqliteStore::LastChangeSeq() {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kLastChangeSeq);
  if (q.Step()) return q.Int(0);
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the change log");
  return Id{0};
}

Result<AuditChain> SqliteStore::GetAuditChain() {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetAuditChain);
  AuditChain c;
  if (q.Step()) {
    q.TextTo(0, c.anchor_hash);
    c.anchor_id = q.Int(1);
    c.purged = q.Int(2);
    q.TextTo(3, c.head_hash);
    c.entries = q.Int(4);
    c.head_at = q.Int(5);
  } else if (q.status().ok()) {
    return Status::Internal("the audit chain has no head row");
  }
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the audit chain");
  return c;
}

Status SqliteStore::ScanAudit(const std::function<Status(const AuditEntry&)>& fn) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  return InReadTransaction(**lease, [&]() -> Status {
    Query q = (**lease).Use(kScanAudit);
    while (q.Step()) GB_RETURN_IF_ERROR(fn(ReadAudit(q)));
    return WithContext(q.status(), "cannot read the audit log");
  });
}

Result<std::vector<AuditEntry>> SqliteStore::ListAudit(const AuditFilter& f) {
  std::vector<AuditEntry> out;
  std::string sql = "SELECT " GB_AUDIT_COLS " FROM audit a WHERE 1";
  int p = 1;
  auto cond = [&](bool on, const char* text) {
    if (!on) return;
    sql += " AND ";
    sql += text;
    sql += std::to_string(p++);
  };
  cond(!f.actor.empty(), "a.actor = ?");
  if (!f.action_prefix.empty()) {
    // A prefix match without LIKE, whose wildcards would need escaping.
    std::string n = std::to_string(p++);
    sql += " AND a.action >= ?" + n + " AND substr(a.action, 1, length(?" + n + ")) = ?" + n;
  }
  cond(!f.object.empty(), "a.object = ?");
  cond(f.from != 0, "a.at >= ?");
  cond(f.to != 0, "a.at < ?");
  cond(f.before_id != 0, "a.id < ?");
  sql += " ORDER BY a.id DESC LIMIT ?" + std::to_string(p);

  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).UseDynamic(sql);
  p = 1;
  if (!f.actor.empty()) q.Bind(p++, f.actor);
  if (!f.action_prefix.empty()) q.Bind(p++, f.action_prefix);
  if (!f.object.empty()) q.Bind(p++, f.object);
  if (f.from != 0) q.Bind(p++, f.from);
  if (f.to != 0) q.Bind(p++, f.to);
  if (f.before_id != 0) q.Bind(p++, f.before_id);
  q.Bind(p, Clamp(f.limit, 1, 1000));
  while (q.Step()) out.push_back(ReadAudit(q));
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the audit log");
  return out;
}

Result<std::vector<AuditTally>> SqliteStore::TallyAudit(const AuditTallyQuery& t) {
  std::vector<AuditTally> out;
  if (t.actions.empty() || t.to <= t.from) return out;
  std::string sql =
      "SELECT ?1 + CASE WHEN ?3 > 0 THEN ((a.at - ?1) / ?3) * ?3 ELSE 0 END, a.action, "
      "coalesce(CAST(CASE WHEN ?4 <> '' AND json_valid(a.detail) THEN json_extract(a.detail, '$.' || ?4) END AS TEXT), "
      "''), count(*) FROM audit a WHERE a.at >= ?1 AND a.at < ?2 AND a.action IN ";
  int p = 5;
  AppendPlaceholders(sql, t.actions.size(), p);
  sql += " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).UseDynamic(sql);
  q.Bind(1, t.from).Bind(2, t.to).Bind(3, std::max<TimeMs>(0, t.bucket_ms)).Bind(4, t.detail_key);
  p = 5;
  for (const std::string& action : t.actions) q.Bind(p++, action);
  while (q.Step()) out.push_back(AuditTally{q.Int(0), q.Text(1), q.Text(2), q.Int(3)});
  if (!q.status().ok()) return WithContext(q.status(), "cannot count audit entries");
  return out;
}

Result<std::vector<TimeMs>> SqliteStore::ResolveDurations(TimeMs from, TimeMs to) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kResolveDurations);
  q.Bind(1, from).Bind(2, to);
  std::vector<TimeMs> out;
  while (q.Step()) out.push_back(q.Int(0));
  if (!q.status().ok()) return WithContext(q.status(), "cannot read resolution times");
  return out;
}

Result<OpenIncidentCounts> SqliteStore::CountOpenIncidents() {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  OpenIncidentCounts out;
  Status s = InReadTransaction(**lease, [&]() -> Status {  // one snapshot for the three counts
    for (auto [key, target] : {std::pair{&kOpenByDepartment, &out.by_department},
                               std::pair{&kOpenByCategory, &out.by_category}}) {
      Query q = (**lease).Use(*key);
      while (q.Step()) target->emplace_back(q.Text(0), q.Int(1));
      GB_RETURN_IF_ERROR(q.status());
    }
    Query q = (**lease).Use(kOpenOverdue);
    if (q.Step()) out.overdue = q.Int(0);
    return q.status();
  });
  if (!s.ok()) return WithContext(s, "cannot count open incidents");
  return out;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteStore::CountOpenTasks() {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kOpenTasks);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (q.Step()) out.emplace_back(q.Text(0), q.Int(1));
  if (!q.status().ok()) return WithContext(q.status(), "cannot count open tasks");
  return out;
}

Result<std::vector<Id>> SqliteStore::TaskOrder(const std::string& user) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kTaskOrder);
  q.Bind(1, user);
  std::vector<Id> out;
  if (q.Step()) {
    std::string_view ids = q.View(0);
    while (!ids.empty()) {
      size_t comma = ids.find(',');
      std::string_view item = ids.substr(0, comma);
      Id id = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
      if (ec == std::errc() && end == item.data() + item.size()) out.push_back(id);
      ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
    }
  }
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the order of the tasks");
  return out;
}

Result<std::optional<Report>> SqliteStore::GetReport(Id id) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetReport);
  q.Bind(1, id);
  std::optional<Report> out;
  if (q.Step()) ReadReport(q, out.emplace());
  else if (!q.status().ok()) return WithContext(q.status(), "cannot read the report");
  return out;
}

Result<std::optional<Report>> SqliteStore::FindReportByToken(const std::string& token) {
  if (token.empty()) return std::optional<Report>();
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kReportByToken);
  q.Bind(1, token);
  std::optional<Report> out;
  if (q.Step()) ReadReport(q, out.emplace());
  else if (!q.status().ok()) return WithContext(q.status(), "cannot read the report");
  return out;
}

Result<std::optional<Report>> SqliteStore::FindReportByMedia(const std::string& media_ref) {
  if (media_ref.empty()) return std::optional<Report>();
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kReportByMedia);
  q.Bind(1, media_ref);
  std::optional<Report> out;
  if (q.Step()) ReadReport(q, out.emplace());
  else if (!q.status().ok()) return WithContext(q.status(), "cannot read the report");
  return out;
}

Result<std::vector<Store::ReportView>> SqliteStore::ListReports(const ReportFilter& f) {
  std::vector<ReportView> out;
  std::string sql = "SELECT " GB_REPORT_COLS ", " GB_INCIDENT_COLS
                    " FROM reports r LEFT JOIN incidents i ON i.id = r.incident_id WHERE 1";
  int p = 1;
  if (!f.ids.empty()) {
    sql += " AND r.id IN ";
    AppendPlaceholders(sql, f.ids.size(), p);
  }
  if (!f.service_codes.empty()) {
    sql += " AND r.service_code IN ";
    AppendPlaceholders(sql, f.service_codes.size(), p);
  }
  if (f.start != 0) sql += " AND r.requested_at >= ?" + std::to_string(p++);
  if (f.end != 0) sql += " AND r.requested_at <= ?" + std::to_string(p++);
  if (f.open) {
    // Open311 status: closed once the incident is resolved or rejected.
    sql += *f.open ? " AND (i.state IS NULL OR i.state NOT IN ('resolved', 'rejected'))"
                   : " AND i.state IN ('resolved', 'rejected')";
  }
  sql += " ORDER BY r.requested_at DESC, r.id DESC LIMIT ?" + std::to_string(p) + " OFFSET ?" + std::to_string(p + 1);

  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).UseDynamic(sql);
  p = 1;
  for (Id id : f.ids) q.Bind(p++, id);
  for (const std::string& code : f.service_codes) q.Bind(p++, code);
  if (f.start != 0) q.Bind(p++, f.start);
  if (f.end != 0) q.Bind(p++, f.end);
  q.Bind(p, Clamp(f.limit, 1, 1000)).Bind(p + 1, std::max(0, f.offset));
  while (q.Step()) {
    ReportView& v = out.emplace_back();
    ReadReport(q, v.report);
    if (!q.IsNull(kReportColCount)) ReadIncident(q, kReportColCount, v.incident.emplace());
  }
  if (!q.status().ok()) return WithContext(q.status(), "cannot list the reports");
  return out;
}

Result<std::optional<EvidenceRecord>> SqliteStore::GetEvidence(const std::string& hash) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetEvidence);
  q.Bind(1, hash);
  if (q.Step()) return std::optional<EvidenceRecord>(EvidenceRecord{q.Text(0), q.Int(1), q.Int(2)});
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the evidence record");
  return std::optional<EvidenceRecord>();
}

Result<std::vector<ConfigDoc>> SqliteStore::ListConfig(ConfigKind kind) {
  std::vector<ConfigDoc> out;
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kListConfig);
  q.Bind(1, ConfigKindName(kind));
  while (q.Step()) out.push_back(ConfigDoc{kind, q.Text(0), q.Text(1)});
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the configuration");
  return out;
}

Result<std::optional<ConfigDoc>> SqliteStore::GetConfig(ConfigKind kind, const std::string& id) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetConfig);
  q.Bind(1, ConfigKindName(kind)).Bind(2, id);
  if (q.Step()) return std::optional<ConfigDoc>(ConfigDoc{kind, q.Text(0), q.Text(1)});
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the configuration");
  return std::optional<ConfigDoc>();
}

namespace {
// A row with a role this build does not know is left out: never grant a guessed role.
std::optional<User> ReadUser(const Query& q) {
  auto role = ParseRole(q.View(1));
  if (!role) return std::nullopt;
  return User{q.Text(0), *role, q.Text(2), q.Int(3), q.Int(4) != 0};
}
std::optional<ApiToken> ReadToken(const Query& q) {
  auto role = ParseRole(q.View(1));
  if (!role) return std::nullopt;  // never grant a role the code does not know
  return ApiToken{q.Text(0), *role, q.Text(2), q.Int(3), q.Int(4), q.Int(5)};
}
}  // namespace

Result<std::optional<User>> SqliteStore::GetUser(const std::string& name) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetUser);
  q.Bind(1, name);
  if (q.Step()) return ReadUser(q);
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the user");
  return std::optional<User>();
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  std::vector<User> out;
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kListUsers);
  while (q.Step()) {
    if (auto user = ReadUser(q)) out.push_back(std::move(*user));
  }
  if (!q.status().ok()) return WithContext(q.status(), "cannot list the users");
  return out;
}

Result<std::optional<ApiToken>> SqliteStore::FindToken(const std::string& token_hash) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kFindToken);
  q.Bind(1, token_hash);
  if (!q.Step()) {
    if (!q.status().ok()) return WithContext(q.status(), "cannot read the token");
    return std::optional<ApiToken>();
  }
  return ReadToken(q);
}

Result<std::vector<ApiToken>> SqliteStore::ListTokens() {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  std::vector<ApiToken> out;
  Query q = (**lease).Use(kListTokens);
  while (q.Step())
    if (auto token = ReadToken(q)) out.push_back(std::move(*token));
  if (!q.status().ok()) return WithContext(q.status(), "cannot list the tokens");
  return out;
}

Result<std::optional<Session>> SqliteStore::GetSession(const std::string& id_hash) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetSession);
  q.Bind(1, id_hash);
  if (!q.Step()) {
    if (!q.status().ok()) return WithContext(q.status(), "cannot read the session");
    return std::optional<Session>();
  }
  auto role = ParseRole(q.View(2));
  if (!role) return std::optional<Session>();
  return std::optional<Session>(Session{q.Text(0), q.Text(1), *role, q.Text(3), q.Int(4), q.Int(5)});
}

Result<std::optional<IdempotentReply>> SqliteStore::GetIdempotentReply(const std::string& scope_key) {
  auto lease = readers_->Acquire();
  if (!lease) return Status::Unavailable("no database connection for reading");
  Query q = (**lease).Use(kGetIdempotent);
  q.Bind(1, scope_key);
  if (q.Step()) return std::optional<IdempotentReply>(IdempotentReply{static_cast<int>(q.Int(0)), q.Text(1)});
  if (!q.status().ok()) return WithContext(q.status(), "cannot read the stored reply");
  return std::optional<IdempotentReply>();
}

bool SqliteStore::Ping() {
  if (!writable_.load(std::memory_order_relaxed)) return false;
  auto lease = readers_->Acquire();
  if (!lease) return false;
  Query q = (**lease).Use(kPing);
  return q.Step() && q.status().ok();
}

}  // namespace gb
