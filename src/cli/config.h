// The hub's TOML configuration file. Every key is optional and has the default shown in
// docs/config.md; command-line flags override the file.
#pragma once

#include <string>

#include "cli/hub.h"

namespace gb {

// Reads `path` into `options` (keys absent from the file keep their current values).
// Invalid naming the key for wrong types, unknown keys or out-of-range values.
Status LoadConfigFile(const std::string& path, HubOptions& options);

// "HOST:PORT" → options.server.host/port.
Status ParseListen(const std::string& listen, HubOptions& options);

}  // namespace gb
