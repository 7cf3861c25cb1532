// The domain words of DESIGN.md §2 as plain value types. No behaviour beyond conversions
// to and from their wire names; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo.h"
#include "core/time.h"

namespace gb {

using Id = std::int64_t;

// ---- roles ---------------------------------------------------------------------------
enum class Role { kAdmin, kDispatcher, kCrew, kPrivacyOfficer, kAuditor, kEdge, kIntegration };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);
bool IsHumanRole(Role r);  // roles that log in with a password; kEdge/kIntegration use tokens

// ---- incident states -------------------------------------------------------------------
enum class IncidentState { kNew, kRouted, kDispatched, kInProgress, kResolved, kRejected, kMerged };
inline constexpr std::array<IncidentState, 7> kAllIncidentStates = {
    IncidentState::kNew,      IncidentState::kRouted,   IncidentState::kDispatched, IncidentState::kInProgress,
    IncidentState::kResolved, IncidentState::kRejected, IncidentState::kMerged};
std::string_view StateName(IncidentState s);
std::optional<IncidentState> ParseState(std::string_view s);
// Open means staff still have to act: not resolved, rejected or merged.
bool IsOpen(IncidentState s);

// ---- places ---------------------------------------------------------------------------
struct Area {
  std::string id;    // stable, kebab-case
  std::string name;
  std::string kind;  // ward, construction_site, no_parking, poster_wall, waste_point, park, …
  GeoPolygon polygon;
};

struct Camera {
  std::string id;
  std::string name;
  LatLon position;
  double heading_deg = 0;
  double focal_length_mm = 4;
  double sensor_width_mm = 5.6;
  double range_m = 60;
  double height_m = 6;
  std::vector<std::string> rules;  // zone rules this camera runs (public)
  std::string purpose;             // public sentence: why this camera exists
  GeoPolygon coverage;             // derived by the hub from the fields above
};

struct Department {
  std::string id;
  std::string name;
  std::string email;
  std::string phone;
  std::string hours;  // "Mon-Fri 07:00-19:00", "24/7"
  std::string description;
};

// category × area × time window → department. `category` and `area` may be "*";
// `area` may also be "kind:<area kind>". `days`/`hours` use the Department.hours grammar.
struct RoutingRule {
  std::string id;
  std::string category;
  std::string area;
  std::string days = "*";
  std::string hours = "*";
  int priority = 0;
  std::string department;
  std::string note;
};

// An Open311 service: one category residents and cameras report.
struct Service {
  std::string code;
  std::string name;
  std::string description;
  std::string group;
  std::string keywords;
  int retention_days = 90;
};

struct Sensor {
  std::string id;
  std::string name;
  std::string kind;      // bin_fill, water_level, noise, streetlight, air_pm25
  std::string category;  // service code of the events it raises
  LatLon position;
  std::string unit;
  double threshold = 1;  // raise when value ≥ threshold
  double clear = 0;      // clear when value ≤ clear (hysteresis)
};

// A service-level agreement: how soon an incident of `category` sent to `department` must
// be responded to (dispatched to a crew) and resolved, counted from when its clock starts.
// `category` and `department` may be "*". Past a deadline the incident is overdue; with
// `escalate_to` it then moves to that department.
struct Sla {
  std::string id;
  std::string category = "*";
  std::string department = "*";
  int respond_minutes = 0;
  int resolve_minutes = 0;
  std::string escalate_to;  // a department id, "" for no escalation
};

// A text in the languages the public pages speak. `de` falls back to `en` when empty.
struct LocalizedText {
  std::string en;
  std::string de;
};

// A prepared answer staff pick when they move an incident to `state`; its text becomes the
// incident's note, which residents read as the Open311 status_notes.
struct ResponseTemplate {
  std::string id;
  std::string title;
  std::string state;          // the state it is written for: "resolved", "rejected", …
  std::string category = "*"; // a service code or "*"
  LocalizedText text;
};

// Why staff may look at evidence: each read names one (absent means "other") and the public
// transparency page counts the reads per purpose.
struct EvidencePurpose {
  std::string code;
  std::string label;
};
inline constexpr std::string_view kOtherPurpose = "other";

// ---- observations -----------------------------------------------------------------------
enum class SourceKind { kCamera, kSensor, kPatrol, kReport };
std::string_view SourceKindName(SourceKind k);
std::optional<SourceKind> ParseSourceKind(std::string_view s);

struct Event {
  Id id = 0;
  std::string idempotency_key;
  SourceKind source_kind = SourceKind::kCamera;
  std::string source_id;
  std::string category;
  std::string rule;
  TimeMs observed_at = 0;
  LatLon location;
  double confidence = 1;
  std::string attributes_json = "{}";  // a JSON object, stored as given
  std::vector<std::string> evidence;   // "sha256:<hex>"
};

// How evidence images are named everywhere: "sha256:" and 64 lower-case hex digits.
bool IsEvidenceRef(std::string_view ref);

// One evidence view of an incident: an image and where it came from.
struct EvidenceView {
  std::string evidence;   // "sha256:<hex>"
  std::string source_id;  // camera id (or report id)
  double confidence = 0;
};

// The newest resident's report joined to an incident, as staff see it beside the incident.
struct ReportSummary {
  Id id = 0;  // the Open311 service_request_id; 0 when the incident has no report
  std::string description;
  TimeMs requested_at = 0;
  bool has_photo = false;
};

// An incident's deadlines under its SLA. The clock starts when the incident opens, moves to
// another department or is reopened; the deadlines are then fixed from the SLA in force.
struct SlaClock {
  std::string sla_id;          // "" when no SLA applies (all other fields are then 0 / "")
  TimeMs started_at = 0;
  TimeMs respond_due_at = 0;   // dispatched to a crew by then
  TimeMs resolve_due_at = 0;   // resolved by then
  TimeMs overdue_at = 0;       // when the hub found it past a deadline; 0 while it is not
  std::string escalated_from;  // the department it was escalated away from, "" if never
};

struct Incident {
  Id id = 0;
  std::string category;
  IncidentState state = IncidentState::kNew;
  LatLon location;
  std::string area_id;        // the most specific area containing the location, "" if none
  std::string department_id;  // "" until routed
  std::string routing_rule_id;
  std::string explanation;    // why this department, in words
  bool unrouted = false;      // no rule matched: sent to the fallback department
  int priority = 0;
  TimeMs opened_at = 0;
  TimeMs updated_at = 0;
  TimeMs last_seen_at = 0;   // newest observation joined
  int event_count = 0;
  std::vector<EvidenceView> views;  // at most 3, most confident first
  std::string assignee;      // crew member once dispatched
  Id merged_into = 0;
  std::string note;          // last transition note
  ReportSummary latest_report;
  SlaClock sla;
  TimeMs en_route_at = 0;    // when the assigned crew set off; 0 until then
};

struct AuditEntry {
  Id id = 0;
  TimeMs at = 0;
  std::string actor;    // user name, token name, or "system"
  std::string action;   // "incident.transition", "evidence.read", "user.add", …
  std::string object;   // "incident/42", "evidence/sha256:…"
  std::string purpose;  // stated by the actor, required for evidence reads
  std::string detail;   // JSON
  std::string hash{};   // its link in the audit chain (store/audit_chain.h), set when stored
};

// An Open311 service request as stored. Personal fields are never shown publicly.
struct Report {
  Id id = 0;
  std::string token;  // returned on POST, for tokens/{token}
  std::string service_code;
  std::string description;
  LatLon location;
  std::string address;
  std::string email, first_name, last_name, phone, device_id, account_id;
  std::string media;  // "sha256:<hex>" or ""
  TimeMs requested_at = 0;
  Id incident_id = 0;
};

}  // namespace gb
