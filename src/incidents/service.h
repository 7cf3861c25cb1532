// IncidentService: the business rules that turn observations into incidents and move
// incidents through their life cycle. Every change runs inside one Store::Write together
// with its audit entry and its live-stream change record (DESIGN.md §4.5).
//
// Thread-safe: holds no mutable state of its own; the Store serialises writers.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "incidents/catalog.h"
#include "store/store.h"

namespace gb {

struct CorrelationOptions {
  double join_distance_m = 50;          // an observation joins an open incident this close …
  TimeMs join_window_ms = 30 * 60'000;  // … of the same category seen this recently
  TimeMs max_future_skew_ms = 5 * 60'000;  // observations from further in the future are refused
};

struct IngestOutcome {
  enum class Kind { kStored, kDuplicate, kRejected };
  Kind kind = Kind::kRejected;
  Id incident_id = 0;
  Id event_id = 0;
  std::string error;
};
std::string_view OutcomeName(IngestOutcome::Kind k);

// Who acts, for the audit log.
struct Actor {
  std::string name;
  Role role = Role::kAdmin;
  bool system = false;  // the hub itself (routing on creation, the simulator, purge)
};

struct TransitionRequest {
  IncidentState to;
  std::string note;
  std::string assignee;     // required when dispatching
  std::string template_id;  // a response template for `to`: its text becomes the note
};

// What a crew member does with a task in the field.
enum class TaskAction { kOnMyWay, kStart, kResolve, kNote };
std::optional<TaskAction> ParseTaskAction(std::string_view name);  // on_my_way, start, resolve, note

struct TaskActionRequest {
  TaskAction action = TaskAction::kNote;
  std::string note;
  std::vector<std::string> photos;  // evidence refs ("sha256:…") uploaded for the task
  std::string template_id;          // for start and resolve, as in TransitionRequest
  TimeMs client_at = 0;             // when the crew member took the action (maybe offline); 0 = now
};

// The start of the message of a task action that was already done (the answer is 409): an
// offline queue replaying its actions takes this for success.
inline constexpr std::string_view kStepAlreadyPassed = "step already passed";

// A resident's answer to "was it fixed?".
struct ResidentFeedback {
  bool fixed = true;
  std::string comment;  // at most 2000 bytes
};

// Follows merges from `incident` (a read's answer) to the incident that carries the work now
// (at most a few hops); nullopt stays nullopt, and a failed read is the answer.
Result<std::optional<Incident>> FollowMerges(Store& store, Result<std::optional<Incident>> incident);

class IncidentService {
 public:
  IncidentService(Store& store, const CatalogHolder& catalog, Env* env, CorrelationOptions options = {});

  // Checks an event against the catalog (known category, valid place and time, confidence
  // in [0, 1], key present). OK or Invalid with the reason.
  Status Validate(const Event& event) const;

  // Stores a batch in one transaction: duplicates (by idempotency key, also within the
  // batch) are reported with their incident, invalid items are rejected with a reason, the
  // rest are stored and correlated. Outcomes are in input order. A non-OK Status means
  // nothing was stored (the store failed); a returned vector means everything stored is
  // durable.
  Result<std::vector<IngestOutcome>> Ingest(std::vector<Event> events, const Actor& actor);

  // Stores a resident's or patrol officer's Open311 report and correlates it like an event
  // (source kind "report"). Fills report.id and report.incident_id. `also`, when given, runs
  // first in the same transaction (the report's photo is stored with it): if either fails,
  // neither is stored.
  Status SubmitReport(Report& report, const Actor& actor, const std::function<Status(WriteTxn&)>& also = {});

  // Moves an incident to another state. Crew members may only move incidents assigned to
  // them, and only dispatched → in_progress → resolved.
  Result<Incident> Transition(Id id, const TransitionRequest& request, const Actor& actor);
  // Merges `sources` into `target`: their events and reports move, they become merged.
  Result<Incident> Merge(Id target, const std::vector<Id>& sources, const Actor& actor);
  // Moves `event_ids` out of incident `id` into a new, freshly routed incident.
  Result<Incident> Split(Id id, const std::vector<Id>& event_ids, const Actor& actor);

  // Sends an open incident to another department, saying who did it and why in its
  // explanation; its SLA clock starts again under the new department's SLA. Conflict when
  // closed or already there.
  Result<Incident> ChangeDepartment(Id id, const std::string& department_id, const std::string& reason,
                                    const Actor& actor);

  // A crew member acts on their task: on_my_way (sets en_route_at while dispatched), start
  // (dispatched → in_progress), resolve (in_progress → resolved), note. Photos become
  // evidence views of the incident. An action whose step is behind the task already is
  // Conflict starting with kStepAlreadyPassed. Forbidden for someone else's task.
  Result<Incident> Act(Id id, const TaskActionRequest& request, const Actor& actor);

  // Records a resident's feedback on their report once its incident is resolved (following
  // merges). Conflict when the incident is still open or was rejected, when feedback was
  // already given since it was resolved, or when it was resolved more than
  // `reopen_window_ms` ago. Not fixed reopens it: resolved → routed, unassigned, with a new
  // SLA clock; it is the only way back from resolved. Returns the incident as it is after.
  Result<Incident> Feedback(const Report& report, const ResidentFeedback& feedback, TimeMs reopen_window_ms,
                            const Actor& actor);

  // Flags every open incident that has missed an SLA deadline as overdue (once), and moves
  // those whose SLA names escalate_to to that department. Returns how many it flagged.
  Result<int> CheckSlas();
  // After the SLAs changed: every open incident's clock takes the deadlines of the SLA that
  // now applies (counted from when its clock started; an overdue flag stays), then CheckSlas.
  Result<int> RestartSlaClocks();

 private:
  struct BatchState;
  Result<Id> Correlate(WriteTxn& txn, const Event& event, BatchState& batch, const Catalog& catalog);
  Status OpenIncident(WriteTxn& txn, const Event& event, const Catalog& catalog, Incident& out);
  // The note of a change to `to`: the template's text (if any) followed by `note`.
  Result<std::string> NoteFor(const Catalog& catalog, const Incident& incident, IncidentState to,
                              const std::string& template_id, const std::string& note) const;
  // Moves `incident` to `to` inside `txn`, with its note, and records it (change + audit).
  Status MoveTo(WriteTxn& txn, Incident& incident, IncidentState to, const std::string& note, const Actor& actor,
                nlohmann::json detail);
  // Flags one incident overdue (and escalates it) inside `txn`; false when it is not due.
  Result<bool> FlagOverdue(WriteTxn& txn, Id id, const Catalog& catalog, TimeMs now);
  Status Flush(WriteTxn& txn, const BatchState& batch, const Actor& actor);
  Status Record(WriteTxn& txn, const Incident& incident, std::string type, const Actor& actor, std::string action,
                std::string detail_json);

  Store& store_;
  const CatalogHolder& catalog_;
  Env* env_;
  CorrelationOptions options_;
};

}  // namespace gb
