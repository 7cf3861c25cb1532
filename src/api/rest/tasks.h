// REST endpoints for crew members and their tasks (/api/v1/tasks…) and the desk's list of
// crew members (/api/v1/crew).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterTaskRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
