// GET /api/v1/stream: incident changes as Server-Sent Events. Each message carries the
// change's sequence number as its id, so a client that reconnects with Last-Event-ID (or
// ?last_event_id=) resumes exactly where it stopped. Filters: department, area.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterStreamRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
