// Where the program's read-only data comes from: the web pages, the demo district and the
// detection models.
//
// Lookup order, decided once for all of that data and never file by file:
//   1. The installed data directory, <directory of the running binary>/../share/glassbrain
//      (the binary's path read from /proc/self/exe): what `cmake --install` and the Debian
//      package lay out as <prefix>/bin/glassbrain beside <prefix>/share/glassbrain/{web,demo,
//      models}. Found from the binary rather than from a prefix fixed at build time, so that
//      an install relocated anywhere (a DESTDIR tree, a copy) runs on its own files.
//   2. Otherwise the source and build tree the binary was built from: a developer running
//      build/<preset>/glassbrain from a checkout.
// All or nothing, so that an installed hub never serves one file from a checkout that
// happens to sit on the same machine. An explicit setting (paths.web_dir, `demo --district`)
// is used as given and bypasses both.
#pragma once

#include <string>

namespace gb {

// The installed data directory of the running binary, e.g. "/usr/share/glassbrain"; "" when
// the binary has none beside it (it runs from its build tree). Looked up once.
const std::string& InstalledDataDir();

// `installed` (relative to the installed data directory, e.g. "web") when the binary has an
// installed data directory, else `built` (the path in the source or build tree).
std::string DataPath(const std::string& installed, const std::string& built);

// A detection model: models/<the file name of `built`> in the installed data directory, else
// `built` (the model in the checkout or the build tree).
std::string ModelPath(const std::string& built);

// Where DataPath looks, for messages: "the installed data directory /usr/share/glassbrain"
// or "the source tree it was built from".
std::string DataOrigin();

}  // namespace gb
