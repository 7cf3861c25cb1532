// Helpers shared by the REST handlers: JSON bodies, query parameters, the acting user,
// Idempotency-Key replay and cursor pages.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/context.h"
#include "api/http.h"
#include "api/router.h"

namespace gb::rest {

// The body as a JSON object; Invalid (naming the problem) for malformed JSON, a non-object
// or a body larger than `limit`.
Result<nlohmann::json> JsonBody(const http::Request& req, size_t limit);

// The query string as parameters; Invalid for bad percent-escapes.
Result<http::Params> Query(const http::Request& req);

// Integer query parameter in [min, max]; Invalid naming the parameter otherwise.
Result<std::int64_t> IntParam(const http::Params& q, std::string_view key, std::int64_t fallback, std::int64_t min,
                              std::int64_t max);

Actor ActorOf(const http::Request& req);

// Wraps a write handler: a request with an Idempotency-Key header that was already answered
// (same caller, method and path) gets the stored answer again instead of a second effect.
// Only successful (2xx) answers are remembered. While the first request with a key is still
// being handled, another one with the same key gets 409 with Retry-After (within this hub).
http::Handler Idempotent(HubContext& ctx, http::Handler handler);

// {"items": [...], "next_cursor": "123"} — next_cursor is null on the last page.
std::string Page(nlohmann::json items, std::optional<std::int64_t> next_cursor);

}  // namespace gb::rest
