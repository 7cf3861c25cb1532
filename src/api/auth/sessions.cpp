#include "api/auth/sessions.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "api/auth/accounts.h"
#include "api/auth/crypto.h"

namespace gb::auth {
namespace {

// Keys and credentials longer than this are not looked up or remembered at full length.
constexpr size_t kMaxKeyBytes = 128;
constexpr size_t kMaxSecretBytes = 512;
// At most this many cookies of our name are tried per request (each costs a store read).
constexpr int kMaxSessionCookies = 4;
constexpr unsigned kSweepEvery = 256;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view Key(std::string_view s) { return s.substr(0, kMaxKeyBytes); }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A cookie value we could have issued: base64url, of sane length.
bool PlausibleSecret(std::string_view v) {
  if (v.empty() || v.size() > kMaxSecretBytes) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

Status Limited(std::chrono::milliseconds wait) {
  long long minutes = std::max<long long>(1, (wait.count() + 59'999) / 60'000);
  return Status::RateLimited("too many failed sign-ins; try again in " + std::to_string(minutes) +
                             (minutes == 1 ? " minute" : " minutes"));
}

}  // namespace

// ---- LoginRateLimiter -------------------------------------------------------------------

LoginRateLimiter::LoginRateLimiter(Env* env, RateLimitOptions options)
    : env_(env), options_(options), by_name_(options.window.count()), by_address_(options.window.count()) {
  options_.max_failures_per_name = std::max(1, options_.max_failures_per_name);
  options_.max_failures_per_address = std::max(1, options_.max_failures_per_address);
}

std::chrono::milliseconds LoginRateLimiter::RetryAfterLocked(std::string_view name, std::string_view address,
                                                             TimeMs now) {
  auto name_max = static_cast<size_t>(options_.max_failures_per_name);
  auto address_max = static_cast<size_t>(options_.max_failures_per_address);
  TimeMs at = std::max(by_name_.ReadyAt(Key(name), name_max, now), by_address_.ReadyAt(Key(address), address_max, now));
  return std::chrono::milliseconds(at - now);  // ReadyAt is never before now
}

std::chrono::milliseconds LoginRateLimiter::RetryAfter(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  return RetryAfterLocked(name, address, env_->NowMs());
}

Status LoginRateLimiter::Check(std::string_view name, std::string_view address) {
  auto wait = RetryAfter(name, address);
  return wait.count() > 0 ? Limited(wait) : Status::Ok();
}

Result<LoginRateLimiter::Attempt> LoginRateLimiter::Begin(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  TimeMs now = env_->NowMs();
  auto wait = RetryAfterLocked(name, address, now);
  if (wait.count() > 0) return Limited(wait);
  RecordFailureLocked(name, address, now);
  return Attempt{std::string(Key(name)), std::string(Key(address)), now};
}

void LoginRateLimiter::Succeeded(const Attempt& attempt) {
  std::lock_guard lock(mu_);
  by_name_.Erase(attempt.name);
  by_address_.RemoveOne(attempt.address, attempt.at);
}

void LoginRateLimiter::RecordFailure(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  RecordFailureLocked(name, address, env_->NowMs());
}

void LoginRateLimiter::RecordFailureLocked(std::string_view name, std::string_view address, TimeMs now) {
  by_name_.Record(Key(name), now);
  by_address_.Record(Key(address), now);
  if (++failures_since_sweep_ >= kSweepEvery) {
    failures_since_sweep_ = 0;
    by_name_.Sweep(now);
    by_address_.Sweep(now);
  }
}

// ---- cookies ----------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> ParseCookies(const http::Request& req) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [header, value] : req.headers) {
    if (header != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view piece = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      size_t eq = piece.find('=');
      if (piece.empty() || eq == std::string_view::npos) continue;
      std::string_view name = Trim(piece.substr(0, eq));
      std::string_view val = Trim(piece.substr(eq + 1));
      if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
      if (name.empty()) continue;
      out.emplace_back(std::string(name), std::string(val));
    }
  }
  return out;
}

// ---- SessionAuthenticator -----------------------------------------------------------------

SessionAuthenticator::SessionAuthenticator(Store& store, Env* env, SessionOptions options)
    : store_(store),
      env_(env),
      options_(std::move(options)),
      limiter_(env, options_.rate_limit),
      dummy_hash_(HashPassword(RandomToken(16))) {}

std::string SessionAuthenticator::CookieAttributes() const {
  return std::string("; Path=/; HttpOnly; SameSite=Strict");
}

std::string SessionAuthenticator::ClearCookieHeader() const {
  return options_.cookie_name + "=" + CookieAttributes() + "; Max-Age=0" + (options_.secure_cookie ? "; Secure" : "");
}

Result<std::optional<SessionAuthenticator::Live>> SessionAuthenticator::FindLiveSession(const http::Request& req) {
  int tried = 0;
  for (auto& [name, value] : ParseCookies(req)) {
    if (name != options_.cookie_name || !PlausibleSecret(value)) continue;
    if (++tried > kMaxSessionCookies) break;
    std::string id_hash = Sha256Hex(value);
    auto read = store_.GetSession(id_hash);
    if (!read.ok()) return read.status();
    std::optional<Session>& session = *read;
    if (!session) continue;
    if (session->expires_at <= env_->NowMs()) {
      // Best effort: a failure here only leaves a dead row behind.
      (void)store_.Write([&](WriteTxn& txn) -> Status {
        Status s = txn.DeleteSession(id_hash);
        return s.code() == Code::kNotFound ? Status::Ok() : s;
      });
      continue;
    }
    std::optional<User> user = store_.GetUser(session->user);
    if (!user || !IsHumanRole(user->role)) continue;
    return std::optional<Live>(Live{std::move(value), std::move(*session), user->role});
  }
  return std::optional<Live>();
}

Result<std::optional<http::Principal>> SessionAuthenticator::Authenticate(const http::Request& req) {
  std::string_view authorization = Trim(req.Header("authorization"));
  if (!authorization.empty()) {
    size_t space = authorization.find_first_of(" \t");
    std::string_view scheme = authorization.substr(0, space);
    if (IEquals(scheme, "bearer")) {
      std::string_view secret = space == std::string_view::npos ? std::string_view{} : Trim(authorization.substr(space));
      if (secret.empty())
        return Status::Unauthenticated("the Authorization header has no token: send 'Authorization: Bearer <token>'");
      std::optional<ApiToken> token;
      if (secret.size() <= kMaxSecretBytes) {
        auto read = store_.FindToken(Sha256Hex(secret));
        if (!read.ok()) return read.status();
        token = std::move(*read);
      }
      if (!token) return Status::Unauthenticated("unknown or revoked token");
      return std::optional<http::Principal>(http::Principal{token->name, token->role, false, {}});
    }
  }
  auto live = FindLiveSession(req);
  if (!live.ok()) return live.status();
  if (*live)
    return std::optional<http::Principal>(
        http::Principal{(*live)->session.user, (*live)->role, true, std::move((*live)->session.csrf_token)});
  return std::optional<http::Principal>();
}

Result<LoginResult> SessionAuthenticator::Login(std::string_view name, std::string_view password,
                                               std::string_view client_address) {
  auto attempt = limiter_.Begin(name, client_address);  // counts as failed until proven right
  if (!attempt.ok()) return attempt.status();

  std::optional<User> user;
  if (CheckAccountName(name).ok()) user = store_.GetUser(std::string(name));
  bool ok;
  if (user && IsHumanRole(user->role)) {
    ok = VerifyPassword(user->password_hash, password);
  } else {
    (void)VerifyPassword(dummy_hash_, password);  // same cost as a real check
    ok = false;
  }
  if (!ok) return Status::Unauthenticated("wrong name or password");
  limiter_.Succeeded(*attempt);

  LoginResult result;
  result.name = user->name;
  result.role = user->role;
  result.cookie_value = RandomToken(32);
  result.csrf_token = RandomToken(32);
  TimeMs now = env_->NowMs();
  result.expires_at = now + options_.ttl.count();

  Session session;
  session.id_hash = Sha256Hex(result.cookie_value);
  session.user = user->name;
  session.role = user->role;
  session.csrf_token = result.csrf_token;
  session.expires_at = result.expires_at;

  AuditEntry audit;
  audit.at = now;
  audit.actor = user->name;
  audit.action = "session.login";
  audit.object = "user/" + user->name;
  audit.detail = nlohmann::json{{"address", client_address}, {"role", RoleName(user->role)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);

  GB_RETURN_IF_ERROR(store_.Write([&](WriteTxn& txn) -> Status {
    GB_RETURN_IF_ERROR(txn.PutSession(session));
    return txn.AppendAudit(audit);
  }));

  long long max_age = std::max<long long>(0, options_.ttl.count() / 1000);
  result.set_cookie_header = options_.cookie_name + "=" + result.cookie_value + CookieAttributes() +
                             "; Max-Age=" + std::to_string(max_age) + (options_.secure_cookie ? "; Secure" : "");
  return result;
}

Result<std::string> SessionAuthenticator::Logout(std::string_view cookie_value) {
  if (PlausibleSecret(cookie_value)) {
    std::string id_hash = Sha256Hex(cookie_value);
    auto read = store_.GetSession(id_hash);
    if (!read.ok()) return read.status();
    if (std::optional<Session>& session = *read) {
      AuditEntry audit;
      audit.at = env_->NowMs();
      audit.actor = session->user;
      audit.action = "session.logout";
      audit.object = "user/" + session->user;
      GB_RETURN_IF_ERROR(store_.Write([&](WriteTxn& txn) -> Status {
        Status s = txn.DeleteSession(id_hash);
        if (!s.ok() && s.code() != Code::kNotFound) return s;
        return txn.AppendAudit(audit);
      }));
    }
  }
  return ClearCookieHeader();
}

Result<std::string> SessionAuthenticator::Logout(const http::Request& req) {
  auto live = FindLiveSession(req);
  if (!live.ok()) return live.status();
  if (*live) return Logout((*live)->cookie_value);
  return ClearCookieHeader();
}

}  // namespace gb::auth
