// Sessions: who is calling. Staff sign in with name and password and get a session cookie
// (HttpOnly, SameSite=Strict) plus a CSRF token that cookie-authenticated writes echo in
// X-CSRF-Token; machines send "Authorization: Bearer gb_…" (DESIGN.md §3, Sessions).
//
// Secrets are never stored: a session is found by the SHA-256 of its cookie value, a token
// by the SHA-256 of its secret. Passwords are never logged or audited.
//
// How Authenticate answers (the router calls it for every route, public ones included, and
// turns an error into the response):
//   - "Authorization: Bearer <secret>" that matches a token → that machine (no CSRF needed).
//     A bearer secret that matches nothing → Unauthenticated("unknown or revoked token"):
//     a machine with a bad token must hear so rather than be served as the public.
//     Other schemes (Basic, …, e.g. from a reverse proxy) are ignored.
//     A token past its expiry (revoked, or rotated and past its grace) → Unauthenticated.
//     A token's last use is recorded at most once a minute.
//   - Otherwise the session cookie: a live session → its user, via_cookie, with the CSRF
//     token. A missing, unknown, expired or idle session, or one whose user no longer
//     exists or is disabled, is treated as no credential (nullopt): public pages keep
//     working for someone with a stale cookie, and protected routes answer 401 anyway. An
//     expired or idle session found this way is deleted. The idle clock is kept with a
//     write at most once a minute per session, not one per request.
//   - A write (not GET/HEAD/OPTIONS) the cookie authenticates needs the session's CSRF
//     token in X-CSRF-Token → Forbidden otherwise.
//   - The user's current role is used, not the role at sign-in.
//
// Thread-safety: SessionAuthenticator and LoginRateLimiter may be used from any thread.
// REQUIRED: the Store and Env outlive the objects that use them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "api/rate_window.h"
#include "api/router.h"
#include "core/env.h"
#include "core/status.h"
#include "store/store.h"

namespace gb::auth {

// Failed sign-ins slow down the one who fails, not the one whose name is tried: each key's
// wait doubles with every failure past its free ones. Keys are a name from one address
// (someone guessing a password) and an address over all names (someone trying many names).
// Failures of one name from everywhere never lock it out (anyone could lock the dispatcher
// out so); past a ceiling they raise an alarm instead: a metric and an audit entry.
struct RateLimitOptions {
  int free_failures_per_name_and_address = 3;
  int free_failures_per_address = 20;
  std::chrono::milliseconds first_delay = std::chrono::seconds(1);
  std::chrono::milliseconds max_delay = std::chrono::minutes(15);
  int name_ceiling = 100;  // failures of one name from all addresses inside the window
  std::chrono::milliseconds window = std::chrono::hours(1);  // failures older are forgotten
};

// Counts failed sign-ins in a sliding window per key (see RateLimitOptions). With f
// failures of a key inside the window, the last at t, the key may try again from
// t + min(max_delay, first_delay · 2^(f − free)) when f ≥ free, at once otherwise. Memory is
// bounded by the failures inside one window: stale keys are swept as failures arrive.
//
// A sign-in uses Begin before checking the password and Succeeded after a right one.
// Begin counts the attempt as failed at once, in the same step as the check, so that
// parallel attempts (each a slow password hash) cannot get past the limit together.
// Times are Env::MonotonicMs: a wall clock stepped back locks nobody out, one stepped forward
// forgets no failure.
class LoginRateLimiter {
 public:
  explicit LoginRateLimiter(Env* env, RateLimitOptions options = {});

  struct Attempt {
    std::string name, address;
    TimeMs at = 0;
    bool name_ceiling_reached = false;  // this failure took the name to its ceiling
  };

  // OK, or RateLimited("too many failed sign-ins; try again in N seconds").
  Status Check(std::string_view name, std::string_view address);
  // How long until Check would pass; zero when it passes now.
  std::chrono::milliseconds RetryAfter(std::string_view name, std::string_view address);
  // Check, and when it passes count a failure for every key; one step under the lock.
  Result<Attempt> Begin(std::string_view name, std::string_view address);
  // The attempt succeeded: clears the failures of its name from its address and takes the
  // attempt back from the other keys (their other failures stay).
  void Succeeded(const Attempt& attempt);
  // Counts a failure; true when it took the name to its ceiling.
  bool RecordFailure(std::string_view name, std::string_view address);
  // How many times a name reached its ceiling since start (a metric).
  std::uint64_t name_ceiling_hits() const { return ceiling_hits_.load(std::memory_order_relaxed); }

 private:
  std::chrono::milliseconds RetryAfterLocked(std::string_view name, std::string_view address, TimeMs now);
  bool RecordFailureLocked(std::string_view name, std::string_view address, TimeMs now);

  Env* env_;
  RateLimitOptions options_;
  std::mutex mu_;
  // Guarded by mu_: the failures per name and address, per address and per name, and how
  // many were recorded since the logs were last swept of stale keys.
  SlidingWindowLog by_pair_;
  SlidingWindowLog by_address_;
  SlidingWindowLog by_name_;
  unsigned failures_since_sweep_ = 0;
  std::atomic<std::uint64_t> ceiling_hits_{0};
};

struct SessionOptions {
  std::chrono::milliseconds ttl = std::chrono::hours(12);  // from sign-in, however active
  std::chrono::milliseconds idle = std::chrono::minutes(30);  // unused this long, it ends
  std::string cookie_name = "gb_session";
  bool secure_cookie = false;  // add "; Secure" (set it whenever the hub is served over HTTPS)
  RateLimitOptions rate_limit;
};

struct LoginResult {
  std::string name;
  Role role = Role::kCrew;
  std::string cookie_value;       // the session secret; only its hash is stored
  std::string set_cookie_header;  // the value of a Set-Cookie header carrying it
  std::string csrf_token;
  TimeMs expires_at = 0;
};

// The cookies of a request as (name, value) pairs in order, from every Cookie header.
// Tolerates spaces, empty pieces, pieces without '=' (skipped) and double-quoted values.
std::vector<std::pair<std::string, std::string>> ParseCookies(const http::Request& req);

class SessionAuthenticator : public http::Authenticator {
 public:
  SessionAuthenticator(Store& store, Env* env, SessionOptions options = {});

  Result<std::optional<http::Principal>> Authenticate(const http::Request& req) override;

  // Checks the password and opens a session; audits "session.login". Returns
  // Unauthenticated("wrong name or password") for an unknown name or a wrong password
  // alike (an unknown name costs a hash verification too), RateLimited when too many
  // sign-ins failed lately, or the store's error.
  Result<LoginResult> Login(std::string_view name, std::string_view password, std::string_view client_address);

  // Ends the session behind `cookie_value` (audits "session.logout"); ending a session that
  // does not exist is OK. Returns the value of a Set-Cookie header that clears the cookie.
  Result<std::string> Logout(std::string_view cookie_value);
  // Ends the live session the request's cookie names, if any (what DELETE /api/v1/session does).
  Result<std::string> Logout(const http::Request& req);

  // The Set-Cookie value that removes the session cookie from the browser.
  std::string ClearCookieHeader() const;

  const SessionOptions& options() const { return options_; }
  LoginRateLimiter& rate_limiter() { return limiter_; }

 private:
  struct Live {
    std::string cookie_value;
    Session session;
    Role role;  // the user's current role
  };
  // The first cookie with our name that names a live session of an existing staff user;
  // a failed read of the store is its error, not "no session".
  Result<std::optional<Live>> FindLiveSession(const http::Request& req);
  std::string CookieAttributes() const;

  Store& store_;
  Env* env_;
  SessionOptions options_;
  LoginRateLimiter limiter_;
  std::string dummy_hash_;  // verified against for unknown names, so they cost the same
};

}  // namespace gb::auth
