// Evidence reads (each audited with a stated purpose) and the audit log itself.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb::rest {

void RegisterPrivacyRoutes(http::Router& router, HubContext& ctx);

}  // namespace gb::rest
