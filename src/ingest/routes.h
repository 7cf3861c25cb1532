// The ingest endpoints: POST /api/v1/events:batch and PUT /api/v1/evidence/{ref}, for
// edge agents and integrations (bearer tokens of role edge or integration).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb {

void RegisterIngestRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb
