// What the dispatcher's desk and the admin's routing tester read besides incidents:
//   GET /api/v1/stats              live figures: open incidents by department and category,
//                                  overdue, median time to resolve, opened and resolved per hour
//   GET /api/v1/routing/explain    the routing decision for a category, place and time
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterDeskRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
