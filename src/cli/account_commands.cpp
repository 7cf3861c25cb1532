#include "cli/account_commands.h"

#include <iostream>

#include "api/auth/accounts.h"
#include "cli/command_support.h"
#include "core/time.h"

namespace gb {
namespace {

constexpr const char* kHumanRoles = "admin, dispatcher, crew, privacy_officer or auditor";

std::string When(TimeMs t) { return t == 0 ? "-" : FormatRfc3339(t); }

int ListUsers(Store& store) {
  auto users = store.ListUsers();
  if (!users.ok()) return Fail(users.status());
  for (const auto& u : *users)
    std::cout << u.name << "\t" << RoleName(u.role) << "\tcreated " << When(u.created_at)
              << (u.disabled ? "\tdisabled" : "") << "\n";
  return 0;
}

int ListTokens(Store& store) {
  auto tokens = store.ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  const TimeMs now = Env::Default()->NowMs();
  for (const auto& t : *tokens) {
    const bool live = t.expires_at == 0 || t.expires_at > now;
    std::cout << t.name << "\t" << RoleName(t.role) << "\tcreated " << When(t.created_at) << "\t"
              << (t.expires_at == 0 ? "never expires" : (live ? "expires " : "expired ") + When(t.expires_at))
              << "\tlast used " << When(t.last_used_at) << "\n";
  }
  return 0;
}

}  // namespace

void AddAccountCommands(CLI::App& app, AccountCommands& c) {
  auto* user = app.add_subcommand("user", "Manage staff accounts");
  user->require_subcommand(1);
  auto named = [&](CLI::App* sub) {
    sub->add_option("--store", c.store_url, "Store URL")->required();
    sub->add_option("--name", c.name, "Account name")->required();
    return sub;
  };
  c.user_add = named(user->add_subcommand("add", "Add an account (a new name); the password is read from standard input"));
  c.user_add->add_option("--role", c.role, kHumanRoles)->required();
  c.user_passwd = named(user->add_subcommand(
      "passwd", "Set a new password (read from standard input); the account's sessions end at once"));
  c.user_disable = named(user->add_subcommand("disable", "Stop an account signing in; its sessions end at once"));
  c.user_enable = named(user->add_subcommand("enable", "Let a disabled account sign in again"));
  c.user_remove = named(user->add_subcommand(
      "remove", "Remove an account; its sessions end at once and the audit log keeps its entries"));
  c.user_list = user->add_subcommand("list", "List the accounts (never a password)");
  c.user_list->add_option("--store", c.store_url, "Store URL")->required();

  auto* token = app.add_subcommand("token", "Manage machine tokens");
  token->require_subcommand(1);
  c.token_create = token->add_subcommand("create", "Create a bearer token; it is printed once");
  c.token_create->add_option("--store", c.store_url, "Store URL")->required();
  c.token_create->add_option("--name", c.name, "Token name, e.g. the edge agent's site")->required();
  c.token_create->add_option("--role", c.role, "edge or integration")->required();
  c.token_create->add_option("--expires-days", c.expires_days, "Days until the token stops working (default: never)")
      ->check(CLI::Range(1, 3650));
  c.token_create->add_flag("--rotate", c.rotate, "Replace the token of that name (it stops working at once, or after --grace-minutes)");
  c.token_create->add_option("--grace-minutes", c.grace_minutes,
                             "With --rotate: minutes the old token keeps working, while its agent switches over")
      ->check(CLI::Range(0, 7 * 24 * 60));
  c.token_revoke = token->add_subcommand("revoke", "Stop every token of a name working at once");
  c.token_revoke->add_option("--store", c.store_url, "Store URL")->required();
  c.token_revoke->add_option("--name", c.name, "Token name")->required();
  c.token_list = token->add_subcommand("list", "List the tokens: name, role, created, expiry, last use (never a secret)");
  c.token_list->add_option("--store", c.store_url, "Store URL")->required();
}

std::optional<int> RunIfParsed(const AccountCommands& c) {
  const bool any = c.user_add->parsed() || c.user_passwd->parsed() || c.user_disable->parsed() ||
                   c.user_enable->parsed() || c.user_remove->parsed() || c.user_list->parsed() ||
                   c.token_create->parsed() || c.token_revoke->parsed() || c.token_list->parsed();
  if (!any) return std::nullopt;
  std::optional<Role> role;
  if (c.user_add->parsed() || c.token_create->parsed()) {
    role = ParseRole(c.role);
    if (!role)
      return Fail(Status::Invalid("unknown role '" + c.role + "'; use " +
                                  (c.user_add->parsed() ? kHumanRoles : "edge or integration")));
  }
  if (c.grace_minutes > 0 && !c.rotate) return Fail(Status::Invalid("--grace-minutes goes with --rotate"));
  std::string password;  // read before the store is touched, while the user is at the prompt
  if (c.user_add->parsed() || c.user_passwd->parsed()) {
    auto typed = ReadPasswordFromStdin();
    if (!typed.ok()) return Fail(typed.status());
    password = std::move(*typed);
  }
  auto opened = OpenCommandStore(c.store_url);
  if (!opened.ok()) return Fail(opened.status());
  Store& store = **opened;
  auto done = [](const Status& s, const std::string& what) {
    if (!s.ok()) return Fail(s);
    std::cout << what << "\n";
    return 0;
  };
  if (c.user_add->parsed())
    return done(auth::AddUser(store, c.name, *role, password, "cli"), "added " + c.name + " (" + c.role + ")");
  if (c.user_passwd->parsed())
    return done(auth::ChangePassword(store, c.name, password, "cli"), "changed the password of " + c.name);
  if (c.user_disable->parsed())
    return done(auth::SetUserDisabled(store, c.name, true, "cli"), "disabled " + c.name);
  if (c.user_enable->parsed())
    return done(auth::SetUserDisabled(store, c.name, false, "cli"), "enabled " + c.name);
  if (c.user_remove->parsed()) return done(auth::RemoveUser(store, c.name, "cli"), "removed " + c.name);
  if (c.user_list->parsed()) return ListUsers(store);
  if (c.token_revoke->parsed()) return done(auth::RevokeToken(store, c.name, "cli"), "revoked the token " + c.name);
  if (c.token_list->parsed()) return ListTokens(store);
  auth::TokenOptions options;
  options.rotate = c.rotate;
  options.grace = std::chrono::minutes(c.grace_minutes);
  options.lifetime = std::chrono::hours(24 * c.expires_days);
  auto secret = auth::CreateToken(store, c.name, *role, "cli", Env::Default(), options);
  if (!secret.ok()) return Fail(secret.status());
  std::cout << *secret << "\n";
  return 0;
}

}  // namespace gb
