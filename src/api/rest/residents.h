// What residents' pages read and send besides Open311 (all public, DESIGN.md §4.7: only
// what the transparency page would show):
//   GET  /api/v1/public/nearby             open incidents of a category near a point
//   GET  /api/v1/public/incidents/{id}     one incident's public fields and Open311 status
//   POST /api/v1/public/requests/{id}/feedback   "was it fixed?" from the one who reported it
// Feedback is rate-limited per client address (ApiSettings::feedback_per_minute).
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterResidentRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
