#include "api/rest/requests.h"

#include <charconv>
#include <cmath>
#include <set>

namespace gb::rest {
namespace {

using nlohmann::json;

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

// An optional string member of at most `max` bytes; absent and null leave `out` alone.
Status OptionalString(const json& body, const char* key, std::string& out, size_t max) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Status::Invalid(std::string(key) + " must be a string");
  const auto& v = it->get_ref<const std::string&>();
  if (v.size() > max) return Status::Invalid(std::string(key) + " is longer than " + std::to_string(max) + " bytes");
  out = v;
  return Status::Ok();
}

Status RequiredString(const json& body, const char* key, std::string& out, size_t max) {
  GB_RETURN_IF_ERROR(OptionalString(body, key, out, max));
  if (out.empty()) return Status::Invalid(std::string(key) + " is required");
  return Status::Ok();
}

Result<double> NumberParam(const http::Params& q, const char* key) {
  auto v = http::FormValue(q, key);
  if (!v || v->empty()) return Status::Invalid(std::string(key) + " is required (a number)");
  double n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || !std::isfinite(n))
    return Status::Invalid(std::string(key) + " must be a number");
  return n;
}

// category (required) and a place: lat and lon.
Status CategoryAndPlace(const http::Params& q, std::string& category, LatLon& at) {
  category = http::FormValue(q, "category").value_or("");
  if (category.empty()) return Status::Invalid("category is required (a service_code)");
  auto lat = NumberParam(q, "lat");
  if (!lat.ok()) return lat.status();
  auto lon = NumberParam(q, "lon");
  if (!lon.ok()) return lon.status();
  if (!ValidLatLon(*lat, *lon)) return Status::Invalid("lat must be in [-90, 90] and lon in [-180, 180]");
  at = LatLon{*lat, *lon};
  return Status::Ok();
}

Result<std::optional<TimeMs>> TimeParam(const http::Params& q, const char* key) {
  auto v = http::FormValue(q, key);
  if (!v || v->empty()) return std::optional<TimeMs>();
  auto t = ParseRfc3339(*v);
  if (!t) return Status::Invalid(std::string(key) + " must be an RFC 3339 time, e.g. 2026-11-24T10:15:02Z");
  return std::optional<TimeMs>(*t);
}

}  // namespace

Result<std::int64_t> IntParam(const http::Params& q, std::string_view key, std::int64_t fallback, std::int64_t min,
                              std::int64_t max) {
  auto v = http::FormValue(q, key);
  if (!v) return fallback;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < min || n > max)
    return Status::Invalid(std::string(key) + " must be a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max));
  return n;
}

Result<IncidentFilter> ParseIncidentFilter(const http::Params& q) {
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
  for (auto [key, target] : {std::pair{"from", &f.updated_from}, std::pair{"to", &f.updated_to}}) {
    auto t = TimeParam(q, key);
    if (!t.ok()) return t.status();
    if (*t) *target = **t;
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
  if (auto v = http::FormValue(q, "overdue")) {
    if (*v != "true" && *v != "false") return Status::Invalid("overdue must be true or false");
    f.overdue = *v == "true";
  }
  auto cursor = IntParam(q, "cursor", 0, 0, INT64_MAX);
  if (!cursor.ok()) return cursor.status();
  f.before_id = *cursor;
  auto limit = IntParam(q, "limit", 100, 1, 1000);
  if (!limit.ok()) return limit.status();
  f.limit = static_cast<int>(*limit);
  return f;
}

Result<TransitionRequest> ParseTransition(const json& body) {
  auto to = body.find("to");
  if (to == body.end() || !to->is_string()) return Status::Invalid("\"to\" must name the new state");
  auto state = ParseState(to->get<std::string>());
  if (!state) return Status::Invalid("unknown state '" + to->get<std::string>() + "'");
  TransitionRequest tr{*state, "", "", ""};
  GB_RETURN_IF_ERROR(OptionalString(body, "note", tr.note, kMaxCommentBytes));
  GB_RETURN_IF_ERROR(OptionalString(body, "assignee", tr.assignee, 100));
  GB_RETURN_IF_ERROR(OptionalString(body, "template_id", tr.template_id, 100));
  return tr;
}

Result<std::vector<Id>> ParseIdList(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return Status::Invalid(std::string(key) + " must be an array of ids");
  if (it->size() > kMaxIdsPerBody)
    return Status::Invalid(std::string(key) + " holds at most " + std::to_string(kMaxIdsPerBody) + " ids");
  std::vector<Id> ids;
  std::set<Id> seen;
  for (const auto& v : *it) {
    if (!v.is_number_integer() || v.get<Id>() <= 0) return Status::Invalid(std::string(key) + " must hold positive ids");
    if (!seen.insert(v.get<Id>()).second)
      return Status::Invalid(std::string(key) + " names " + std::to_string(v.get<Id>()) + " twice");
    ids.push_back(v.get<Id>());
  }
  return ids;
}

Result<DepartmentChange> ParseDepartmentChange(const json& body) {
  DepartmentChange out;
  GB_RETURN_IF_ERROR(RequiredString(body, "department_id", out.department_id, 100));
  GB_RETURN_IF_ERROR(RequiredString(body, "reason", out.reason, kMaxReasonBytes));
  return out;
}

Result<TaskActionRequest> ParseTaskActionBody(const json& body) {
  TaskActionRequest out;
  std::string action;
  GB_RETURN_IF_ERROR(RequiredString(body, "action", action, 20));
  auto parsed = ParseTaskAction(action);
  if (!parsed) return Status::Invalid("action must be on_my_way, start, resolve or note, got '" + action + "'");
  out.action = *parsed;
  GB_RETURN_IF_ERROR(OptionalString(body, "note", out.note, kMaxCommentBytes));
  GB_RETURN_IF_ERROR(OptionalString(body, "template_id", out.template_id, 100));
  if (auto it = body.find("photos"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Status::Invalid("photos must be an array of evidence refs");
    for (const auto& p : *it) {
      if (!p.is_string()) return Status::Invalid("photos must be an array of evidence refs");
      out.photos.push_back(p.get<std::string>());
    }
  }
  std::string client_at;
  GB_RETURN_IF_ERROR(OptionalString(body, "client_at", client_at, 64));
  if (!client_at.empty()) {
    auto t = ParseRfc3339(client_at);
    if (!t) return Status::Invalid("client_at must be an RFC 3339 time");
    out.client_at = *t;
  }
  return out;
}

Result<FeedbackBody> ParseFeedback(const json& body) {
  FeedbackBody out;
  GB_RETURN_IF_ERROR(RequiredString(body, "token", out.token, 100));
  auto fixed = body.find("fixed");
  if (fixed == body.end() || !fixed->is_boolean()) return Status::Invalid("fixed must be true or false");
  out.feedback.fixed = fixed->get<bool>();
  GB_RETURN_IF_ERROR(OptionalString(body, "comment", out.feedback.comment, kMaxCommentBytes));
  return out;
}

Result<NearbyQuery> ParseNearby(const http::Params& q, bool staff) {
  NearbyQuery out;
  GB_RETURN_IF_ERROR(CategoryAndPlace(q, out.category, out.at));
  const double max = staff ? kStaffNearbyMaxMeters : kPublicNearbyMaxMeters;
  out.radius_m = kPublicNearbyMaxMeters;
  if (auto v = http::FormValue(q, "radius_m"); v && !v->empty()) {
    auto r = NumberParam(q, "radius_m");
    if (!r.ok()) return r.status();
    if (*r <= 0 || *r > max)
      return Status::Invalid("radius_m must be above 0 and at most " + std::to_string(static_cast<int>(max)) +
                             (staff ? "" : " (staff may look up to 1000)"));
    out.radius_m = *r;
  }
  return out;
}

Result<TimeRange> ParseStatsRange(const http::Params& q, TimeMs now, int utc_offset_minutes) {
  auto from = TimeParam(q, "from");
  if (!from.ok()) return from.status();
  auto to = TimeParam(q, "to");
  if (!to.ok()) return to.status();
  constexpr TimeMs kDay = 86'400'000;
  TimeRange r;
  r.from = from->value_or(LocalDayStart(now, utc_offset_minutes));
  r.to = to->value_or(r.from + kDay);  // a day from `from`: today by default
  if (r.to <= r.from) return Status::Invalid("to must be after from");
  if (r.to - r.from > kMaxStatsSpanMs) return Status::Invalid("from and to may be at most 31 days apart");
  return r;
}

Result<MonthRange> ParseMonth(const http::Params& q, TimeMs now, int utc_offset_minutes) {
  auto v = http::FormValue(q, "month");
  LocalMonth month;
  if (!v || v->empty()) {
    month = LocalMonthOf(now, utc_offset_minutes, 1);
  } else {
    auto parsed = ParseLocalMonth(*v, utc_offset_minutes);
    if (!parsed) return Status::Invalid("month must be YYYY-MM, e.g. 2026-11");
    month = std::move(*parsed);
  }
  return MonthRange{month.name, {month.start, month.end}};
}

Result<ExplainQuery> ParseExplain(const http::Params& q, TimeMs now) {
  ExplainQuery out;
  GB_RETURN_IF_ERROR(CategoryAndPlace(q, out.category, out.at));
  auto when = TimeParam(q, "at");
  if (!when.ok()) return when.status();
  out.when = when->value_or(now);
  return out;
}

}  // namespace gb::rest
