// The hub the HTTP fuzz targets send requests to: the demo district on a fresh store in a
// temporary directory (under $TMPDIR, else in memory under /dev/shm where the machine has
// one), one account per role, a token per machine role, a signed-in admin, and a few
// incidents so that the change stream has something to send. Requests reach Hub::router() without a socket. Made
// on first use, once per process; the directory is removed when the process exits.
//
// Credentials are random, so inputs name them by placeholder and WithCredentials() puts in
// the real ones: {edge_token}, {integration_token}, {session} (the admin's session cookie
// value) and {csrf} (its CSRF token). The fuzz dictionaries hold the placeholders.
#pragma once

#include <string>
#include <string_view>

#include "cli/hub.h"

namespace gb::fuzz {

struct FuzzHub {
  std::unique_ptr<Hub> hub;
  std::string dir;
  std::string edge_token, integration_token, session, csrf;
};

FuzzHub& TheHub();

// `input` with every placeholder replaced by the credential it names.
std::string WithCredentials(std::string_view input);

}  // namespace gb::fuzz
