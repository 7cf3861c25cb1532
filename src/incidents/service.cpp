#include "incidents/service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "incidents/incident_json.h"
#include "incidents/sla.h"
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

const Actor kSystem{"system", Role::kAdmin, true};

constexpr int kMaxMergeHops = 8;
constexpr size_t kMaxNote = 2000;
constexpr size_t kMaxPhotos = 5;

std::string DepartmentName(const Catalog& catalog, const std::string& id) {
  const Department* d = catalog.district.FindDepartment(id);
  return d ? d->name : id;
}

// The newer of two report summaries (by time, then id); an empty one loses.
const ReportSummary& Newer(const ReportSummary& a, const ReportSummary& b) {
  if (a.id == 0) return b;
  if (b.id == 0) return a;
  return std::tie(a.requested_at, a.id) >= std::tie(b.requested_at, b.id) ? a : b;
}

// A key names one observation for ever: one that differs from another only by spaces or an
// invisible character would be a second observation to the store and the same one to a reader.
Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) return Status::Invalid("idempotency_key is required");
  if (key.size() > 200) return Status::Invalid("idempotency_key is longer than 200 characters");
  for (unsigned char c : key)  // tabs and line breaks among them
    if (c < 0x20 || c == 0x7f) return Status::Invalid("idempotency_key must not hold control characters");
  if (key.front() == ' ' || key.back() == ' ')
    return Status::Invalid("idempotency_key must not begin or end with a space");
  return Status::Ok();
}

}  // namespace

std::optional<TaskAction> ParseTaskAction(std::string_view name) {
  if (name == "on_my_way") return TaskAction::kOnMyWay;
  if (name == "start") return TaskAction::kStart;
  if (name == "resolve") return TaskAction::kResolve;
  if (name == "note") return TaskAction::kNote;
  return std::nullopt;
}

Result<std::optional<Incident>> FollowMerges(Store& store, Result<std::optional<Incident>> incident) {
  if (!incident.ok()) return incident;
  std::optional<Incident>& at = *incident;
  for (int hop = 0; at && at->state == IncidentState::kMerged && at->merged_into != 0 && hop < kMaxMergeHops; ++hop) {
    auto target = store.GetIncident(at->merged_into);
    if (!target.ok()) return target;
    if (!*target) break;
    at = std::move(*target);
  }
  return incident;
}

IncidentService::IncidentService(Store& store, const CatalogHolder& catalog, Env* env, CorrelationOptions options)
    : store_(store), catalog_(catalog), env_(env), options_(options) {}

Status IncidentService::Validate(const Event& e) const {
  GB_RETURN_IF_ERROR(ValidateIdempotencyKey(e.idempotency_key));
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
    if (!IsEvidenceRef(h))
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
  out.sla = ClockFor(SlaFor(catalog.district.slas, out.category, out.department_id), now);
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
    Incident& joined = batch.touched.at(*incident);
    joined.latest_report = Newer(joined.latest_report, ReportSummary{report.id, report.description,
                                                                     report.requested_at, !report.media.empty()});
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

Result<std::string> IncidentService::NoteFor(const Catalog& catalog, const Incident& incident, IncidentState to,
                                             const std::string& template_id, const std::string& note) const {
  if (template_id.empty()) return note;
  const ResponseTemplate* t = catalog.district.FindTemplate(template_id);
  if (!t) return Status::Invalid("unknown template_id '" + template_id + "'; GET /api/v1/response-templates lists them");
  if (t->state != StateName(to))
    return Status::Invalid("template '" + template_id + "' is written for " + t->state + ", not for " +
                           std::string(StateName(to)));
  if (t->category != "*" && t->category != incident.category)
    return Status::Invalid("template '" + template_id + "' is for " + t->category + ", not for " + incident.category);
  return note.empty() ? t->text.en : t->text.en + "\n\n" + note;
}

Status IncidentService::MoveTo(WriteTxn& txn, Incident& inc, IncidentState to, const std::string& note,
                               const Actor& actor, nlohmann::json detail) {
  GB_RETURN_IF_ERROR(CheckTransition(inc.state, to));
  IncidentState from = inc.state;
  inc.state = to;
  inc.note = note;
  if (to == IncidentState::kRouted) inc.assignee.clear();
  if (to == IncidentState::kRouted || to == IncidentState::kDispatched) inc.en_route_at = 0;  // a new dispatch
  inc.updated_at = env_->NowMs();
  GB_RETURN_IF_ERROR(txn.UpdateIncident(inc));
  detail["from"] = StateName(from);
  detail["to"] = StateName(to);
  detail["note"] = note;
  if (!inc.assignee.empty()) detail["assignee"] = inc.assignee;
  return Record(txn, inc, "transition", actor, "incident.transition", detail.dump());
}

Result<Incident> IncidentService::Transition(Id id, const TransitionRequest& request, const Actor& actor) {
  if (request.to == IncidentState::kMerged)
    return Status::Invalid("use the merge endpoint to merge incidents; it needs the target incident");
  if (request.note.size() > kMaxNote) return Status::Invalid("note is longer than 2000 characters");
  if (request.to == IncidentState::kDispatched) {
    if (request.assignee.empty()) return Status::Invalid("dispatching needs an assignee: the crew member's name");
    auto read = store_.GetUser(request.assignee);
    if (!read.ok()) return read.status();
    const std::optional<User>& user = *read;
    if (!user || user->role != Role::kCrew)
      return Status::Invalid("assignee '" + request.assignee + "' is not a crew member");
  }
  auto catalog = catalog_.Get();
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto found = txn.GetIncident(id);
    if (!found) return Status::NotFound("no incident " + std::to_string(id));
    Incident& inc = *found;
    if (actor.role == Role::kCrew) {
      if (inc.assignee != actor.name) return Status::Forbidden("this incident is not assigned to you");
      if (!RoleMayMoveTo(actor.role, request.to))
        return Status::Forbidden("crew members may only start and resolve their tasks");
    }
    GB_RETURN_IF_ERROR(CheckTransition(inc.state, request.to));
    auto note = NoteFor(*catalog, inc, request.to, request.template_id, request.note);
    if (!note.ok()) return note.status();
    if (request.to == IncidentState::kDispatched) inc.assignee = request.assignee;
    nlohmann::json detail = nlohmann::json::object();
    if (!request.template_id.empty()) detail["template_id"] = request.template_id;
    GB_RETURN_IF_ERROR(MoveTo(txn, inc, request.to, *note, actor, std::move(detail)));
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
      t->latest_report = Newer(t->latest_report, src->latest_report);
      IncidentState from = src->state;
      src->state = IncidentState::kMerged;
      src->merged_into = target;
      src->event_count = 0;
      src->latest_report = {};  // its reports moved with its events
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
    for (Incident* side : {&fresh, &*inc}) {  // reports move with their events
      auto latest = txn.LatestReportOf(side->id);
      if (!latest.ok()) return latest.status();
      side->latest_report = std::move(*latest);
    }
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

Result<Incident> IncidentService::ChangeDepartment(Id id, const std::string& department_id, const std::string& reason,
                                                   const Actor& actor) {
  if (reason.empty() || reason.size() > 500) return Status::Invalid("say why: reason must be 1 to 500 characters");
  auto catalog = catalog_.Get();
  if (!catalog->district.FindDepartment(department_id))
    return Status::Invalid("unknown department '" + department_id + "'; GET /api/v1/departments lists them");
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto inc = txn.GetIncident(id);
    if (!inc) return Status::NotFound("no incident " + std::to_string(id));
    if (!IsOpen(inc->state))
      return Status::Conflict("incident " + std::to_string(id) + " is " + std::string(StateName(inc->state)) +
                              ": a closed incident keeps its department");
    if (inc->department_id == department_id)
      return Status::Conflict("incident " + std::to_string(id) + " is already with " + department_id);
    const std::string from = inc->department_id;
    TimeMs now = env_->NowMs();
    inc->department_id = department_id;
    inc->routing_rule_id.clear();
    inc->unrouted = false;
    inc->explanation = "Moved from " + DepartmentName(*catalog, from) + " to " + DepartmentName(*catalog, department_id) +
                       " by " + ActorName(actor) + ": " + reason;
    inc->sla = ClockFor(SlaFor(catalog->district.slas, inc->category, department_id), now);
    inc->updated_at = now;
    GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
    nlohmann::json detail = {{"from_department", from}, {"department_id", department_id}, {"note", reason}};
    GB_RETURN_IF_ERROR(Record(txn, *inc, "department", actor, "incident.department", detail.dump()));
    result = *inc;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<Incident> IncidentService::Act(Id id, const TaskActionRequest& request, const Actor& actor) {
  if (request.note.size() > kMaxNote) return Status::Invalid("note is longer than 2000 characters");
  if (request.action == TaskAction::kNote && request.note.empty() && request.photos.empty())
    return Status::Invalid("a note needs its text (or photos)");
  if (!request.template_id.empty() && request.action != TaskAction::kStart && request.action != TaskAction::kResolve)
    return Status::Invalid("template_id goes with start or resolve");
  if (request.photos.size() > kMaxPhotos) return Status::Invalid("at most 5 photos go with one action");
  for (const auto& ref : request.photos) {
    if (!IsEvidenceRef(ref)) return Status::Invalid("photos are evidence refs: \"sha256:\" and 64 hex digits");
    auto photo = store_.GetEvidence(ref);
    if (!photo.ok()) return photo.status();
    if (!*photo) return Status::Invalid("no photo " + ref + "; upload it with POST /api/v1/tasks/{id}/photos first");
  }
  auto catalog = catalog_.Get();
  const TimeMs now = env_->NowMs();
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto found = txn.GetIncident(id);
    if (!found) return Status::NotFound("no task " + std::to_string(id));
    Incident& inc = *found;
    if (inc.assignee != actor.name) return Status::Forbidden("this task is not assigned to you");
    const IncidentState state = inc.state;
    auto passed = [&](const std::string& why) {
      return Status::Conflict(std::string(kStepAlreadyPassed) + ": " + why);
    };
    if (state == IncidentState::kRejected || state == IncidentState::kMerged)
      return Status::Conflict("task " + std::to_string(id) + " was closed as " + std::string(StateName(state)));
    for (const auto& ref : request.photos) inc.views.push_back({ref, "crew:" + actor.name, 1.0});
    inc.views = SelectViews(std::move(inc.views));
    nlohmann::json detail = nlohmann::json::object();
    if (request.client_at != 0) detail["client_at"] = FormatRfc3339(request.client_at);
    if (!request.photos.empty()) detail["photos"] = request.photos;
    switch (request.action) {
      case TaskAction::kOnMyWay: {
        if (inc.en_route_at != 0 || state == IncidentState::kInProgress || state == IncidentState::kResolved)
          return passed("the crew is already on its way");
        // When the crew member set off, as their device says, if that is plausible.
        inc.en_route_at = request.client_at > inc.opened_at && request.client_at <= now ? request.client_at : now;
        if (!request.note.empty()) inc.note = request.note;
        inc.updated_at = now;
        GB_RETURN_IF_ERROR(txn.UpdateIncident(inc));
        detail["note"] = request.note;
        detail["en_route_at"] = FormatRfc3339(inc.en_route_at);
        GB_RETURN_IF_ERROR(Record(txn, inc, "en_route", actor, "incident.en_route", detail.dump()));
        break;
      }
      case TaskAction::kStart:
      case TaskAction::kResolve: {
        const bool start = request.action == TaskAction::kStart;
        const IncidentState to = start ? IncidentState::kInProgress : IncidentState::kResolved;
        if (state == IncidentState::kResolved || (start && state == IncidentState::kInProgress))
          return passed(std::string("the task is already ") + (start ? "in progress" : "resolved"));
        if (!start && state == IncidentState::kDispatched) return Status::Conflict("start the task before resolving it");
        auto note = NoteFor(*catalog, inc, to, request.template_id, request.note);
        if (!note.ok()) return note.status();
        if (!request.template_id.empty()) detail["template_id"] = request.template_id;
        GB_RETURN_IF_ERROR(MoveTo(txn, inc, to, *note, actor, std::move(detail)));
        break;
      }
      case TaskAction::kNote: {
        if (!IsOpen(state)) return Status::Conflict("task " + std::to_string(id) + " is closed; notes go on open tasks");
        if (!request.note.empty()) inc.note = request.note;
        inc.updated_at = now;
        GB_RETURN_IF_ERROR(txn.UpdateIncident(inc));
        detail["note"] = request.note;
        GB_RETURN_IF_ERROR(Record(txn, inc, "note", actor, "incident.note", detail.dump()));
        break;
      }
    }
    result = inc;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<Incident> IncidentService::Feedback(const Report& report, const ResidentFeedback& feedback,
                                           TimeMs reopen_window_ms, const Actor& actor) {
  if (feedback.comment.size() > kMaxNote) return Status::Invalid("comment is longer than 2000 characters");
  std::optional<Incident> found;
  if (report.incident_id != 0) {
    auto followed = FollowMerges(store_, store_.GetIncident(report.incident_id));
    if (!followed.ok()) return followed.status();
    found = std::move(*followed);
  }
  if (!found) return Status::Conflict("this request is still open");
  const Id id = found->id;
  const std::string report_object = "report/" + std::to_string(report.id);
  AuditFilter answered;
  answered.object = report_object;
  answered.action_prefix = "report.feedback";
  answered.from = found->updated_at;  // since it was closed: nothing else changes a closed incident
  answered.limit = 1;
  auto catalog = catalog_.Get();
  Incident result;
  Status s = store_.Write([&](WriteTxn& txn) -> Status {
    auto inc = txn.GetIncident(id);
    if (!inc) return Status::Conflict("this request is still open");
    const TimeMs now = env_->NowMs();
    if (IsOpen(inc->state)) return Status::Conflict("this request is still open; feedback comes once it is resolved");
    if (inc->state != IncidentState::kResolved)
      return Status::Conflict("this request was closed as " + std::string(StateName(inc->state)) +
                              ", not fixed; please send a new report");
    if (inc->updated_at != found->updated_at) return Status::Conflict("feedback on this request was already given");
    auto given = store_.ListAudit(answered);
    if (!given.ok()) return given.status();
    if (!given->empty()) return Status::Conflict("feedback on this request was already given");
    if (now - inc->updated_at > reopen_window_ms)
      return Status::Conflict("this request was resolved more than " + std::to_string(reopen_window_ms / 86'400'000) +
                              " days ago; please send a new report");
    AuditEntry entry{0, now, ActorName(actor), "report.feedback", report_object, "",
                     nlohmann::json{{"fixed", feedback.fixed}, {"comment", feedback.comment}, {"incident_id", id}}.dump()};
    GB_RETURN_IF_ERROR(txn.AppendAudit(entry));
    if (!feedback.fixed) {
      inc->state = IncidentState::kRouted;
      inc->assignee.clear();
      inc->en_route_at = 0;
      inc->note.clear();
      inc->sla = ClockFor(SlaFor(catalog->district.slas, inc->category, inc->department_id), now);
      inc->updated_at = now;
      GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
      nlohmann::json detail = {{"from", "resolved"}, {"to", "routed"}, {"note", feedback.comment},
                               {"report_id", report.id}};
      GB_RETURN_IF_ERROR(Record(txn, *inc, "reopened", actor, "incident.reopen", detail.dump()));
    }
    result = *inc;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<bool> IncidentService::FlagOverdue(WriteTxn& txn, Id id, const Catalog& catalog, TimeMs now) {
  auto inc = txn.GetIncident(id);
  if (!inc) return false;
  const SlaBreach breach = BreachAt(*inc, now);
  if (breach == SlaBreach::kNone) return false;  // moved on since it was listed
  inc->sla.overdue_at = now;
  inc->updated_at = now;
  GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
  const TimeMs due = breach == SlaBreach::kRespond ? inc->sla.respond_due_at : inc->sla.resolve_due_at;
  nlohmann::json detail = {{"sla_id", inc->sla.sla_id}, {"missed", BreachName(breach)},
                           {"due_at", FormatRfc3339(due)}, {"department_id", inc->department_id}};
  GB_RETURN_IF_ERROR(Record(txn, *inc, "overdue", kSystem, "incident.overdue", detail.dump()));

  const Sla* sla = catalog.district.FindSla(inc->sla.sla_id);
  if (!sla || sla->escalate_to.empty() || sla->escalate_to == inc->department_id ||
      !catalog.district.FindDepartment(sla->escalate_to))
    return true;
  const std::string from = inc->department_id;
  const int minutes = breach == SlaBreach::kRespond ? sla->respond_minutes : sla->resolve_minutes;
  inc->explanation = "Escalated from " + DepartmentName(catalog, from) + " to " +
                     DepartmentName(catalog, sla->escalate_to) + ": not " +
                     (breach == SlaBreach::kRespond ? "dispatched" : "resolved") + " within " +
                     std::to_string(minutes) + " minutes (SLA " + sla->id + ")";
  inc->department_id = sla->escalate_to;
  inc->routing_rule_id.clear();
  inc->unrouted = false;
  SlaClock clock = ClockFor(SlaFor(catalog.district.slas, inc->category, inc->department_id), now);
  clock.overdue_at = inc->sla.overdue_at;  // it stays late: the new department sees why it came
  clock.escalated_from = from;
  if (clock.sla_id.empty()) clock.sla_id = inc->sla.sla_id;  // keep showing the deadline it missed
  inc->sla = std::move(clock);
  GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
  nlohmann::json escalated = {{"from_department", from}, {"department_id", inc->department_id},
                              {"sla_id", sla->id}, {"note", inc->explanation}};
  GB_RETURN_IF_ERROR(Record(txn, *inc, "escalated", kSystem, "incident.escalate", escalated.dump()));
  return true;
}

Result<int> IncidentService::CheckSlas() {
  auto catalog = catalog_.Get();
  const TimeMs now = env_->NowMs();
  int flagged = 0;
  for (;;) {
    IncidentFilter due;
    due.overdue = false;
    due.due_by = now;
    due.limit = 500;
    auto listed_due = store_.ListIncidents(due);
    if (!listed_due.ok()) return WithContext(listed_due.status(), "cannot look for overdue incidents");
    const std::vector<Incident>& batch = *listed_due;
    if (batch.empty()) break;
    int in_batch = 0;
    Status s = store_.Write([&](WriteTxn& txn) -> Status {
      in_batch = 0;
      for (const Incident& listed : batch) {
        auto done = FlagOverdue(txn, listed.id, *catalog, now);
        if (!done.ok()) return done.status();
        in_batch += *done ? 1 : 0;
      }
      return Status::Ok();
    });
    if (!s.ok()) return WithContext(s, "cannot flag overdue incidents");
    flagged += in_batch;
    if (batch.size() < static_cast<size_t>(due.limit) || in_batch == 0) break;
  }
  return flagged;
}

Result<int> IncidentService::RestartSlaClocks() {
  auto catalog = catalog_.Get();
  IncidentFilter open;
  open.states = {IncidentState::kNew, IncidentState::kRouted, IncidentState::kDispatched, IncidentState::kInProgress};
  open.limit = 500;
  for (;;) {
    auto listed = store_.ListIncidents(open);
    if (!listed.ok()) return WithContext(listed.status(), "cannot list the open incidents");
    const std::vector<Incident>& page = *listed;
    Status s = store_.Write([&](WriteTxn& txn) -> Status {
      for (const Incident& listed : page) {
        auto inc = txn.GetIncident(listed.id);
        if (!inc || !IsOpen(inc->state)) continue;
        const TimeMs started = inc->sla.started_at != 0 ? inc->sla.started_at : inc->opened_at;
        SlaClock clock = ClockFor(SlaFor(catalog->district.slas, inc->category, inc->department_id), started);
        if (!clock.sla_id.empty()) {
          clock.overdue_at = inc->sla.overdue_at;
          clock.escalated_from = inc->sla.escalated_from;
        }
        if (clock.sla_id == inc->sla.sla_id && clock.respond_due_at == inc->sla.respond_due_at &&
            clock.resolve_due_at == inc->sla.resolve_due_at)
          continue;
        inc->sla = std::move(clock);
        inc->updated_at = env_->NowMs();
        GB_RETURN_IF_ERROR(txn.UpdateIncident(*inc));
        GB_RETURN_IF_ERROR(Record(txn, *inc, "updated", kSystem, "", ""));
      }
      return Status::Ok();
    });
    if (!s.ok()) return WithContext(s, "cannot apply the changed SLAs");
    if (page.size() < static_cast<size_t>(open.limit)) break;
    open.before_id = page.back().id;
  }
  return CheckSlas();
}

}  // namespace gb
