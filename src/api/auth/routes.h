// The session endpoints of DESIGN.md §3:
//   POST   /api/v1/session  public. Body (Content-Type: application/json, ≤ 4 KiB)
//                           {"name": "…", "password": "…"}. 200 {"name","role","csrf_token",
//                           "expires_at"} with Set-Cookie; 400 malformed body, 401 wrong name
//                           or password, 413 body too large, 415 not JSON, 429 too many
//                           failed sign-ins (with Retry-After).
//   GET    /api/v1/session  any role. 200 {"name","role"} and, for a cookie session,
//                           "csrf_token" (so a reloaded page can recover it).
//   DELETE /api/v1/session  staff roles; a cookie caller must send X-CSRF-Token (the router
//                           checks it). Ends the session, clears the cookie, 204.
// Requiring application/json makes a cross-site sign-in attempt need a CORS preflight,
// which the hub does not grant (login CSRF).
//
// REQUIRED: `auth` outlives the router; the router's authenticator is `auth`.
#pragma once

#include "api/auth/sessions.h"
#include "api/router.h"

namespace gb::auth {

// `max_login_body_bytes`: Limits::max_login_body_bytes (413 above, before any hashing).
void RegisterSessionRoutes(http::Router& router, SessionAuthenticator& auth, std::size_t max_login_body_bytes);

}  // namespace gb::auth
