#include "api/auth/accounts.h"

#include <functional>
#include <new>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/auth/crypto.h"
#include "api/auth/password_policy.h"

namespace gb::auth {

Status CheckAccountName(std::string_view name, std::string_view what) {
  if (name.size() < 2 || name.size() > 64)
    return Status::Invalid(std::string("the ") + std::string(what) + " must be 2 to 64 characters long");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return Status::Invalid(std::string("the ") + std::string(what) +
                             " may contain only lower-case letters a-z, digits and . _ -");
  }
  return Status::Ok();
}

namespace {

// What the audit log says about a new account or token: who created it, and its role.
AuditEntry AccountAudit(std::string actor, std::string action, std::string object, Role role, TimeMs at) {
  return AuditEntry{0, at, std::move(actor), std::move(action), std::move(object), "",
                    nlohmann::json{{"role", RoleName(role)}}.dump()};
}

}  // namespace

Status AddUser(Store& store, std::string name, Role role, std::string_view password, std::string actor, Env* env) {
  GB_RETURN_IF_ERROR(CheckAccountName(name, "user name"));
  if (!IsHumanRole(role))
    return Status::Invalid("the role " + std::string(RoleName(role)) +
                           " is for machines, which use tokens; users need a staff role "
                           "(admin, dispatcher, crew, privacy_officer or auditor)");
  GB_RETURN_IF_ERROR(CheckPasswordPolicy(password, name));
  auto existing = store.GetUser(name);
  if (!existing.ok()) return existing.status();
  if (*existing) return Status::Conflict("a user named " + name + " already exists");

  User user;
  user.name = name;
  user.role = role;
  try {
    user.password_hash = HashPassword(password);
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("not enough memory to hash the password right now; try again");
  }
  user.created_at = env->NowMs();

  AuditEntry audit = AccountAudit(std::move(actor), "user.add", "user/" + name, role, user.created_at);

  return store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(txn.PutUser(user));
    return txn.AppendAudit(audit);
  });
}

namespace {

// Runs `change` on the stored user `name` and ends their sessions, with `action`'s audit
// entry, in one transaction.
Status ChangeUser(Store& store, const std::string& name, std::string actor, Env* env, const char* action,
                  const std::function<Status(WriteTxn&, User&)>& change) {
  auto read = store.GetUser(name);
  if (!read.ok()) return read.status();
  std::optional<User>& user = *read;
  if (!user) return Status::NotFound("there is no user named " + name);
  AuditEntry audit = AccountAudit(std::move(actor), action, "user/" + name, user->role, env->NowMs());
  return store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(change(txn, *user));
    GB_RETURN_IF_ERROR(txn.DeleteSessionsOf(name));
    return txn.AppendAudit(audit);
  });
}

}  // namespace

Status ChangePassword(Store& store, const std::string& name, std::string_view password, std::string actor,
                      Env* env) {
  GB_RETURN_IF_ERROR(CheckPasswordPolicy(password, name));
  std::string hash;
  try {
    hash = HashPassword(password);
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("not enough memory to hash the password right now; try again");
  }
  return ChangeUser(store, name, std::move(actor), env, "user.passwd", [&](WriteTxn& txn, User& user) {
    user.password_hash = hash;
    return txn.PutUser(user);
  });
}

Status SetUserDisabled(Store& store, const std::string& name, bool disabled, std::string actor, Env* env) {
  return ChangeUser(store, name, std::move(actor), env, disabled ? "user.disable" : "user.enable",
                    [&](WriteTxn& txn, User& user) {
                      user.disabled = disabled;
                      return txn.PutUser(user);
                    });
}

Status RemoveUser(Store& store, const std::string& name, std::string actor, Env* env) {
  return ChangeUser(store, name, std::move(actor), env, "user.remove",
                    [&](WriteTxn& txn, User&) { return txn.DeleteUser(name); });
}

Result<std::string> CreateToken(Store& store, std::string name, Role role, std::string actor, Env* env,
                                TokenOptions options) {
  GB_RETURN_IF_ERROR(CheckAccountName(name, "token name"));
  if (IsHumanRole(role))
    return Status::Invalid("tokens are for machines: the role must be edge or integration, not " +
                           std::string(RoleName(role)));
  if (options.grace.count() < 0 || options.lifetime.count() < 0)
    return Status::Invalid("a token's grace period and lifetime cannot be negative");

  std::string secret = std::string(kTokenPrefix) + RandomToken(32);
  ApiToken token;
  token.name = name;
  token.role = role;
  token.token_hash = Sha256Hex(secret);
  token.created_at = env->NowMs();
  if (options.lifetime.count() > 0)
    token.expires_at = token.created_at + std::chrono::duration_cast<std::chrono::milliseconds>(options.lifetime).count();

  AuditEntry audit = AccountAudit(std::move(actor), options.rotate ? "token.rotate" : "token.create", "token/" + name,
                                  role, token.created_at);
  std::optional<TimeMs> retire;
  if (options.rotate)
    retire = token.created_at + std::chrono::duration_cast<std::chrono::milliseconds>(options.grace).count();

  Status s = store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(txn.PutToken(token, retire));
    return txn.AppendAudit(audit);
  });
  if (!s.ok()) return s;
  return secret;
}

Status RevokeToken(Store& store, const std::string& name, std::string actor, Env* env) {
  const TimeMs now = env->NowMs();
  AuditEntry audit{0, now, std::move(actor), "token.revoke", "token/" + name, "", "{}"};
  return store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(txn.ExpireTokens(name, now));
    return txn.AppendAudit(audit);
  });
}

}  // namespace gb::auth
