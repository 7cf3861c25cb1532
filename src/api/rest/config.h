// Admin endpoints for the district configuration: areas, cameras, departments, routing
// rules, services, sensors, SLAs, response templates (read by all staff) and evidence
// purposes. A change is validated as part of the whole district (a rule
// must name an existing department, …), stored, and published as a new catalog snapshot.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterConfigRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
