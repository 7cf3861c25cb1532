// The bodies and query strings of the REST API as models: each Parse* function reads one
// request's input, checks it against the limits written here, and returns the model or
// Invalid naming the field and what was expected. Handlers (api/rest/*.cpp) only parse,
// call the service and answer; these functions need no server, store or clock beyond the
// `now` they are given, so tests call them directly.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "core/status.h"
#include "incidents/service.h"
#include "store/store.h"

namespace gb::rest {

inline constexpr size_t kMaxIdsPerBody = 1000;
inline constexpr size_t kMaxReasonBytes = 500;
inline constexpr size_t kMaxCommentBytes = 2000;
inline constexpr double kPublicNearbyMaxMeters = 250;
inline constexpr double kStaffNearbyMaxMeters = 1000;
inline constexpr int kMaxNearbyItems = 5;
inline constexpr TimeMs kMaxStatsSpanMs = 31LL * 86'400'000;

// Integer query parameter in [min, max]; Invalid naming the parameter otherwise.
Result<std::int64_t> IntParam(const http::Params& query, std::string_view key, std::int64_t fallback,
                              std::int64_t min, std::int64_t max);

// GET /api/v1/incidents (and /api/v1/tasks): state, category, department, area, from, to
// (RFC 3339, on updated_at), bbox (min_lon,min_lat,max_lon,max_lat), overdue (true|false),
// cursor, limit (1–1000, default 100).
Result<IncidentFilter> ParseIncidentFilter(const http::Params& query);

// POST …/transitions: {"to", "note", "assignee", "template_id"}.
Result<TransitionRequest> ParseTransition(const nlohmann::json& body);

// {"<key>": [positive ids]} with at most kMaxIdsPerBody, none twice.
Result<std::vector<Id>> ParseIdList(const nlohmann::json& body, const char* key);

// POST …/department: {"department_id", "reason"}.
struct DepartmentChange {
  std::string department_id;
  std::string reason;  // 1 – kMaxReasonBytes
};
Result<DepartmentChange> ParseDepartmentChange(const nlohmann::json& body);

// POST /api/v1/tasks/{id}/actions: {"action", "note", "photos", "template_id", "client_at"}.
Result<TaskActionRequest> ParseTaskActionBody(const nlohmann::json& body);

// POST /api/v1/public/requests/{id}/feedback: {"token", "fixed", "comment"}.
struct FeedbackBody {
  std::string token;
  ResidentFeedback feedback;
};
Result<FeedbackBody> ParseFeedback(const nlohmann::json& body);

// GET /api/v1/public/nearby: category, lat, lon, radius_m (default and most: 250 m for the
// public, 1000 m for staff).
struct NearbyQuery {
  std::string category;
  LatLon at;
  double radius_m = kPublicNearbyMaxMeters;
};
Result<NearbyQuery> ParseNearby(const http::Params& query, bool staff);

// A time range [from, to).
struct TimeRange {
  TimeMs from = 0, to = 0;
};
// GET /api/v1/stats: from, to (RFC 3339). Default: today, local midnight to midnight at
// the district's UTC offset. At most kMaxStatsSpanMs.
Result<TimeRange> ParseStatsRange(const http::Params& query, TimeMs now, int utc_offset_minutes);
// GET /api/v1/public/stats: month=YYYY-MM in local time; default the month before `now`.
struct MonthRange {
  std::string month;  // "2026-11"
  TimeRange range;
};
Result<MonthRange> ParseMonth(const http::Params& query, TimeMs now, int utc_offset_minutes);

// GET /api/v1/routing/explain: category, lat, lon, at (RFC 3339; default now).
struct ExplainQuery {
  std::string category;
  LatLon at;
  TimeMs when = 0;
};
Result<ExplainQuery> ParseExplain(const http::Params& query, TimeMs now);

}  // namespace gb::rest
