#include "api/rest/incidents.h"

#include <charconv>

#include "api/rest/common.h"
#include "incidents/incident_json.h"

namespace gb::rest {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.push_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

Result<Id> IdParam(const http::Request& req) {
  const std::string& s = req.Param("id");
  Id id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id <= 0)
    return Status::Invalid("incident id must be a positive whole number");
  return id;
}

Result<IncidentFilter> FilterFrom(const http::Params& q) {
  IncidentFilter f;
  if (auto v = http::FormValue(q, "state"))
    for (const auto& s : SplitCommas(*v)) {
      auto st = ParseState(s);
      if (!st) return Status::Invalid("unknown state '" + s + "'");
      f.states.push_back(*st);
    }
  if (auto v = http::FormValue(q, "category")) f.categories = SplitCommas(*v);
  if (auto v = http::FormValue(q, "department")) f.department_id = *v;
  if (auto v = http::FormValue(q, "area")) f.area_id = *v;
  for (auto [key, target] : {std::pair{"from", &f.updated_from}, std::pair{"to", &f.updated_to}})
    if (auto v = http::FormValue(q, key)) {
      auto t = ParseRfc3339(*v);
      if (!t) return Status::Invalid(std::string(key) + " must be an RFC 3339 time");
      *target = *t;
    }
  if (auto v = http::FormValue(q, "bbox")) {
    auto parts = SplitCommas(*v);
    double n[4];
    bool ok = parts.size() == 4;
    for (size_t i = 0; ok && i < 4; ++i) {
      auto [end, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), n[i]);
      ok = ec == std::errc() && end == parts[i].data() + parts[i].size();
    }
    if (!ok || !ValidLatLon(n[1], n[0]) || !ValidLatLon(n[3], n[2]) || n[0] > n[2] || n[1] > n[3])
      return Status::Invalid("bbox must be min_lon,min_lat,max_lon,max_lat in degrees");
    f.bbox = GeoBox(GeoPoint(n[0], n[1]), GeoPoint(n[2], n[3]));
  }
  auto cursor = IntParam(q, "cursor", 0, 0, INT64_MAX);
  if (!cursor.ok()) return cursor.status();
  f.before_id = *cursor;
  auto limit = IntParam(q, "limit", 100, 1, 1000);
  if (!limit.ok()) return limit.status();
  f.limit = static_cast<int>(*limit);
  return f;
}

http::Response ListPage(HubContext& ctx, IncidentFilter f) {
  auto items = ctx.store.ListIncidents(f);
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& i : items) arr.push_back(IncidentToJson(i));
  std::optional<std::int64_t> next;
  if (static_cast<int>(items.size()) == f.limit && !items.empty()) next = items.back().id;
  return http::Json(200, Page(std::move(arr), next));
}

Result<std::vector<Id>> IdList(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return Status::Invalid(std::string(key) + " must be an array of ids");
  std::vector<Id> ids;
  for (const auto& v : *it) {
    if (!v.is_number_integer() || v.get<Id>() <= 0) return Status::Invalid(std::string(key) + " must hold positive ids");
    ids.push_back(v.get<Id>());
  }
  return ids;
}

}  // namespace

void RegisterIncidentRoutes(http::Router& router, HubContext& ctx) {
  const std::vector<Role> desk = {Role::kAdmin, Role::kDispatcher};

  router.Add("GET", "/api/v1/incidents", desk, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    auto f = FilterFrom(*q);
    if (!f.ok()) return http::ErrorFor(f.status());
    return ListPage(ctx, *f);
  }, "List incidents, newest first; filters: state, category, department, area, from, to, bbox, cursor, limit");

  router.Add("GET", "/api/v1/incidents/{id}", {Role::kAdmin, Role::kDispatcher, Role::kCrew},
             [&ctx](http::Request& req) {
    auto id = IdParam(req);
    if (!id.ok()) return http::ErrorFor(id.status());
    auto inc = ctx.store.GetIncident(*id);
    if (!inc || (req.principal->role == Role::kCrew && inc->assignee != req.principal->name))
      return http::JsonError(404, "no incident " + std::to_string(*id));
    return http::Json(200, IncidentJsonText(*inc));
  }, "One incident");

  router.Add("GET", "/api/v1/incidents/{id}/events", desk, [&ctx](http::Request& req) {
    auto id = IdParam(req);
    if (!id.ok()) return http::ErrorFor(id.status());
    if (!ctx.store.GetIncident(*id)) return http::JsonError(404, "no incident " + std::to_string(*id));
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : ctx.store.EventsOfIncident(*id, 1000)) arr.push_back(EventToJson(e));
    return http::Json(200, Page(std::move(arr), std::nullopt));
  }, "The observations an incident is made of (at most 1,000, newest first)");

  router.Add("POST", "/api/v1/incidents/{id}/transitions", {Role::kAdmin, Role::kDispatcher, Role::kCrew},
             Idempotent(ctx, [&ctx](http::Request& req) {
    auto id = IdParam(req);
    if (!id.ok()) return http::ErrorFor(id.status());
    auto body = JsonBody(req, ctx.settings.max_json_body_bytes);
    if (!body.ok()) return http::ErrorFor(body.status());
    auto to = body->find("to");
    if (to == body->end() || !to->is_string()) return http::JsonError(400, "\"to\" must name the new state");
    auto state = ParseState(to->get<std::string>());
    if (!state) return http::JsonError(400, "unknown state '" + to->get<std::string>() + "'");
    TransitionRequest tr{*state, "", ""};
    for (auto [key, target] : {std::pair{"note", &tr.note}, std::pair{"assignee", &tr.assignee}})
      if (auto it = body->find(key); it != body->end()) {
        if (!it->is_string()) return http::JsonError(400, std::string(key) + " must be a string");
        *target = it->get<std::string>();
      }
    auto result = ctx.incidents.Transition(*id, tr, ActorOf(req));
    if (!result.ok()) return http::ErrorFor(result.status());
    return http::Json(200, IncidentJsonText(*result));
  }), "Move an incident to another state: {\"to\", \"note\", \"assignee\"}");

  router.Add("POST", "/api/v1/incidents/{id}/merge", desk, Idempotent(ctx, [&ctx](http::Request& req) {
    auto id = IdParam(req);
    if (!id.ok()) return http::ErrorFor(id.status());
    auto body = JsonBody(req, ctx.settings.max_json_body_bytes);
    if (!body.ok()) return http::ErrorFor(body.status());
    auto ids = IdList(*body, "incidents");
    if (!ids.ok()) return http::ErrorFor(ids.status());
    auto result = ctx.incidents.Merge(*id, *ids, ActorOf(req));
    if (!result.ok()) return http::ErrorFor(result.status());
    return http::Json(200, IncidentJsonText(*result));
  }), "Merge other incidents into this one: {\"incidents\": [ids]}");

  router.Add("POST", "/api/v1/incidents/{id}/split", desk, Idempotent(ctx, [&ctx](http::Request& req) {
    auto id = IdParam(req);
    if (!id.ok()) return http::ErrorFor(id.status());
    auto body = JsonBody(req, ctx.settings.max_json_body_bytes);
    if (!body.ok()) return http::ErrorFor(body.status());
    auto ids = IdList(*body, "events");
    if (!ids.ok()) return http::ErrorFor(ids.status());
    auto result = ctx.incidents.Split(*id, *ids, ActorOf(req));
    if (!result.ok()) return http::ErrorFor(result.status());
    return http::Json(201, IncidentJsonText(*result));
  }), "Split events off into a new incident: {\"events\": [ids]}");

  router.Add("GET", "/api/v1/tasks", {Role::kCrew}, [&ctx](http::Request& req) {
    auto q = Query(req);
    if (!q.ok()) return http::ErrorFor(q.status());
    auto f = FilterFrom(*q);
    if (!f.ok()) return http::ErrorFor(f.status());
    f->assignee = req.principal->name;
    if (f->states.empty()) f->states = {IncidentState::kDispatched, IncidentState::kInProgress};
    return ListPage(ctx, *f);
  }, "The calling crew member's tasks (dispatched and in progress by default)");
}

}  // namespace gb::rest
