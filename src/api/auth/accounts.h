// Accounts: adding staff users and creating machine tokens. Used by the CLI
// (`glassbrain user …`) and the REST admin endpoints.
//
// Each change and its audit entry commit in one Store::Write (DESIGN.md §4.5). Passwords
// are stored only as argon2id hashes and token secrets only as their SHA-256; neither is
// ever written to the audit log.
//
// Thread-safety: the functions are as thread-safe as the Store they are given.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "api/auth/password_policy.h"
#include "core/env.h"
#include "core/model.h"
#include "core/status.h"
#include "store/store.h"

namespace gb::auth {

// OK when `name` is 2 to 64 characters of [a-z0-9._-]; Invalid with an explanation otherwise.
// `what` names the thing in the message ("user name", "token name").
Status CheckAccountName(std::string_view name, std::string_view what = "user name");

// Adds a staff user who signs in with a password. REQUIRES nothing; checks that the name
// is valid and free, that the role is a human role (not edge/integration) and that the
// password meets CheckPasswordPolicy. Writes the user and an audit entry "user.add" by
// `actor` together. Returns Invalid, Conflict (name taken) or the store's error.
// The check for a taken name reads before the write, so two concurrent adds of one name
// may both succeed, the later replacing the earlier.
Status AddUser(Store& store, std::string name, Role role, std::string_view password, std::string actor,
               Env* env = Env::Default());

// Sets a new password (checked by CheckPasswordPolicy) and ends every session of the user
// at once; audits "user.passwd". NotFound for an unknown user.
Status ChangePassword(Store& store, const std::string& name, std::string_view password, std::string actor,
                      Env* env = Env::Default());
// Disables (or enables again) a user's sign-in; disabling ends every session at once. Audits
// "user.disable" or "user.enable". NotFound for an unknown user.
Status SetUserDisabled(Store& store, const std::string& name, bool disabled, std::string actor,
                       Env* env = Env::Default());
// Removes the user and ends every session at once; their audit entries stay. Audits
// "user.remove". NotFound for an unknown user.
Status RemoveUser(Store& store, const std::string& name, std::string actor, Env* env = Env::Default());

// Creates a token for a machine (role edge or integration). Returns the secret, "gb_"
// followed by 43 base64url characters: this is the only time it is visible, since only its
// SHA-256 (Sha256Hex of the whole secret) is stored. Writes the token and an audit entry
// "token.create" by `actor` together.
// A name with a live token is Conflict unless `rotate`: then the old token expires after
// `grace` (at once for zero), so that an edge agent can switch secrets losing nothing, and
// the audit entry is "token.rotate".
struct TokenOptions {
  bool rotate = false;
  std::chrono::minutes grace{0};     // rotation only
  std::chrono::hours lifetime{0};    // 0: the token never expires
};
Result<std::string> CreateToken(Store& store, std::string name, Role role, std::string actor,
                                Env* env = Env::Default(), TokenOptions options = {});
// Every live token of `name` stops working now; audits "token.revoke". NotFound when the
// name has none.
Status RevokeToken(Store& store, const std::string& name, std::string actor, Env* env = Env::Default());

// The prefix of every token secret: lets secret scanners and people recognise one.
inline constexpr std::string_view kTokenPrefix = "gb_";

}  // namespace gb::auth
