// Open311 GeoReport v2 at /open311/v2/ (DESIGN.md §3), with the page/page_size and media
// upload extensions. Every route is public: residents and third-party apps have no login.
// What GET answers is public by design (§4.7): a request's status, service, description,
// place, department name and anonymized photo, never the submitter's email, name, phone,
// device_id or account_id.
//
//   GET  discovery.{json,xml}
//   GET  services.{json,xml}             GET services/{code}.{json,xml}
//   GET  requests.{json,xml}             POST requests.{json,xml}
//   GET  requests/{id}.{json,xml}        GET tokens/{token}.{json,xml}
//   GET  media/{sha256 hex}.jpg          (the photo of a request, see media_url)
//
// Errors use the spec's format ([{code, description}] / <errors>) with the matching HTTP
// status; an unknown format extension is a 404 in that format. docs/open311.md describes
// the behaviour for clients.
//
// Thread-safety: the handlers may run on any thread; the shared state (the per-address
// post limiter, the discovery changeset) is internally synchronised.
#pragma once

#include "api/context.h"
#include "api/router.h"

namespace gb {

// Adds the routes. REQUIRES: ctx outlives the router; call before serving.
void RegisterOpen311Routes(http::Router& router, HubContext& ctx);

}  // namespace gb
