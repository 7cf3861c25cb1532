#include "incidents/service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "incidents/incident_json.h"
#include "incidents/state_machine.h"
#include "incidents/views.h"
#include "store/open_index.h"

namespace gb {

std::string_view OutcomeName(IngestOutcome::Kind k) {
  switch (k) {
    case IngestOutcome::Kind::kStored: return "stored";
    case IngestOutcome::Kind::kDuplicate: return "duplicate";
    case IngestOutcome::Kind::kRejected: return "rejected";
  }
  return "rejected";
}

// Incidents a transaction has touched, kept in memory and written once at the end, so that
// a batch of a thousand observations of one situation costs one update, not a thousand.
// They are also filed by place: their stored last_seen_at is stale until the flush, so the
// store's search may miss them, and scanning all of them for every event would make a
// batch cost grow with the square of its size.
struct IncidentService::BatchState {
  Incident& Touch(Incident incident, bool is_new) {
    if (is_new) created.insert(incident.id);
    Incident& kept = touched.emplace(incident.id, std::move(incident)).first->second;
    Seen(kept);
    return kept;
  }
  // Refiles a touched incident after its last sighting moved.
  void Seen(const Incident& incident) {
    near.Put(incident.id, incident.category, incident.location, incident.last_seen_at);
  }

  std::map<Id, Incident> touched;  // flushed in id order
  std::set<Id> created;
  // Idempotency key → (event, incident); the keys are views of the batch's own events.
  std::unordered_map<std::string_view, std::pair<Id, Id>> keys;
  OpenIncidentIndex near;          // the touched incidents, all open
};

namespace {

std::vector<EvidenceView> ViewsOf(const Event& e) {
  std::vector<EvidenceView> out;
  for (const auto& h : e.evidence) out.push_back({h, e.source_id, e.confidence});
  return out;
}

std::string ActorName(const Actor& a) { return a.system ? "system" : a.name; }

}  // namespace

IncidentService::IncidentService(Store& store, const CatalogHolder& catalog, Env* env, CorrelationOptions options)
    : store_(store), catalog_(catalog), env_(env), options_(options) {}

Status IncidentService::Validate(const Event& e) const {
  if (e.idempotency_key.empty()) return Status::Invalid("idempotency_key is required");
  if (e.idempotency_key.size() > 200) return Status::Invalid("idempotency_key is longer than 200 characters");
  if (e.source_id.empty()) return Status::Invalid("source.id is required");
  auto catalog = catalog_.Get();
  if (!catalog->district.FindService(e.category))
    return Status::Invalid("unknown category '" + e.category + "'; see /open311/v2/services.json for the list");
  if (!ValidLatLon(e.location.lat, e.location.lon))
    return Status::Invalid("location must have lat in [-90, 90] and lon in [-180, 180]");
  if (!(e.confidence >= 0 && e.confidence <= 1)) return Status::Invalid("confidence must be between 0 and 1");
  if (e.observed_at > env_->NowMs() + options_.max_future_skew_ms)
    return Status::Invalid("observed_at is in the future; check the sender's clock");
  for (const auto& h : e.evidence)
    if (h.size() != 71 || !h.starts_with("sha256:") ||
        h.find_first_not_of("0123456789abcdef", 7) != std::string::npos)
      return Status::Invalid("evidence entries must be \"sha256:\" followed by 64 lower-case hex digits");
  return Status::Ok();
}

Status IncidentService::Record(WriteTxn& txn, const Incident& incident, std::string type, const Actor& actor,
                               std::string action, std::string detail_json) {
  // Stamped with the incident's updated_at, which every caller has just set: no change is
  // newer than its incident, so purging the log by time takes all changes of a purged one.
  IncidentChange change{0, incident.id, incident.updated_at, std::move(type), incident.department_id, incident.area_id,
                        IncidentJsonText(incident)};
  GB_RETURN_IF_ERROR(txn.AppendChange(change));
  if (action.empty()) return Status::Ok();
  AuditEntry entry{0, change.at, ActorName(actor), std::move(action), "incident/" + std::to_string(incident.id), "",
                   std::move(detail_json)};
  return txn.AppendAudit(entry);
}

Status IncidentService::OpenIncident(WriteTxn& txn, const Event& event, const Catalog& catalog, Incident& out) {
  RoutingDecision decision = catalog.router.Decide(event.category, event.location, event.observed_at);
  TimeMs now = env_->NowMs();
  out = Incident{};
  out.category = event.category;
  out.state = IncidentState::kRouted;  // routing is immediate: new → routed in this transaction
  out.location = event.location;
  const Area* area = catalog.router.MostSpecificAreaAt(event.location);
  out.area_id = area ? area->id : decision.area_id;
  out.department_id = decision.department_id;
  out.routing_rule_id = decision.rule_id;
  out.explanation = decision.explanation;
  out.unrouted = decision.unrouted;
  out.priority = decision.priority;
  out.opened_at = now;
  out.updated_at = now;
  out.last_seen_at = event.observed_at;
  out.event_count = 0;
  return txn.InsertIncident(out);
}

Result<Id> IncidentService::Correlate(WriteTxn& txn, const Event& event, BatchState& batch, const Catalog& catalog) {
  const double dlat = options_.join_distance_m / 111'000.0;
  const double dlon = dlat / std::max(0.01, std::cos(event.location.lat * 3.141592653589793 / 180));
  GeoBox box(GeoPoint(event.location.lon - dlon, event.location.lat - dlat),
             GeoPoint(event.location.lon + dlon, event.location.lat + dlat));
  const TimeMs since = event.observed_at - options_.join_window_ms;
  Id best = 0;
  double best_d = 0;
  auto consider = [&](Id id, LatLon where, TimeMs last_seen_at) {
    if (last_seen_at < since) return;
    double d = DistanceMeters(where, event.location);
    if (d <= options_.join_distance_m && (best == 0 || d < best_d)) {
      best = id;
      best_d = d;
    }
  };
  for (const auto& c : txn.FindOpenIncidents(event.category, box, since))
    if (!batch.touched.count(c.id)) consider(c.id, c.location, c.last_seen_at);  // else fresher below
  for (const auto& c : batch.near.Find(event.category, box, since)) consider(c.id, c.location, c.last_seen_at);

  Incident* incident;
  if (best != 0) {
    auto it = batch.touched.find(best);
    if (it != batch.touched.end()) {
      incident = &it->second;
    } else {
      auto fresh = txn.GetIncident(best);
      if (!fresh) return Status::Internal("incident " + std::to_string(best) + " vanished during correlation");
      incident = &batch.Touch(std::move(*fresh), false);
    }
  } else {
    Incident opened;
    GB_RETURN_IF_ERROR(OpenIncident(txn, event, catalog, opened));
    incident = &batch.Touch(std::move(opened), true);
  }
  incident->event_count += 1;
  incident->last_seen_at = std::max(incident->last_seen_at, event.observed_at);
  batch.Seen(*incident);
  incident->updated_at = env_->NowMs();
  if (!event.evidence.empty()) {
    for (auto& v : ViewsOf(event)) incident->views.push_back(std::move(v));
    incident->views = SelectViews(std::move(incident->views));
  }
  return incident->id;
}

// Writes back every incident a batch touched, with one stream change each and an audit
// entry for the ones it created (their creation and routing are state changes).
Status IncidentService::Flush(WriteTxn& txn, const BatchState& batch, const Actor& actor) {
  for (const auto& [id, inc] : batch.touched) {
    GB_RETURN_IF_ERROR(txn.UpdateIncident(inc));
    if (!batch.created.count(id)) {
      GB_RETURN_IF_ERROR(Record(txn, inc, "updated", actor, "", ""));
      continue;
    }
    nlohmann::json detail = {{"state", StateName(inc.state)}, {"department_id", inc.department_id},
                             {"explanation", inc.explanation}, {"unrouted", inc.unrouted}};
    GB_RETURN_IF_ERROR(
        Record(txn, inc, "created", Actor{"system", Role::kAdmin, true}, "incident.create", detail.dump()));
  }
  return Status::Ok();
}

Result<std::vector<IngestOutcome>> IncidentService::Ingest(std::vector<Event> events, const Actor& actor) {
  auto catalog = catalog_.Get();
  std::vector<IngestOutcome> outcomes(events.size());
  std::vector<Status> checks;
  checks.reserve(events.size());
  for (const auto& e : events) checks.push_back(Validate(e));  // outside the write lock
  // Keys already stored are looked up outside the write lock too, on a snapshot. A key
  // stored after it (a sender's retry racing its first try) makes InsertEvent answer
  // Conflict; the batch is then rolled back and run again, checking keys inside the lock.
  std::vector<std::string_view> keys;
  keys.reserve(events.size());
  for (const auto& e : events) keys.push_back(e.idempotency_key);
  auto stored_keys = store_.FindEventsByKeys(keys);
  bool keys_in_lock = !stored_keys.ok();
  bool raced = false;

  auto ingest = [&](WriteTxn& txn) -> Status {
    BatchState batch;
    for (size_t i = 0; i < events.size(); ++i) {
      Event& e = events[i];
      IngestOutcome& out = outcomes[i];
      out = IngestOutcome{};
      if (!checks[i].ok()) {
        out.error = checks[i].message();
        continue;
      }
      if (auto it = batch.keys.find(e.idempotency_key); it != batch.keys.end()) {
        out = {IngestOutcome::Kind::kDuplicate, it->second.second, it->second.first, ""};
        continue;
      }
      auto found = keys_in_lock ? txn.FindEventByKey(e.idempotency_key) : (*stored_keys)[i];
      if (found) {
        out = {IngestOutcome::Kind::kDuplicate, found->second, found->first, ""};
        continue;
      }
      auto incident = Correlate(txn, e, batch, *catalog);
      if (!incident.ok()) return incident.status();
      Status inserted = txn.InsertEvent(e, *incident);
      if (inserted.code() == Code::kConflict && !keys_in_lock) raced = true;
      GB_RETURN_IF_ERROR(inserted);
      batch.keys.emplace(e.idempotency_key, std::make_pair(e.id, *incident));
      out = {IngestOutcome::Kind::kStored, *incident, e.id, ""};
    }
    return Flush(txn, batch, actor);
  };
  Status s = store_.Write(ingest);
  if (raced) {
    keys_in_lock = true;
    s = store_.Write(ingest);
  }
  if (!s.ok()) return s;
  return outcomes;
}

Status IncidentService::SubmitReport(Report& report, const Actor& actor,
                                     const std::function<Status(WriteTxn&)>& also) {
  auto catalog = catalog_.Get();
  Event event;
  event.idempotency_key = "report/" + report.token;
  event.source_kind = SourceKind::kReport;
  event.source_id = "pending";
  event.category = report.service_code;
  event.rule = "report";
  event.observed_at = report.requested_at;
  event.location = report.location;
  event.confidence = 1;
  if (!report.media.empty()) event.evidence.push_back(report.media);
  GB_RETURN_IF_ERROR(Validate(event));
  return store_.Write([&](WriteTxn& txn) -> Status {
    if (also) GB_RETURN_IF_ERROR(also(txn));
    BatchState batch;
    auto incident = Correlate(txn, event, batch, *catalog);
    if (!incident.ok()) return incident.status();
    report.incident_id = *incident;
    GB_RETURN_IF_ERROR(txn.InsertReport(report));
    event.source_id = "report-" + std::to_string(report.id);
    for (auto& [id, inc] : batch.touched)
      for (auto& v : inc.views)
        if (v.source_id == "pending") v.source_id = event.source_id;
    GB_RETURN_IF_ERROR(txn.InsertEvent(event, *incident));
    AuditEntry entry{0, env_->NowMs(), ActorName(actor), "report.submit", "report/" + std::to_string(report.id), "",
                     nlohmann::json{{"service_code", report.service_code}, {"incident_id", *incident}}.dump()};
    GB_RETURN_IF_ERROR(txn.AppendAudit(entry));
    return Flush(txn, batch, actor);
  });
}

Result<Incident> IncidentService::Transition(Id id, const TransitionRequest& request, const Actor& actor) {
  if (request.to == IncidentState::kMerged)
    return Status::Invalid("use the merge endpoint to merge incidents; it needs the target incident");
  if (request.note.size() > 2000) return Status::Invalid("note is longer than 2000 characters");
  if (request.to == IncidentState::kDispatched) {
    if (request.assignee.empty()) return Status::Invalid("dispatching needs an assignee: the crew member's name");
    auto user = store_.GetUser(request.assignee);
    if (!user || user->role != Role::kCrew)
      return Status::Invalid("assignee '" + request.assignee + "' is not a crew member");
  }
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto found = txn.GetIncident(id);
    if (!found) return Status::NotFound("no incident " + std::to_string(id));
    Incident& inc = *found;
    if (actor.role == Role::kCrew) {
      if (inc.assignee != actor.name) return Status::Forbidden("this incident is not assigned to you");
      if (request.to != IncidentState::kInProgress && request.to != IncidentState::kResolved)
        return Status::Forbidden("crew members may only start and resolve their tasks");
    }
    GB_RETURN_IF_ERROR(CheckTransition(inc.state, request.to));
    IncidentState from = inc.state;
    inc.state = request.to;
    inc.note = request.note;
    if (request.to == IncidentState::kDispatched) inc.assignee = request.assignee;
    if (request.to == IncidentState::kRouted) inc.assignee.clear();
    inc.updated_at = env_->NowMs();
    GB_RETURN_IF_ERROR(txn.UpdateIncident(inc));
    nlohmann::json detail = {{"from", StateName(from)}, {"to", StateName(request.to)}, {"note", request.note}};
    if (!inc.assignee.empty()) detail["assignee"] = inc.assignee;
    GB_RETURN_IF_ERROR(Record(txn, inc, "transition", actor, "incident.transition", detail.dump()));
    result = inc;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<Incident> IncidentService::Merge(Id target, const std::vector<Id>& sources, const Actor& actor) {
  if (sources.empty()) return Status::Invalid("name at least one incident to merge into the target");
  if (sources.size() > 100) return Status::Invalid("at most 100 incidents can be merged at once");
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto t = txn.GetIncident(target);
    if (!t) return Status::NotFound("no incident " + std::to_string(target));
    if (!IsOpen(t->state)) return Status::Conflict("the target incident is " + std::string(StateName(t->state)));
    std::set<Id> seen;
    for (Id sid : sources) {
      if (sid == target) return Status::Invalid("an incident cannot be merged into itself");
      if (!seen.insert(sid).second) return Status::Invalid("incident " + std::to_string(sid) + " is named twice");
      auto src = txn.GetIncident(sid);
      if (!src) return Status::NotFound("no incident " + std::to_string(sid));
      GB_RETURN_IF_ERROR(CheckTransition(src->state, IncidentState::kMerged));
      GB_RETURN_IF_ERROR(txn.MoveEvents(sid, target, {}));
      t->event_count += src->event_count;
      t->last_seen_at = std::max(t->last_seen_at, src->last_seen_at);
      auto views = t->views;
      views.insert(views.end(), src->views.begin(), src->views.end());
      t->views = SelectViews(std::move(views));
      IncidentState from = src->state;
      src->state = IncidentState::kMerged;
      src->merged_into = target;
      src->event_count = 0;
      src->updated_at = env_->NowMs();
      GB_RETURN_IF_ERROR(txn.UpdateIncident(*src));
      nlohmann::json detail = {{"from", StateName(from)}, {"to", "merged"}, {"merged_into", target}};
      GB_RETURN_IF_ERROR(Record(txn, *src, "merged", actor, "incident.merge", detail.dump()));
    }
    t->updated_at = env_->NowMs();
    GB_RETURN_IF_ERROR(txn.UpdateIncident(*t));
    GB_RETURN_IF_ERROR(
        Record(txn, *t, "updated", actor, "incident.merge_into", nlohmann::json{{"merged", sources}}.dump()));
    result = *t;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<Incident> IncidentService::Split(Id id, const std::vector<Id>& event_ids, const Actor& actor) {
  if (event_ids.empty()) return Status::Invalid("name the events to split off");
  auto catalog = catalog_.Get();
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto inc = txn.GetIncident(id);
    if (!inc) return Status::NotFound("no incident " + std::to_string(id));
    if (!IsOpen(inc->state)) return Status::Conflict("incident " + std::to_string(id) + " is no longer open");
    auto events = txn.EventsOfIncident(id, 100'000);
    std::set<Id> wanted(event_ids.begin(), event_ids.end());
    std::vector<Event> moving, staying;
    for (auto& e : events) (wanted.count(e.id) ? moving : staying).push_back(std::move(e));
    if (moving.size() != wanted.size()) return Status::Invalid("some events do not belong to this incident");
    if (staying.empty()) return Status::Invalid("a split must leave at least one event in the incident");
    Incident fresh;
    GB_RETURN_IF_ERROR(OpenIncident(txn, moving.front(), *catalog, fresh));
    GB_RETURN_IF_ERROR(txn.MoveEvents(id, fresh.id, event_ids));
    auto summarize = [](Incident& target, const std::vector<Event>& evs) {
      std::vector<EvidenceView> views;
      target.event_count = static_cast<int>(evs.size());
      for (const auto& e : evs) {
        target.last_seen_at = std::max(target.last_seen_at, e.observed_at);
        for (auto& v : ViewsOf(e)) views.push_back(std::move(v));
      }
      target.views = SelectViews(std::move(views));
    };
    summarize(fresh, moving);
    summarize(*inc, staying);
    inc->updated_at = env_->NowMs();
    GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
    GB_RETURN_IF_ERROR(txn.UpdateIncident(fresh));
    nlohmann::json detail = {{"split_from", id}, {"events", event_ids}, {"department_id", fresh.department_id},
                             {"explanation", fresh.explanation}};
    GB_RETURN_IF_ERROR(Record(txn, fresh, "created", actor, "incident.split", detail.dump()));
    GB_RETURN_IF_ERROR(Record(txn, *inc, "split", actor, "incident.split_from",
                              nlohmann::json{{"new_incident", fresh.id}, {"events", event_ids}}.dump()));
    result = fresh;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace gb
