// `glassbrain user …` and `glassbrain token …`: staff accounts and machine tokens, on a
// store that may be in use by a running hub (each change ends the sessions it must at once).
//
//   user add --name N --role R      password from standard input
//   user passwd --name N            password from standard input; ends N's sessions
//   user disable|enable --name N    disabling ends N's sessions
//   user remove --name N            ends N's sessions; the audit log keeps N's entries
//   user list
//   token create --name N --role R [--expires-days D] [--rotate [--grace-minutes M]]
//   token revoke --name N
//   token list                      name, role, created, expires, last used; never a secret
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace gb {

// The parsed options and the subcommands they belong to.
struct AccountCommands {
  std::string store_url, name, role;
  int expires_days = 0;
  int grace_minutes = 0;
  bool rotate = false;
  CLI::App *user_add = nullptr, *user_passwd = nullptr, *user_disable = nullptr, *user_enable = nullptr,
           *user_remove = nullptr, *user_list = nullptr;
  CLI::App *token_create = nullptr, *token_revoke = nullptr, *token_list = nullptr;
};

// Adds the subcommands to `app`; `commands` must outlive parsing and RunIfParsed.
void AddAccountCommands(CLI::App& app, AccountCommands& commands);

// Runs the subcommand that was parsed and returns its exit status; nullopt when none of
// these was.
std::optional<int> RunIfParsed(const AccountCommands& commands);

}  // namespace gb
