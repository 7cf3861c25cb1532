// REST endpoints for incidents and crew tasks (/api/v1/incidents…, /api/v1/tasks).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterIncidentRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
