// Helpers shared by the REST handlers: JSON bodies, the query string, the acting user,
// Idempotency-Key replay and cursor pages.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/context.h"
#include "api/http.h"
#include "api/router.h"
#include "incidents/incident_json.h"

namespace gb::rest {

// The body as a JSON object; Invalid (naming the problem) for malformed JSON, a non-object
// or a body larger than `limit`.
Result<nlohmann::json> JsonBody(const http::Request& req, size_t limit);

// The query string as parameters; Invalid for bad percent-escapes.
Result<http::Params> Query(const http::Request& req);

Actor ActorOf(const http::Request& req);

// The path parameter {id} as a positive id; Invalid ("<what> id must be …") otherwise.
Result<Id> IdParam(const http::Request& req, std::string_view what);

// Wraps a write handler: a request with an Idempotency-Key header that was already answered
// (same caller, method and path) gets the stored answer again instead of a second effect,
// also after a restart (answers are kept in the store). Only successful (2xx) answers are
// remembered. While the first request with a key is still being handled, another one with
// the same key gets 409 with Retry-After (within this hub). With kRequired, a request
// without the header is refused (400).
enum class KeyPolicy { kOptional, kRequired };
http::Handler Idempotent(HubContext& ctx, http::Handler handler, KeyPolicy policy = KeyPolicy::kOptional);

// The usual write on the incident (or task) {id}: reads the JSON body, parses it with
// `parse` (const nlohmann::json& → Result<Model>), hands {id} and the model to `act`
// (Id, const Model& → Result<Incident>) and answers `status` with the incident as the
// caller's role sees it. Each failure is answered with its error.
template <typename Parse, typename Act>
http::Response WriteIncident(HubContext& ctx, const http::Request& req, std::string_view what, Parse parse, Act act,
                             int status = 200) {
  auto id = IdParam(req, what);
  if (!id.ok()) return http::ErrorFor(id.status());
  auto body = JsonBody(req, ctx.settings.limits.max_json_body_bytes);
  if (!body.ok()) return http::ErrorFor(body.status());
  auto model = parse(*body);
  if (!model.ok()) return http::ErrorFor(model.status());
  auto result = act(*id, *model);
  if (!result.ok()) return http::ErrorFor(result.status());
  return http::Json(status, IncidentJsonText(*result, req.principal->role));
}

// {"items": [...], "next_cursor": "123"} — next_cursor is null on the last page.
std::string Page(nlohmann::json items, std::optional<std::int64_t> next_cursor);

}  // namespace gb::rest
