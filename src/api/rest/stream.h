// GET /api/v1/stream: incident changes as Server-Sent Events. Each message carries the
// change's sequence number as its id, so a client that reconnects with Last-Event-ID (or
// ?last_event_id=) resumes exactly where it stopped. Filters: department, area.
//
// Every stream reads through one ChangeFeed (change_feed.h), which encodes each change once
// for all of them; the server holds at most its budget unsent for a client (server.h).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterStreamRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
