// What every glassbrain subcommand shares: how a failure is printed and exits, how a
// command's store is opened, and how a password is read.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace gb {

// Prints "glassbrain: <message>" to standard error; returns the exit status: 2 for bad
// input (a usage error), 1 for anything else.
int Fail(const Status& s);

// Opens the store of a command. Only `import` and `demo` create one (with its directory):
// every other command needs an existing store, so that a mistyped path is an error instead
// of a new empty database.
Status StoreExists(const std::string& url);
enum class IfMissing { kCreate, kFail };
Result<std::unique_ptr<Store>> OpenCommandStore(const std::string& url, IfMissing if_missing = IfMissing::kFail);

// One line from standard input, without its line ending; Invalid when there is none.
Result<std::string> ReadPasswordFromStdin();

}  // namespace gb
