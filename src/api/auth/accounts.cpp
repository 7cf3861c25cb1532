#include "api/auth/accounts.h"

#include <new>

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
  if (store.GetUser(name)) return Status::Conflict("a user named " + name + " already exists");

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

Result<std::string> CreateToken(Store& store, std::string name, Role role, std::string actor, Env* env,
                                IfTokenExists if_exists) {
  GB_RETURN_IF_ERROR(CheckAccountName(name, "token name"));
  if (IsHumanRole(role))
    return Status::Invalid("tokens are for machines: the role must be edge or integration, not " +
                           std::string(RoleName(role)));

  std::string secret = std::string(kTokenPrefix) + RandomToken(32);
  ApiToken token;
  token.name = name;
  token.role = role;
  token.token_hash = Sha256Hex(secret);
  token.created_at = env->NowMs();

  const bool rotate = if_exists == IfTokenExists::kRotate;
  AuditEntry audit = AccountAudit(std::move(actor), rotate ? "token.rotate" : "token.create", "token/" + name, role,
                                  token.created_at);

  Status s = store.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(txn.PutToken(token, rotate));
    return txn.AppendAudit(audit);
  });
  if (!s.ok()) return s;
  return secret;
}

}  // namespace gb::auth
