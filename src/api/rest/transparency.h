// What the public transparency page reads (public, counts only, DESIGN.md §4.7):
//   GET /api/v1/public/purposes   the purposes staff state when they look at evidence
//   GET /api/v1/public/audit-head the audit log's hash chain head (store/audit_chain.h), so
//                                 that a digest noted today proves later the log was not rewritten
//   GET /api/v1/public/stats      one month's evidence views per purpose, reports, incidents
//                                 opened, resolved and reopened: counted from the audit log
// Purposes are rendered once per district revision, a month's figures at most once a minute
// (they read a month of the audit log): http::DocumentCache, with ETags.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterTransparencyRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
