#include "api/rest/incidents.h"

#include "api/rest/common.h"
#include "api/rest/requests.h"
#include "incidents/incident_json.h"

namespace gb::rest {
namespace {

using nlohmann::json;

constexpr std::string_view kIncidentAction = "incident.";

http::Response ListPage(HubContext& ctx, const IncidentFilter& f, Role viewer) {
  auto listed = ctx.store.ListIncidents(f);
  if (!listed.ok()) return http::ErrorFor(listed.status());
  const std::vector<Incident>& items = *listed;
  json arr = json::array();
  for (const auto& i : items) arr.push_back(IncidentToJson(i, viewer));
  std::optional<std::int64_t> next;
  if (static_cast<int>(items.size()) == f.limit && !items.empty()) next = items.back().id;
  return http::Json(200, Page(std::move(arr), next));
}

// The incident of the request's {id} as the caller may see it: crew members only see their
// own tasks (others are "not found", so that ids reveal nothing).
Result<Incident> VisibleIncident(HubContext& ctx, const http::Request& req) {
  auto id = IdParam(req, "incident");
  if (!id.ok()) return id.status();
  auto read = ctx.store.GetIncident(*id);
  if (!read.ok()) return read.status();
  std::optional<Incident>& inc = *read;
  if (!inc || (req.principal->role == Role::kCrew && inc->assignee != req.principal->name))
    return Status::NotFound("no incident " + std::to_string(*id));
  return std::move(*inc);
}

// One audit entry of an incident as a history item: {at, actor, type, from, to, note,
// assignee, department_id} (null where the entry has none), plus photos and client_at
// when the entry has them. `type` is the audit action without "incident.".
json HistoryItem(const AuditEntry& e) {
  json detail = json::parse(e.detail, nullptr, false);
  if (!detail.is_object()) detail = json::object();
  auto field = [&](const char* key) { return detail.contains(key) ? detail[key] : json(nullptr); };
  std::string type = e.action.starts_with(kIncidentAction) ? e.action.substr(kIncidentAction.size()) : e.action;
  json item = {{"at", FormatRfc3339(e.at)},
               {"actor", e.actor},
               {"type", type},
               {"from", field("from")},
               {"to", type == "create" ? field("state") : field("to")},
               {"note", field("note")},
               {"assignee", field("assignee")},
               {"department_id", field("department_id")}};
  for (const char* extra : {"photos", "client_at", "from_department"})
    if (detail.contains(extra)) item[extra] = detail[extra];
  return item;
}

}  // namespace

void RegisterIncidentRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> desk = {Role::kAdmin, Role::kDispatcher};
  const std::vector<Role> desk_and_crew = {Role::kAdmin, Role::kDispatcher, Role::kCrew};

  router.Add("GET", "/api/v1/incidents", desk, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    auto f = ParseIncidentFilter(*q);
    if (!f.ok()) return http::ErrorFor(f.status());
    return ListPage(ctx, *f, req.principal->role);
  }, "List incidents, newest first; filters: state, category, department, area, from, to, bbox, overdue, cursor, "
     "limit");

  router.Add("GET", "/api/v1/incidents/{id}", desk_and_crew, [&ctx](http::Request& req) {
    auto inc = VisibleIncident(ctx, req);
    if (!inc.ok()) return http::ErrorFor(inc.status());
    return http::Json(200, IncidentJsonText(*inc, req.principal->role));
  }, "One incident (crew: their own tasks)");

  router.Add("GET", "/api/v1/incidents/{id}/events", desk, [&ctx](http::Request& req) {
    auto inc = VisibleIncident(ctx, req);
    if (!inc.ok()) return http::ErrorFor(inc.status());
    auto events = ctx.store.EventsOfIncident(inc->id, 1000);
    if (!events.ok()) return http::ErrorFor(events.status());
    json arr = json::array();
    for (const auto& e : *events) arr.push_back(EventToJson(e));
    return http::Json(200, Page(std::move(arr), std::nullopt));
  }, "The observations an incident is made of (at most 1,000, newest first)");

  router.Add("GET", "/api/v1/incidents/{id}/history", desk_and_crew, [&ctx](http::Request& req) {
    auto inc = VisibleIncident(ctx, req);
    if (!inc.ok()) return http::ErrorFor(inc.status());
    AuditFilter f;
    f.object = "incident/" + std::to_string(inc->id);
    f.limit = 1000;
    std::vector<AuditEntry> entries;  // newest first, page after page
    for (int page = 0; page < 10; ++page) {
      auto got = ctx.store.ListAudit(f);
      if (!got.ok()) return http::ErrorFor(got.status());
      entries.insert(entries.end(), got->begin(), got->end());
      if (static_cast<int>(got->size()) < f.limit) break;
      f.before_id = got->back().id;
    }
    json arr = json::array();
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) arr.push_back(HistoryItem(*it));
    return http::Json(200, Page(std::move(arr), std::nullopt));
  }, "What happened to an incident, oldest first: {items: [{at, actor, type, from, to, note, assignee, "
     "department_id}]} (crew: their own tasks)");

  router.Add("POST", "/api/v1/incidents/{id}/transitions", desk_and_crew, Idempotent(ctx, [&ctx](http::Request& req) {
    return WriteIncident(ctx, req, "incident", ParseTransition, [&](Id id, const TransitionRequest& tr) {
      return ctx.incidents.Transition(id, tr, ActorOf(req));
    });
  }), "Move an incident to another state: {\"to\", \"note\", \"assignee\", \"template_id\"}");

  router.Add("POST", "/api/v1/incidents/{id}/merge", desk, Idempotent(ctx, [&ctx](http::Request& req) {
    auto parse = [](const json& body) { return ParseIdList(body, "incidents"); };
    return WriteIncident(ctx, req, "incident", parse, [&](Id id, const std::vector<Id>& sources) {
      return ctx.incidents.Merge(id, sources, ActorOf(req));
    });
  }), "Merge other incidents into this one: {\"incidents\": [ids]}");

  router.Add("POST", "/api/v1/incidents/{id}/split", desk, Idempotent(ctx, [&ctx](http::Request& req) {
    auto parse = [](const json& body) { return ParseIdList(body, "events"); };
    return WriteIncident(ctx, req, "incident", parse, [&](Id id, const std::vector<Id>& events) {
      return ctx.incidents.Split(id, events, ActorOf(req));
    }, 201);
  }), "Split events off into a new incident: {\"events\": [ids]}");

  router.Add("POST", "/api/v1/incidents/{id}/department", desk, Idempotent(ctx, [&ctx](http::Request& req) {
    return WriteIncident(ctx, req, "incident", ParseDepartmentChange, [&](Id id, const DepartmentChange& change) {
      return ctx.incidents.ChangeDepartment(id, change.department_id, change.reason, ActorOf(req));
    });
  }), "Send an open incident to another department: {\"department_id\", \"reason\"}; 409 when closed");
}

}  // namespace gb::rest
