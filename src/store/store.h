// Store: the one interface to persistent state, with an embedded SQLite engine now and a
// PostgreSQL engine later. Business logic (correlation, routing, transitions) lives above
// it and runs inside Store::Write, so that each logical change and its audit entry commit
// together (DESIGN.md §4.5).
//
// Thread-safety: a Store is shared by all worker threads. Reads may run concurrently with
// each other and with one writer. Write() serialises writers. A WriteTxn must only be used
// on the thread and inside the callback it was handed to.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/model.h"
#include "core/status.h"

namespace gb {

// Configuration documents (areas, cameras, departments, routing rules, services, sensors,
// SLAs, response templates, evidence purposes) are stored as JSON by kind and id; their
// schema belongs to the district module.
enum class ConfigKind {
  kArea,
  kCamera,
  kDepartment,
  kRoutingRule,
  kService,
  kSensor,
  kSetting,
  kSla,
  kResponseTemplate,
  kEvidencePurpose
};
std::string_view ConfigKindName(ConfigKind k);

struct ConfigDoc {
  ConfigKind kind;
  std::string id;
  std::string json;
};

// Filters for listing incidents. Empty/zero fields do not filter. Results are ordered by
// id descending (newest first); `before_id` is the cursor: only ids < before_id.
struct IncidentFilter {
  std::vector<IncidentState> states;
  std::vector<std::string> categories;
  std::string department_id;
  std::string area_id;
  std::string assignee;
  TimeMs updated_from = 0;  // inclusive
  TimeMs updated_to = 0;    // exclusive; 0 = no bound
  std::optional<GeoBox> bbox;
  // true: only open incidents flagged overdue (SlaClock::overdue_at set); false: only those
  // not flagged.
  std::optional<bool> overdue;
  // Only open incidents past a deadline they have not met at this time: respond_due_at ≤
  // due_by while new or routed, or resolve_due_at ≤ due_by. 0 = no such condition.
  TimeMs due_by = 0;
  Id before_id = 0;
  int limit = 100;
};

// A change to an incident, in the order committed. `seq` is the live stream's event id.
struct IncidentChange {
  Id seq = 0;
  Id incident_id = 0;
  TimeMs at = 0;
  std::string type;          // "created", "updated", "transition", "merged", "split"
  std::string department_id;
  std::string area_id;
  std::string json;          // the incident as published on the stream
};

// Open incidents counted by where they stand, for the desk's live figures.
struct OpenIncidentCounts {
  std::vector<std::pair<std::string, std::int64_t>> by_department;  // ordered by department id
  std::vector<std::pair<std::string, std::int64_t>> by_category;    // ordered by category
  std::int64_t overdue = 0;
};

// Audit entries counted by time bucket, action and the value of one key of their detail.
struct AuditTallyQuery {
  TimeMs from = 0, to = 0;           // at ∈ [from, to)
  TimeMs bucket_ms = 0;              // buckets start at from, from + bucket_ms, …; 0 = one bucket
  std::vector<std::string> actions;  // only these actions
  std::string detail_key;            // a top-level key of the detail JSON; "" = none
};
struct AuditTally {
  TimeMs bucket = 0;       // the start of the bucket
  std::string action;
  std::string value;       // the detail key's value as text; "" when absent (or no key asked for)
  std::int64_t count = 0;
};

struct AuditFilter {
  std::string actor;
  std::string action_prefix;
  std::string object;
  TimeMs from = 0, to = 0;
  Id before_id = 0;
  int limit = 100;
};

struct ReportFilter {
  std::vector<Id> ids;
  std::vector<std::string> service_codes;
  TimeMs start = 0, end = 0;    // requested_at range, both inclusive; 0 = unbounded
  std::optional<bool> open;     // Open311 status filter: true = open, false = closed
  int offset = 0;
  int limit = 50;
};

struct User {
  std::string name;
  Role role = Role::kCrew;
  std::string password_hash;  // argon2id string
  TimeMs created_at = 0;
  bool disabled = false;      // may not sign in; the account and its history stay
};

struct ApiToken {
  std::string name;
  Role role = Role::kEdge;
  std::string token_hash;  // hex SHA-256 of the secret
  TimeMs created_at = 0;
  TimeMs expires_at = 0;    // 0: never; revoking or rotating sets it
  TimeMs last_used_at = 0;  // to the minute (see TouchToken); 0: never used
};

struct Session {
  std::string id_hash;  // hex SHA-256 of the cookie value
  std::string user;
  Role role = Role::kCrew;
  std::string csrf_token;
  TimeMs expires_at = 0;
  TimeMs last_seen_at = 0;  // for the idle timeout; kept to the minute (see TouchSession)
};

// The audit log's hash chain (store/audit_chain.h): where it starts after purges, and its head.
struct AuditChain {
  std::string anchor_hash;   // the hash before the oldest stored entry: genesis, or a purge's cut
  Id anchor_id = 0;          // entries up to this id were purged
  std::int64_t purged = 0;   // how many were
  std::string head_hash;     // the newest entry's hash (anchor_hash when none is stored)
  std::int64_t entries = 0;  // every entry ever chained, purged ones included
  TimeMs head_at = 0;        // the newest stored entry's time; 0 when none
};

// A remembered answer to a write sent with Idempotency-Key.
struct IdempotentReply {
  int status = 0;
  std::string body;
};

struct EvidenceRecord {
  std::string hash;  // "sha256:<hex>"
  std::int64_t bytes = 0;
  TimeMs created_at = 0;
};

// What a purge removed; the caller deletes the evidence files after the commit.
struct PurgeResult {
  std::int64_t events = 0, incidents = 0, reports = 0, audit = 0, changes = 0;
  std::vector<std::string> evidence_hashes;
  std::size_t unrecorded_files = 0;  // evidence files no record names, removed after the purge (not by the store)
};

struct RetentionCutoffs {
  TimeMs events_before = 0;    // events (and their evidence links) observed before this go
  TimeMs evidence_before = 0;  // evidence stored before this goes, with its file
  TimeMs incidents_before = 0; // closed incidents last updated before this go
  TimeMs audit_before = 0;     // the oldest audit entries up to the first one at or after this go
  TimeMs now = 0;              // when the purge runs: the time of its own audit entry
  // Per-category override of events_before (from each service's retention_days).
  std::vector<std::pair<std::string, TimeMs>> category_events_before;
};

// Where an open incident is and when it was last seen: what correlation ranks by.
struct IncidentCandidate {
  Id id = 0;
  LatLon location;
  TimeMs last_seen_at = 0;
};

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  // ---- events and incidents ----
  // The id and incident of an already stored event with this idempotency key, if any.
  virtual std::optional<std::pair<Id, Id>> FindEventByKey(const std::string& key) = 0;
  // Stores the event linked to `incident_id`; fills event.id. REQUIRES: key not stored.
  virtual Status InsertEvent(Event& event, Id incident_id) = 0;
  // Open incidents of `category` inside `box` whose stored last_seen_at ≥ since, in no
  // particular order: the caller ranks them. Only what ranking needs is read; GetIncident
  // reads the one that wins.
  virtual std::vector<IncidentCandidate> FindOpenIncidents(const std::string& category, const GeoBox& box,
                                                           TimeMs since) = 0;
  virtual std::optional<Incident> GetIncident(Id id) = 0;
  // Stores a new incident; fills incident.id.
  virtual Status InsertIncident(Incident& incident) = 0;
  // Overwrites every field of an existing incident.
  virtual Status UpdateIncident(const Incident& incident) = 0;
  // Moves events to another incident (merge, split). Empty `event_ids` moves all, and with
  // them every report linked to `from_incident`; otherwise a report moves with its event (an
  // event of source kind `report` whose source_id is "report-<report id>"). NotFound when a
  // listed event is not part of `from_incident`.
  virtual Status MoveEvents(Id from_incident, Id to_incident, const std::vector<Id>& event_ids) = 0;
  // The events that belong to the incident now, those that joined it most recently first
  // (an event moved in by a merge or split joins when it moves); at most `limit`.
  virtual std::vector<Event> EventsOfIncident(Id incident_id, int limit) = 0;
  // The newest report (by requested_at, then id) linked to the incident; id 0 when none.
  virtual Result<ReportSummary> LatestReportOf(Id incident_id) = 0;

  // Appends to the live stream's log; fills change.seq.
  virtual Status AppendChange(IncidentChange& change) = 0;
  // Sets entry.id and entry.hash, the entry's link in the audit chain.
  virtual Status AppendAudit(AuditEntry& entry) = 0;

  // ---- reports (Open311) ----
  virtual Status InsertReport(Report& report) = 0;

  // ---- evidence ----
  // Returns true when the record is new.
  virtual Result<bool> PutEvidence(const EvidenceRecord& record) = 0;
  // Another name for stored evidence (an edge agent's name for what it uploaded). A name
  // already taken keeps its first target.
  virtual Status PutEvidenceAlias(const std::string& alias, const std::string& hash) = 0;

  // ---- configuration ----
  virtual Status PutConfig(const ConfigDoc& doc) = 0;
  // Returns NotFound when absent.
  virtual Status DeleteConfig(ConfigKind kind, const std::string& id) = 0;

  // ---- accounts ----
  virtual Status PutUser(const User& user) = 0;  // insert or replace
  // NotFound when there is no such user. Their sessions stay: see DeleteSessionsOf.
  virtual Status DeleteUser(const std::string& name) = 0;
  // Conflict when a live token (no expiry, or one after token.created_at) of that name
  // exists, unless `retire_others_at` is given: then those tokens expire at that time (at
  // once, or after a grace period while an agent switches to the new secret).
  virtual Status PutToken(const ApiToken& token, std::optional<TimeMs> retire_others_at) = 0;
  // Every live token of `name` expires at `at`; NotFound when it has none.
  virtual Status ExpireTokens(const std::string& name, TimeMs at) = 0;
  // Records a use of the token; callers write at most once a minute per token.
  virtual Status TouchToken(const std::string& token_hash, TimeMs at) = 0;
  virtual Status PutSession(const Session& session) = 0;
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  virtual Status DeleteSessionsOf(const std::string& user) = 0;
  // Records that the session was used; callers write at most once a minute per session.
  virtual Status TouchSession(const std::string& id_hash, TimeMs at) = 0;
  virtual Status PutIdempotentReply(const std::string& scope_key, const IdempotentReply& reply, TimeMs at) = 0;

  // ---- crew ----
  // Replaces the order in which `user` wants their tasks listed.
  virtual Status PutTaskOrder(const std::string& user, const std::vector<Id>& incident_ids) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one write transaction. Commits (durably: fsync'd before returning) when
  // fn returns OK, rolls back otherwise and returns fn's Status. Serialises writers.
  virtual Status Write(const std::function<Status(WriteTxn&)>& fn) = 0;

  // ---- reads (each a consistent snapshot) ----
  // Every read returns a Result: non-OK (Unavailable) when the store cannot read. A lookup
  // answers nullopt when there is no such record, a list an empty vector when nothing
  // matches: a failed read is never "not found", "nothing yet" or "unknown token", and
  // callers answer it with 503, not 404, an empty page or 401.
  virtual Result<std::optional<Incident>> GetIncident(Id id) = 0;
  virtual Result<std::vector<Incident>> ListIncidents(const IncidentFilter& filter) = 0;
  virtual Result<std::vector<Event>> EventsOfIncident(Id incident_id, int limit) = 0;  // as WriteTxn's
  // For each key, in order, the id and incident of the stored event with that idempotency
  // key, or nullopt when none is stored; one snapshot for all keys. Lets ingest find its
  // duplicates before it takes the write lock (a key stored after the snapshot is caught by
  // InsertEvent's Conflict).
  virtual Result<std::vector<std::optional<std::pair<Id, Id>>>> FindEventsByKeys(
      const std::vector<std::string_view>& keys) = 0;
  // Counts of incidents by state (for /metrics).
  virtual Result<std::vector<std::pair<IncidentState, std::int64_t>>> CountIncidentsByState() = 0;
  virtual Result<std::vector<IncidentChange>> ChangesAfter(Id seq, int limit) = 0;
  virtual Result<Id> LastChangeSeq() = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) = 0;
  virtual Result<AuditChain> GetAuditChain() = 0;
  // Calls `fn` with every stored audit entry, oldest first, until it returns an error.
  virtual Status ScanAudit(const std::function<Status(const AuditEntry&)>& fn) = 0;
  virtual Result<std::vector<AuditTally>> TallyAudit(const AuditTallyQuery& query) = 0;
  // For each incident moved to resolved in [from, to) (by its audit entry), how long it had
  // been open then, in milliseconds.
  virtual Result<std::vector<TimeMs>> ResolveDurations(TimeMs from, TimeMs to) = 0;
  virtual Result<OpenIncidentCounts> CountOpenIncidents() = 0;
  // Open incidents (dispatched or in progress) per assignee, ordered by name.
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> CountOpenTasks() = 0;
  // The order `user` last stored with PutTaskOrder; empty when none.
  virtual Result<std::vector<Id>> TaskOrder(const std::string& user) = 0;

  virtual Result<std::optional<Report>> GetReport(Id id) = 0;
  virtual Result<std::optional<Report>> FindReportByToken(const std::string& token) = 0;
  // The report that published the photo `media_ref` ("sha256:<hex>"), if any.
  virtual Result<std::optional<Report>> FindReportByMedia(const std::string& media_ref) = 0;
  // Reports joined with their incident (state, department, updated time).
  struct ReportView {
    Report report;
    std::optional<Incident> incident;
  };
  virtual Result<std::vector<ReportView>> ListReports(const ReportFilter& filter) = 0;

  // By its hash or an alias; the record names the stored hash (the file's name).
  // nullopt when no record has this name; Unavailable when the store cannot read it.
  virtual Result<std::optional<EvidenceRecord>> GetEvidence(const std::string& hash) = 0;

  virtual Result<std::vector<ConfigDoc>> ListConfig(ConfigKind kind) = 0;
  virtual Result<std::optional<ConfigDoc>> GetConfig(ConfigKind kind, const std::string& id) = 0;

  virtual Result<std::optional<User>> GetUser(const std::string& name) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<std::optional<ApiToken>> FindToken(const std::string& token_hash) = 0;
  // Every token, expired ones included, by name then creation.
  virtual Result<std::vector<ApiToken>> ListTokens() = 0;
  virtual Result<std::optional<Session>> GetSession(const std::string& id_hash) = 0;
  virtual Result<std::optional<IdempotentReply>> GetIdempotentReply(const std::string& scope_key) = 0;

  // Deletes data older than the cutoffs in one transaction and returns what went.
  virtual Result<PurgeResult> Purge(const RetentionCutoffs& cutoffs) = 0;

  // True when the store answers a trivial query (for /readyz).
  virtual bool Ping() = 0;
};

// Opens a store from a URL: "sqlite:PATH" (created with its schema if missing; migrations
// applied), its file I/O through `env` (which must outlive it). Returns Invalid for an
// unknown scheme, Unavailable if it cannot be opened.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, Env* env = Env::Default());
// The file of a "sqlite:PATH" URL ("sqlite:///abs" names /abs); "" for any other URL.
std::string SqlitePathOf(const std::string& url);

}  // namespace gb
