// Operations endpoints: /healthz (the process answers), /readyz (the store answers),
// /metrics (Prometheus text) and /api/v1/openapi.json (generated from the routes).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterOpsRoutes(http::Router& router, HubContext& ctx);

// The OpenAPI 3.1 document for every route registered so far. Call after all routes.
std::string OpenApiDocument(const http::Router& router);

}  // namespace gb::rest
