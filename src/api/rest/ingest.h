// The ingest endpoints: POST /api/v1/events:batch and PUT /api/v1/evidence/{ref}, for
// edge agents and integrations (bearer tokens of role edge or integration). Parsing and the
// batch logic live in src/ingest/; these handlers only speak HTTP.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterIngestRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
