#include "api/rest/tasks.h"

#include <algorithm>
#include <unordered_map>

#include "api/rest/common.h"
#include "api/rest/requests.h"
#include "incidents/incident_json.h"
#include "privacy/evidence/photo_intake.h"

namespace gb::rest {
namespace {

using nlohmann::json;

// The caller's open task {id}: Forbidden for someone else's, NotFound when there is none.
Result<Incident> OwnTask(HubContext& ctx, const http::Request& req) {
  auto id = IdParam(req, "task");
  if (!id.ok()) return id.status();
  auto read = ctx.store.GetIncident(*id);
  if (!read.ok()) return read.status();
  std::optional<Incident>& inc = *read;
  if (!inc) return Status::NotFound("no task " + std::to_string(*id));
  if (inc->assignee != req.principal->name) return Status::Forbidden("this task is not assigned to you");
  return std::move(*inc);
}

// `tasks` in the order the crew member chose: the ones they placed first, by place, then
// the rest as listed (newest first).
void SortByOrder(std::vector<Incident>& tasks, const std::vector<Id>& order) {
  std::unordered_map<Id, size_t> place;
  for (size_t i = 0; i < order.size(); ++i) place.emplace(order[i], i);
  std::stable_sort(tasks.begin(), tasks.end(), [&](const Incident& a, const Incident& b) {
    auto pa = place.find(a.id), pb = place.find(b.id);
    size_t ra = pa == place.end() ? order.size() : pa->second;
    size_t rb = pb == place.end() ? order.size() : pb->second;
    return ra < rb;
  });
}

}  // namespace

void RegisterTaskRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> crew = {Role::kCrew};

  router.Add("GET", "/api/v1/tasks", crew, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    auto f = ParseIncidentFilter(*q);
    if (!f.ok()) return http::ErrorFor(f.status());
    f->assignee = req.principal->name;
    if (f->states.empty()) f->states = {IncidentState::kDispatched, IncidentState::kInProgress};
    auto order = ctx.store.TaskOrder(req.principal->name);
    if (!order.ok()) return http::ErrorFor(order.status());
    auto listed = ctx.store.ListIncidents(*f);
    if (!listed.ok()) return http::ErrorFor(listed.status());
    std::vector<Incident>& tasks = *listed;
    const bool full = static_cast<int>(tasks.size()) == f->limit && !tasks.empty();
    std::optional<std::int64_t> next;
    if (full) next = tasks.back().id;
    SortByOrder(tasks, *order);
    json arr = json::array();
    for (const auto& t : tasks) arr.push_back(IncidentToJson(t, Role::kCrew));
    return http::Json(200, Page(std::move(arr), next));
  }, "The calling crew member's tasks (dispatched and in progress by default), in their own order");

  router.Add("PUT", "/api/v1/tasks/order", crew, Idempotent(ctx, [&ctx](http::Request& req) {
    auto body = JsonBody(req, ctx.settings.limits.max_json_body_bytes);
    if (!body.ok()) return http::ErrorFor(body.status());
    auto ids = ParseIdList(*body, "ids");
    if (!ids.ok()) return http::ErrorFor(ids.status());
    Status s = ctx.store.Write([&](WriteTxn& txn) -> Status {
      GB_RETURN_IF_ERROR(txn.PutTaskOrder(req.principal->name, *ids));
      AuditEntry e{0, ctx.env->NowMs(), req.principal->name, "task.order", "user/" + req.principal->name, "",
                   json{{"ids", *ids}}.dump()};
      return txn.AppendAudit(e);
    });
    if (!s.ok()) return http::ErrorFor(s);
    return http::Json(200, json{{"ids", *ids}}.dump());
  }), "The order in which GET /api/v1/tasks lists the caller's tasks: {\"ids\": [task ids, first first]}");

  router.Add("POST", "/api/v1/tasks/{id}/actions", crew, Idempotent(ctx, [&ctx](http::Request& req) {
    return WriteIncident(ctx, req, "task", ParseTaskActionBody, [&](Id id, const TaskActionRequest& action) {
      return ctx.incidents.Act(id, action, ActorOf(req));
    });
  }, KeyPolicy::kRequired), "Act on an own task (Idempotency-Key required): {\"action\": \"on_my_way\"|\"start\"|"
     "\"resolve\"|\"note\", \"note\", \"photos\", \"template_id\", \"client_at\"}; a step already passed is 409");

  router.Add("POST", "/api/v1/tasks/{id}/photos", crew, Idempotent(ctx, [&ctx](http::Request& req) {
    if (!req.Header("content-type").starts_with("image/jpeg"))
      return http::JsonError(415, "send the photo as Content-Type: image/jpeg");
    auto task = OwnTask(ctx, req);
    if (!task.ok()) return http::ErrorFor(task.status());
    if (!IsOpen(task->state)) return http::JsonError(409, "the task is closed; photos go with open tasks");
    auto photo = IntakePhoto(ctx.anonymizer, ctx.evidence, req.body, ctx.settings.limits.images);
    if (!photo.ok()) return http::ErrorFor(photo.status());
    bool created = false;
    Status s = ctx.store.Write([&](WriteTxn& txn) -> Status {
      auto put = StorePhoto(txn, ctx.evidence, *photo, req.principal->name, ctx.env->NowMs(),
                            json{{"via", "task"}, {"incident_id", task->id}}.dump());
      if (!put.ok()) return put.status();
      created = *put;
      return Status::Ok();
    });
    if (!s.ok()) return http::ErrorFor(s);
    return http::Json(created ? 201 : 200, json{{"evidence", photo->ref},
                                                {"faces_blurred", photo->image.faces_blurred},
                                                {"people_blurred", photo->image.people_blurred}}
                                               .dump());
  }), "A photo for an own open task (image/jpeg): anonymized and stored; 201 {\"evidence\": \"sha256:…\"}; "
      "name it in an action's photos");

  router.Add("GET", "/api/v1/crew", {Role::kAdmin, Role::kDispatcher}, [&ctx](http::Request&) {
    auto open = ctx.store.CountOpenTasks();
    if (!open.ok()) return http::ErrorFor(open.status());
    std::unordered_map<std::string, std::int64_t> counts(open->begin(), open->end());
    auto users = ctx.store.ListUsers();
    if (!users.ok()) return http::ErrorFor(users.status());
    json items = json::array();
    for (const User& u : *users)
      if (u.role == Role::kCrew) items.push_back({{"name", u.name}, {"open_tasks", counts[u.name]}});
    return http::Json(200, json{{"items", std::move(items)}}.dump());
  }, "Crew members to dispatch to, with their open tasks: {\"items\": [{\"name\", \"open_tasks\"}]}");
}

}  // namespace gb::rest
