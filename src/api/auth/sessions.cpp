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
// A session's or token's last use is written at most this often: the idle timeout and the
// "last used" column need minutes, not a write per request.
constexpr TimeMs kTouchEveryMs = 60'000;

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

bool IsWrite(std::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

Status Limited(std::chrono::milliseconds wait) {
  long long seconds = std::max<long long>(1, (wait.count() + 999) / 1000);
  if (seconds < 60)
    return Status::RateLimited("too many failed sign-ins; try again in " + std::to_string(seconds) +
                               (seconds == 1 ? " second" : " seconds"));
  long long minutes = (seconds + 59) / 60;
  return Status::RateLimited("too many failed sign-ins; try again in " + std::to_string(minutes) +
                             (minutes == 1 ? " minute" : " minutes"));
}

// The key of one name tried from one address ('\n' occurs in neither).
std::string PairKey(std::string_view name, std::string_view address) {
  std::string key(Key(name));
  key += '\n';
  key += Key(address);
  return key;
}

// When `key` may try again: its newest failure plus the doubling wait past `free` failures.
TimeMs ReadyAt(SlidingWindowLog& log, std::string_view key, int free, const RateLimitOptions& o, TimeMs now) {
  const auto failures = static_cast<int>(log.Count(key, now));
  if (failures < free) return now;
  auto newest = log.Newest(key, now);
  if (!newest) return now;
  const int doublings = std::min(failures - free, 30);
  const TimeMs wait = std::min<TimeMs>(o.max_delay.count(), o.first_delay.count() << doublings);
  return std::max(now, *newest + wait);
}

}  // namespace

// ---- LoginRateLimiter -------------------------------------------------------------------

LoginRateLimiter::LoginRateLimiter(Env* env, RateLimitOptions options)
    : env_(env),
      options_(options),
      by_pair_(options.window.count()),
      by_address_(options.window.count()),
      by_name_(options.window.count()) {
  options_.free_failures_per_name_and_address = std::max(1, options_.free_failures_per_name_and_address);
  options_.free_failures_per_address = std::max(1, options_.free_failures_per_address);
  options_.name_ceiling = std::max(1, options_.name_ceiling);
}

std::chrono::milliseconds LoginRateLimiter::RetryAfterLocked(std::string_view name, std::string_view address,
                                                             TimeMs now) {
  TimeMs at = std::max(ReadyAt(by_pair_, PairKey(name, address), options_.free_failures_per_name_and_address,
                               options_, now),
                       ReadyAt(by_address_, Key(address), options_.free_failures_per_address, options_, now));
  return std::chrono::milliseconds(at - now);
}

std::chrono::milliseconds LoginRateLimiter::RetryAfter(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  return RetryAfterLocked(name, address, env_->MonotonicMs());
}

Status LoginRateLimiter::Check(std::string_view name, std::string_view address) {
  auto wait = RetryAfter(name, address);
  return wait.count() > 0 ? Limited(wait) : Status::Ok();
}

Result<LoginRateLimiter::Attempt> LoginRateLimiter::Begin(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  TimeMs now = env_->MonotonicMs();
  auto wait = RetryAfterLocked(name, address, now);
  if (wait.count() > 0) return Limited(wait);
  bool ceiling = RecordFailureLocked(name, address, now);
  return Attempt{std::string(Key(name)), std::string(Key(address)), now, ceiling};
}

void LoginRateLimiter::Succeeded(const Attempt& attempt) {
  std::lock_guard lock(mu_);
  by_pair_.Erase(PairKey(attempt.name, attempt.address));
  by_address_.RemoveOne(attempt.address, attempt.at);
  by_name_.RemoveOne(attempt.name, attempt.at);
}

bool LoginRateLimiter::RecordFailure(std::string_view name, std::string_view address) {
  std::lock_guard lock(mu_);
  return RecordFailureLocked(name, address, env_->MonotonicMs());
}

bool LoginRateLimiter::RecordFailureLocked(std::string_view name, std::string_view address, TimeMs now) {
  by_pair_.Record(PairKey(name, address), now);
  by_address_.Record(Key(address), now);
  by_name_.Record(Key(name), now);
  if (++failures_since_sweep_ >= kSweepEvery) {
    failures_since_sweep_ = 0;
    by_pair_.Sweep(now);
    by_address_.Sweep(now);
    by_name_.Sweep(now);
  }
  // Raised once as the count reaches the ceiling, not on every failure above it.
  bool reached = by_name_.Count(Key(name), now) == static_cast<std::size_t>(options_.name_ceiling);
  if (reached) ceiling_hits_.fetch_add(1, std::memory_order_relaxed);
  return reached;
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
    const TimeMs now = env_->NowMs();
    if (session->expires_at <= now || now - session->last_seen_at >= options_.idle.count()) {
      // Best effort: a failure here only leaves a dead row behind.
      (void)store_.Write([&](WriteTxn& txn) -> Status {
        Status s = txn.DeleteSession(id_hash);
        return s.code() == Code::kNotFound ? Status::Ok() : s;
      });
      continue;
    }
    auto read_user = store_.GetUser(session->user);
    if (!read_user.ok()) return read_user.status();
    const std::optional<User>& user = *read_user;
    if (!user || !IsHumanRole(user->role) || user->disabled) continue;
    if (now - session->last_seen_at >= kTouchEveryMs)  // best effort, as above
      (void)store_.Write([&](WriteTxn& txn) { return txn.TouchSession(id_hash, now); });
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
      const TimeMs now = env_->NowMs();
      if (token->expires_at != 0 && token->expires_at <= now)
        return Status::Unauthenticated("the token expired or was revoked; create a new one with glassbrain token create");
      if (now - token->last_used_at >= kTouchEveryMs)  // best effort: a use is never refused for it
        (void)store_.Write([&](WriteTxn& txn) { return txn.TouchToken(token->token_hash, now); });
      return std::optional<http::Principal>(http::Principal{token->name, token->role, false, {}});
    }
  }
  auto live = FindLiveSession(req);
  if (!live.ok()) return live.status();
  if (!*live) return std::optional<http::Principal>();
  Live& found = **live;
  // A cookie travels with any request the browser makes, a forged one included; the CSRF
  // token only with the page's own (it is never in a cookie).
  if (IsWrite(req.method)) {
    std::string_view sent = req.Header("x-csrf-token");
    if (sent.empty() || found.session.csrf_token.empty() || !ConstantTimeEquals(sent, found.session.csrf_token))
      return Status::Forbidden("missing or wrong X-CSRF-Token header for a cookie-authenticated write");
  }
  return std::optional<http::Principal>(
      http::Principal{found.session.user, found.role, true, std::move(found.session.csrf_token)});
}

Result<LoginResult> SessionAuthenticator::Login(std::string_view name, std::string_view password,
                                               std::string_view client_address) {
  auto attempt = limiter_.Begin(name, client_address);  // counts as failed until proven right
  if (!attempt.ok()) return attempt.status();
  if (attempt->name_ceiling_reached) {
    // Best effort: the alarm must not decide whether this sign-in works.
    AuditEntry alarm{0, attempt->at, "system", "session.name_ceiling", "user/" + attempt->name, "",
                     nlohmann::json{{"failures", options_.rate_limit.name_ceiling},
                                    {"window_minutes", options_.rate_limit.window.count() / 60'000}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
    (void)store_.Write([&](WriteTxn& txn) { return txn.AppendAudit(alarm); });
  }

  std::optional<User> user;
  if (CheckAccountName(name).ok()) {
    auto read = store_.GetUser(std::string(name));
    if (!read.ok()) return read.status();  // "try again", never "wrong name or password"
    user = std::move(*read);
  }
  bool ok;
  if (user && IsHumanRole(user->role) && !user->disabled) {
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
  session.last_seen_at = now;

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
