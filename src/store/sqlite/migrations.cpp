#include "store/sqlite/migrations.h"

#include <string>
#include <utility>
#include <vector>

#include "store/audit_chain.h"

namespace gb::sqlite {
namespace {

// Conventions of the schema:
// - Times are INTEGER milliseconds since the Unix epoch (UTC), as TimeMs.
// - Ids that name things outside the store (incidents, reports, audit entries, the change
//   seq that live-stream clients resume from) use AUTOINCREMENT, so that a purge never lets
//   one be handed out twice. Event ids do not: AUTOINCREMENT costs about a third more per
//   insert on the hottest path, and an event id could only come back if the newest events
//   of all were purged.
// - A link to "no incident" is NULL, shown to callers as id 0. From v3 events are found by
//   incident through event_links (store/sqlite/event_links.h), not an index.
// - events.evidence and incidents.views use the encodings of store/sqlite/encoding.h.
// - incidents.open is 1 unless the state is resolved, rejected or merged; the store sets it.
//   Correlation finds open incidents in memory (store/open_index.h); the partial index
//   of open incidents serves its loading. (Up to v1 a grid-cell column with a partial index
//   on (category, cell, lat, lon) answered each search with a range scan; the memory index
//   costs a fraction of a query per ingested event.)
// - incident_state_counts holds one row per state, kept by the store's own statements (not
//   triggers: a trigger makes SQLite open a statement journal for every insert, which cost
//   more than the insert itself), so /metrics does not count the table.
// - No triggers and no multi-row statements on the ingest path, for the same reason.
constexpr const char kSchemaV1[] = R"sql(
CREATE TABLE incidents (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  category        TEXT    NOT NULL,
  state           TEXT    NOT NULL,
  open            INTEGER NOT NULL,
  lat             REAL    NOT NULL,
  lon             REAL    NOT NULL,
  area_id         TEXT    NOT NULL DEFAULT '',
  department_id   TEXT    NOT NULL DEFAULT '',
  routing_rule_id TEXT    NOT NULL DEFAULT '',
  explanation     TEXT    NOT NULL DEFAULT '',
  unrouted        INTEGER NOT NULL DEFAULT 0,
  priority        INTEGER NOT NULL DEFAULT 0,
  opened_at       INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  last_seen_at    INTEGER NOT NULL,
  event_count     INTEGER NOT NULL DEFAULT 0,
  views           TEXT    NOT NULL DEFAULT '',
  assignee        TEXT    NOT NULL DEFAULT '',
  merged_into     INTEGER NOT NULL DEFAULT 0,
  note            TEXT    NOT NULL DEFAULT '',
  cell            INTEGER NOT NULL
);
CREATE INDEX incidents_by_state ON incidents(state, id);
CREATE INDEX incidents_by_assignee ON incidents(assignee, id) WHERE assignee <> '';
CREATE INDEX incidents_open_by_cell ON incidents(category, cell, lat, lon) WHERE open = 1;

CREATE TABLE incident_state_counts (
  state TEXT PRIMARY KEY,
  n     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO incident_state_counts (state, n) VALUES
  ('new', 0), ('routed', 0), ('dispatched', 0), ('in_progress', 0), ('resolved', 0), ('rejected', 0), ('merged', 0);

CREATE TABLE events (
  id              INTEGER PRIMARY KEY,
  idempotency_key TEXT    NOT NULL UNIQUE,
  source_kind     TEXT    NOT NULL,
  source_id       TEXT    NOT NULL,
  category        TEXT    NOT NULL,
  rule            TEXT    NOT NULL,
  observed_at     INTEGER NOT NULL,
  lat             REAL    NOT NULL,
  lon             REAL    NOT NULL,
  confidence      REAL    NOT NULL,
  attributes      TEXT    NOT NULL,
  evidence        TEXT    NOT NULL,
  incident_id     INTEGER REFERENCES incidents(id)
);
CREATE INDEX events_by_incident ON events(incident_id, id);
CREATE INDEX events_by_category_time ON events(category, observed_at);

CREATE TABLE incident_changes (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id   INTEGER NOT NULL,
  at            INTEGER NOT NULL,
  type          TEXT    NOT NULL,
  department_id TEXT    NOT NULL,
  area_id       TEXT    NOT NULL,
  json          TEXT    NOT NULL
);
CREATE INDEX incident_changes_by_incident ON incident_changes(incident_id);  -- dropped in v2
CREATE INDEX incident_changes_by_at ON incident_changes(at);

CREATE TABLE audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  actor   TEXT    NOT NULL,
  action  TEXT    NOT NULL,
  object  TEXT    NOT NULL,
  purpose TEXT    NOT NULL,
  detail  TEXT    NOT NULL
);
CREATE INDEX audit_by_at ON audit(at);
CREATE INDEX audit_by_actor ON audit(actor, id);
CREATE INDEX audit_by_object ON audit(object, id);

CREATE TABLE reports (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  token        TEXT    UNIQUE,
  service_code TEXT    NOT NULL,
  description  TEXT    NOT NULL,
  lat          REAL    NOT NULL,
  lon          REAL    NOT NULL,
  address      TEXT    NOT NULL,
  email        TEXT    NOT NULL,
  first_name   TEXT    NOT NULL,
  last_name    TEXT    NOT NULL,
  phone        TEXT    NOT NULL,
  device_id    TEXT    NOT NULL,
  account_id   TEXT    NOT NULL,
  media        TEXT    NOT NULL,
  requested_at INTEGER NOT NULL,
  incident_id  INTEGER REFERENCES incidents(id)
);
CREATE INDEX reports_by_incident ON reports(incident_id);
CREATE INDEX reports_by_time ON reports(requested_at, id);
CREATE INDEX reports_by_media ON reports(media) WHERE media <> '';

CREATE TABLE evidence (
  hash       TEXT    PRIMARY KEY,
  bytes      INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX evidence_by_time ON evidence(created_at);

CREATE TABLE config (
  kind TEXT NOT NULL,
  id   TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE users (
  name          TEXT    PRIMARY KEY,
  role          TEXT    NOT NULL,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tokens (
  token_hash TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  role       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
  id_hash    TEXT    PRIMARY KEY,
  user_name  TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  csrf_token TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE idempotency (
  scope_key TEXT    PRIMARY KEY,
  status    INTEGER NOT NULL,
  body      TEXT    NOT NULL,
  at        INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// v2: the change log loses its index by incident. Only purge used it, to delete the changes
// of purged incidents, and those are all older than the purge's cutoff, so the purge by time
// takes them; the index cost every ingested batch a few dozen scattered page writes.
// Open incidents are no longer searched by grid cell in SQL (see above).
constexpr const char kSchemaV2[] = R"sql(
DROP INDEX incident_changes_by_incident;
DROP INDEX incidents_open_by_cell;
ALTER TABLE incidents DROP COLUMN cell;
CREATE INDEX incidents_open ON incidents(id) WHERE open = 1;
)sql";

// v3: an incident's events are found through its chain of event_links (see
// store/sqlite/event_links.h) instead of the index on events(incident_id), whose scattered
// page writes were the largest share of an ingested batch's. Existing events get one link
// per incident.
constexpr const char kSchemaV3[] = R"sql(
CREATE TABLE event_links (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL,
  prev        INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  events      TEXT    NOT NULL
);
CREATE INDEX event_links_by_at ON event_links(at);
ALTER TABLE incidents ADD COLUMN last_link INTEGER NOT NULL DEFAULT 0;
INSERT INTO event_links (incident_id, prev, at, events)
  SELECT incident_id, 0, max(observed_at), group_concat(id, ',')
  FROM (SELECT incident_id, id, observed_at FROM events WHERE incident_id IS NOT NULL ORDER BY incident_id, id)
  GROUP BY incident_id;
UPDATE incidents SET last_link = l.id FROM event_links l WHERE l.incident_id = incidents.id;
DROP INDEX events_by_incident;
)sql";

// v4: what the web pages show beside an incident, kept in its row so that writing its
// stream record reads nothing else: the newest report joined to it (filled in for existing
// incidents), its SLA clock, and when its crew set off. Crew members' own order of their
// tasks, one row per member.
constexpr const char kSchemaV4[] = R"sql(
ALTER TABLE incidents ADD COLUMN report_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN report_description TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN report_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN report_photo INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN sla_id TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN sla_started_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN respond_due_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN resolve_due_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN overdue_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalated_from TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN en_route_at INTEGER NOT NULL DEFAULT 0;
UPDATE incidents SET report_id = r.id, report_description = r.description, report_at = r.requested_at,
                     report_photo = r.media <> ''
  FROM (SELECT id, incident_id, description, requested_at, media,
               row_number() OVER (PARTITION BY incident_id ORDER BY requested_at DESC, id DESC) AS newest
        FROM reports WHERE incident_id IS NOT NULL) r
  WHERE r.incident_id = incidents.id AND r.newest = 1;
CREATE TABLE task_orders (
  user_name    TEXT PRIMARY KEY,
  incident_ids TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// The audit log becomes a hash chain (store/audit_chain.h): each entry's link, and one row
// with the chain's anchor (where purges cut it) and head. Entries stored before are chained
// in id order by ChainStoredAudit.
constexpr const char kSchemaV5[] = R"sql(
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_chain (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  anchor_hash TEXT    NOT NULL,
  anchor_id   INTEGER NOT NULL,
  purged      INTEGER NOT NULL,
  head_hash   TEXT    NOT NULL,
  entries     INTEGER NOT NULL
);
)sql";

Status ChainStoredAudit(Database& db) {
  const std::string genesis(kAuditGenesis);
  std::string head = genesis;
  std::int64_t entries = 0, first_id = 0;
  {
    Query q = db.UseDynamic("SELECT id, at, actor, action, object, purpose, detail FROM audit ORDER BY id");
    std::vector<std::pair<Id, std::string>> links;
    while (q.Step()) {
      AuditEntry e{q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), ""};
      if (entries++ == 0) first_id = e.id;
      head = AuditChainHash(head, e);
      links.emplace_back(e.id, head);
    }
    GB_RETURN_IF_ERROR(q.status());
    for (const auto& [id, hash] : links) {
      Query u = db.UseDynamic("UPDATE audit SET hash = ?1 WHERE id = ?2");
      GB_RETURN_IF_ERROR(u.Bind(1, hash).Bind(2, id).Run());
    }
  }
  // Entries an earlier purge removed are not part of the chain: it starts before the oldest kept.
  Query q = db.UseDynamic(
      "INSERT INTO audit_chain (id, anchor_hash, anchor_id, purged, head_hash, entries) VALUES (1, ?1, ?2, 0, ?3, ?4)");
  return q.Bind(1, genesis).Bind(2, first_id > 0 ? first_id - 1 : 0).Bind(3, head).Bind(4, entries).Run();
}

// v6 (ASVS 3.3, 2.10): sessions keep their last use for the idle timeout and are found by
// user (a password change ends them); users can be disabled; token names stop being unique,
// so that a rotated token works beside its successor for a grace period, and tokens get an
// expiry and their last use. Evidence is stored under the hash of what is stored (the
// anonymizer's output); the name an edge agent gave it (the hash of what it uploaded, which
// its events use) becomes an alias.
constexpr const char kSchemaV6[] = R"sql(
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = expires_at - 43200000;
CREATE INDEX sessions_by_user ON sessions(user_name);
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE tokens_v6 (
  token_hash   TEXT    PRIMARY KEY,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO tokens_v6 (token_hash, name, role, created_at) SELECT token_hash, name, role, created_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v6 RENAME TO tokens;
CREATE INDEX tokens_by_name ON tokens(name, created_at);
CREATE TABLE evidence_aliases (
  alias TEXT PRIMARY KEY,
  hash  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX evidence_aliases_by_hash ON evidence_aliases(hash);
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
    {5, kSchemaV5, ChainStoredAudit},
    {6, kSchemaV6},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }
int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Status ApplyMigrations(Database& db) {
  GB_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto fail = [&](Status s) {
    (void)db.Exec("ROLLBACK");
    return s;
  };
  int version = 0;
  {
    static const SqlKey kUserVersion("PRAGMA user_version");
    Query q = db.Use(kUserVersion);
    if (q.Step()) version = static_cast<int>(q.Int(0));
    if (!q.status().ok()) return fail(q.status());
  }
  const int latest = LatestSchemaVersion();
  if (version > latest) {
    return fail(Status::Unavailable("the database " + db.path() + " has schema version " + std::to_string(version) +
                                    ", newer than this build's " + std::to_string(latest) +
                                    "; run a newer glassbrain"));
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= version) continue;
    Status s = db.Exec(m.sql);
    if (s.ok() && m.then) s = m.then(db);
    if (!s.ok()) return fail(Status::Internal("schema migration " + std::to_string(m.version) + " failed: " + s.message()));
  }
  if (version < latest) {
    // PRAGMA takes no parameters; the value is this build's constant, not input.
    std::string set = "PRAGMA user_version = " + std::to_string(latest);
    Status s = db.Exec(set.c_str());
    if (!s.ok()) return fail(s);
  }
  Status s = db.Exec("COMMIT");
  if (!s.ok()) return fail(s);
  return Status::Ok();
}

}  // namespace gb::sqlite
