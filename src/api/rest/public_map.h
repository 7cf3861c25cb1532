// GET /api/v1/public/map: what the public may see (DESIGN.md §4.7): areas, cameras with
// their coverage and purpose, and open incidents without evidence or personal data.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterPublicRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
