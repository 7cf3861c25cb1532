// Serves the web pages from a directory (web/dist once built): GET only, no directory
// listing, no path that leaves the directory ("..", "//", a backslash, NUL, or a symlink
// pointing outside).
//
//   /            → DIR/index.html
//   /crew/       → DIR/crew/index.html (any directory with a trailing slash)
//   /crew?x=1    → 301 to /crew/?x=1 when DIR/crew is a directory (the query is kept)
//   /app.js      → the file, with its content type, and an ETag from its size and time
//
// Every answer (pages, assets and the error pages) carries kPageSecurityHeaders: a strict
// Content-Security-Policy (no inline script or style, no eval; blob: for MapLibre's
// workers and images), nosniff and no referrer. A directory that does not exist is not an
// error at start-up: every page then answers 503 with a short HTML page saying that the
// pages are not installed (the hub's API keeps working).
//
// Thread-safety: the returned handler may run on any thread; it keeps no mutable state.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "api/router.h"

namespace gb {

// The headers of every static answer, in order.
inline constexpr std::pair<std::string_view, std::string_view> kPageSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' blob: data:; worker-src 'self' blob:; child-src 'self' blob:; "
     "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
};

// The content type for a file name, by its extension ("application/octet-stream" when unknown).
std::string_view ContentTypeOf(std::string_view file_name);

http::Handler StaticFiles(std::string dir);

}  // namespace gb
