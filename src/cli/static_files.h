// Serves the web pages from a directory: GET only, no directory listing, no path that
// leaves the directory ("..", absolute, NUL), "/" → index.html.
#pragma once

#include <string>

#include "api/router.h"

namespace gb {

http::Handler StaticFiles(std::string dir);

}  // namespace gb
