// IncidentService: the business rules that turn observations into incidents and move
// incidents through their life cycle. Every change runs inside one Store::Write together
// with its audit entry and its live-stream change record (DESIGN.md §4.5).
//
// Thread-safe: holds no mutable state of its own; the Store serialises writers.
#pragma once

#include <functional>
#include <string>
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
  std::string assignee;  // required when dispatching
};

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

 private:
  struct BatchState;
  Result<Id> Correlate(WriteTxn& txn, const Event& event, BatchState& batch, const Catalog& catalog);
  Status OpenIncident(WriteTxn& txn, const Event& event, const Catalog& catalog, Incident& out);
  Status Flush(WriteTxn& txn, const BatchState& batch, const Actor& actor);
  Status Record(WriteTxn& txn, const Incident& incident, std::string type, const Actor& actor, std::string action,
                std::string detail_json);

  Store& store_;
  const CatalogHolder& catalog_;
  Env* env_;
  CorrelationOptions options_;
};

}  // namespace gb
