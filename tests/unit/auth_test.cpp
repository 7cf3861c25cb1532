// Unit tests for accounts, sessions and tokens (src/api/auth), against a real SQLite store in a
// fresh temporary directory per test.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/limits.h"
#include "api/auth/accounts.h"
#include "api/auth/crypto.h"
#include "api/auth/routes.h"
#include "api/auth/sessions.h"
#include "api/router.h"
#include "core/env.h"
#include "store/store.h"
#include "support/fault_env.h"
#include "test_store.h"

namespace gb::auth {
namespace {

using nlohmann::json;

// ---- helpers ---------------------------------------------------------------------------

constexpr TimeMs kStart = 1'800'000'000'000;
constexpr TimeMs kMinute = 60'000;
constexpr const char* kPassword = "correct horse battery";

http::Request MakeRequest(std::string method, std::string path,
                          std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "",
                          std::string remote = "198.51.100.7") {
  http::Request req;
  req.method = std::move(method);
  req.target = path;
  req.path = std::move(path);
  req.headers = std::move(headers);
  req.body = std::move(body);
  req.remote_address = std::move(remote);
  return req;
}

std::string HeaderOf(const http::Response& resp, std::string_view name) {
  for (const auto& [k, v] : resp.headers)
    if (k == name) return v;
  return "";
}

std::string ErrorMessage(const http::Response& resp) {
  auto j = json::parse(resp.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("message", "");
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetFastHashingForTests(true);
    ASSERT_TRUE(AddUser(store, "dana", Role::kDispatcher, kPassword, "test", &env).ok());
    ASSERT_TRUE(AddUser(store, "carl", Role::kCrew, kPassword, "test", &env).ok());
    auth = std::make_unique<SessionAuthenticator>(store, &env, options);
    router.SetAuthenticator(auth.get());
    RegisterSessionRoutes(router, *auth, Limits{}.max_login_body_bytes);
    router.Add("GET", "/api/v1/public", {}, [](http::Request& req) {
      return http::Json(200, json{{"signed_in", req.principal.has_value()}}.dump());
    });
    router.Add("GET", "/api/v1/things", {Role::kDispatcher, Role::kEdge},
               [](http::Request& req) { return http::Json(200, json{{"who", req.principal->name}}.dump()); });
    router.Add("POST", "/api/v1/things", {Role::kDispatcher, Role::kEdge},
               [](http::Request&) { return http::Json(201, "{}"); });
  }

  http::Response Dispatch(http::Request req) {
    std::string route;
    return router.Dispatch(req, &route);
  }

  http::Response PostLogin(const std::string& body, std::string remote = "198.51.100.7") {
    return Dispatch(MakeRequest("POST", "/api/v1/session", {{"content-type", "application/json"}}, body,
                                std::move(remote)));
  }

  http::Response LoginAs(const std::string& name, const std::string& password, std::string remote = "198.51.100.7") {
    return PostLogin(json{{"name", name}, {"password", password}}.dump(), std::move(remote));
  }

  // Signs in and returns {cookie header value, csrf token}.
  std::pair<std::string, std::string> SignIn(const std::string& name) {
    http::Response resp = LoginAs(name, kPassword);
    EXPECT_EQ(resp.status, 200) << resp.body;
    std::string set_cookie = HeaderOf(resp, "Set-Cookie");
    std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    return {cookie, json::parse(resp.body).value("csrf_token", "")};
  }

  // The whole audit log, newest entry first (the store's order).
  std::vector<AuditEntry> Audit() { return store.ListAudit(AuditFilter{}).value(); }

  // Changes a user's role the way the accounts code would: PutUser replaces the row.
  void SetUserRole(const std::string& name, Role role) {
    std::optional<User> user = store.GetUser(name).value();
    ASSERT_TRUE(user) << name;
    user->role = role;
    ASSERT_TRUE(store.Write([&](WriteTxn& txn) { return txn.PutUser(*user); }).ok());
  }

  FakeClockEnv env{kStart};
  test::TempStore db;                   // a real SQLite file, removed after the test
  test::FailableStore store{db.store()};
  SessionOptions options;
  std::unique_ptr<SessionAuthenticator> auth;
  http::Router router;
};

// ---- crypto ------------------------------------------------------------------------------

TEST(Crypto, HashIsArgon2idAndVerifies) {
  SetFastHashingForTests(true);
  std::string hash = HashPassword(kPassword);
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(VerifyPassword(hash, kPassword));
  EXPECT_NE(HashPassword(kPassword), hash) << "each hash has its own salt";
}

TEST(Crypto, DefaultCostIsInteractive) {
  SetFastHashingForTests(false);
  std::string hash = HashPassword(kPassword);
  SetFastHashingForTests(true);
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,")) << hash;
  EXPECT_TRUE(VerifyPassword(hash, kPassword));
}

TEST(Crypto, WrongPasswordOrMalformedHashFails) {
  SetFastHashingForTests(true);
  std::string hash = HashPassword(kPassword);
  EXPECT_FALSE(VerifyPassword(hash, "correct horse battery "));
  EXPECT_FALSE(VerifyPassword(hash, ""));
  EXPECT_FALSE(VerifyPassword("", kPassword));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", kPassword));
  EXPECT_FALSE(VerifyPassword(std::string(500, 'x'), kPassword));
}

TEST(Crypto, RandomTokensAreUniqueBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = RandomToken();
    EXPECT_EQ(t.size(), 43u);  // 32 bytes, no padding
    EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << t;
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(RandomToken(16).size(), 22u);
}

TEST(Crypto, Sha256HexMatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

TEST(PasswordPolicy, AcceptsAndRejectsWithClearMessages) {
  auto why = [](std::string_view password, std::string_view name = "") {
    Status s = CheckPasswordPolicy(password, name);
    EXPECT_TRUE(s.ok() || s.code() == Code::kInvalid) << s.message();
    return s.ok() ? std::string("ok") : s.message();
  };
  EXPECT_EQ(why("twelve chars"), "ok");
  EXPECT_EQ(why(std::string(128, 'a').replace(0, 1, "b")), "ok");
  EXPECT_NE(why("eleven char").find("at least 12 characters"), std::string::npos);
  EXPECT_NE(why(std::string(129, 'a').replace(0, 1, "b")).find("at most 128 characters"), std::string::npos);
  EXPECT_NE(why("aaaaaaaaaaaaaaaa").find("repeats one character"), std::string::npos);

  // Characters, not bytes: eleven two-byte letters are too short; one repeated is rejected.
  EXPECT_NE(why("ééééééééééé").find("too short"), std::string::npos);
  EXPECT_NE(why("üüüüüüüüüüüüü").find("repeats"), std::string::npos);
  EXPECT_EQ(why("straßenbahnen"), "ok");

  // The account's name, in any case, is not a password, nor inside one.
  EXPECT_NE(why("Dispatcher2026", "dispatcher").find("contains the account's name"), std::string::npos);
  EXPECT_NE(why("my-name-is-dana!", "dana").find("account's name"), std::string::npos);
  EXPECT_EQ(why("banana split forever", "ana"), "ok") << "a name of three letters is not looked for";

  // Plain dictionary words, with digits and punctuation around them, are refused.
  ASSERT_TRUE(DictionaryAvailable()) << kWordListPath << " is missing: scripts/install-deps.sh installs wamerican";
  for (const char* word : {"international", "Constitution", "elephants1234", "!!Establishment!!", "2026-interruption"})
    EXPECT_NE(why(word).find("dictionary word"), std::string::npos) << word;
  EXPECT_EQ(why("elephant tram sofa"), "ok") << "unrelated words together are fine";
}

// ---- accounts ----------------------------------------------------------------------------

TEST_F(AuthTest, AddUserStoresArgon2idHashAndAudits) {
  ASSERT_TRUE(AddUser(store, "priya.o", Role::kPrivacyOfficer, "a long enough secret", "root", &env).ok());
  std::optional<User> u = store.GetUser("priya.o").value();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->role, Role::kPrivacyOfficer);
  EXPECT_TRUE(u->password_hash.starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(u->password_hash, "a long enough secret"));
  EXPECT_EQ(u->created_at, kStart);
  std::vector<AuditEntry> audit = Audit();
  ASSERT_EQ(audit.size(), 3u);  // dana, carl, priya.o
  const AuditEntry& a = audit.front();
  EXPECT_EQ(a.action, "user.add");
  EXPECT_EQ(a.actor, "root");
  EXPECT_EQ(a.object, "user/priya.o");
  EXPECT_EQ(a.at, kStart);
  for (const auto& entry : audit) EXPECT_EQ(entry.detail.find("a long enough secret"), std::string::npos);
}

TEST_F(AuthTest, AddUserValidatesNameRoleAndPolicy) {
  int writes = store.writes();
  for (const char* bad : {"", "a", "Dana", "dana smith", "dana/x", "dänä", "dana@city"}) {
    Status s = AddUser(store, bad, Role::kCrew, kPassword, "root", &env);
    EXPECT_EQ(s.code(), Code::kInvalid) << bad;
    EXPECT_NE(s.message().find("user name"), std::string::npos) << s.message();
  }
  EXPECT_EQ(AddUser(store, std::string(65, 'a'), Role::kCrew, kPassword, "root", &env).code(), Code::kInvalid);
  EXPECT_TRUE(AddUser(store, std::string(64, 'a'), Role::kCrew, kPassword, "root", &env).ok());
  EXPECT_TRUE(AddUser(store, "a.b_c-9", Role::kAuditor, kPassword, "root", &env).ok());

  Status machine = AddUser(store, "camera-1", Role::kEdge, kPassword, "root", &env);
  EXPECT_EQ(machine.code(), Code::kInvalid);
  EXPECT_NE(machine.message().find("tokens"), std::string::npos) << machine.message();
  EXPECT_EQ(AddUser(store, "partner", Role::kIntegration, kPassword, "root", &env).code(), Code::kInvalid);
  EXPECT_EQ(AddUser(store, "weak", Role::kCrew, "short", "root", &env).code(), Code::kInvalid);

  Status taken = AddUser(store, "dana", Role::kAdmin, "another good password", "root", &env);
  EXPECT_EQ(taken.code(), Code::kConflict);
  ASSERT_TRUE(store.GetUser("dana").value());
  EXPECT_EQ(store.GetUser("dana").value()->role, Role::kDispatcher);
  EXPECT_EQ(store.writes(), writes + 2) << "only the two valid users were written";
  EXPECT_EQ(store.ListUsers().value().size(), 4u);
}

TEST_F(AuthTest, AddUserWritesNothingWhenTheStoreFails) {
  store.SetFailWrites(true);
  EXPECT_EQ(AddUser(store, "erin", Role::kCrew, kPassword, "root", &env).code(), Code::kUnavailable);
  store.SetFailWrites(false);
  EXPECT_FALSE(store.GetUser("erin").value());
}

TEST_F(AuthTest, TokensAreUniqueAndStoredHashed) {
  auto a = CreateToken(store, "cam-12", Role::kEdge, "root", &env);
  auto b = CreateToken(store, "partner-gis", Role::kIntegration, "root", &env);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->starts_with("gb_"));
  EXPECT_EQ(a->size(), 3u + 43u);
  EXPECT_NE(*a, *b);

  ASSERT_EQ(db.CountRows("tokens"), 2);
  std::optional<ApiToken> stored = store.FindToken(Sha256Hex(*a)).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "cam-12");
  EXPECT_EQ(stored->role, Role::kEdge);
  EXPECT_EQ(stored->token_hash.size(), 64u);
  ASSERT_TRUE(store.FindToken(Sha256Hex(*b)).value());
  // The two rows are the two hashes, so neither holds a secret itself.
  EXPECT_FALSE(store.FindToken(*a).value());
  EXPECT_FALSE(store.FindToken(*b).value());
  bool audited = false;
  for (const auto& e : Audit()) {
    EXPECT_EQ(e.detail.find(*a), std::string::npos) << "the secret never reaches the audit log";
    audited = audited || (e.action == "token.create" && e.object == "token/cam-12" && e.actor == "root");
  }
  EXPECT_TRUE(audited);
}

TEST_F(AuthTest, ATokenNameInUseIsRefusedUnlessTheTokenIsRotated) {
  auto first = CreateToken(store, "cam-12", Role::kEdge, "root", &env);
  ASSERT_TRUE(first.ok());
  auto again = CreateToken(store, "cam-12", Role::kEdge, "root", &env);
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos) << again.status().message();
  EXPECT_TRUE(store.FindToken(Sha256Hex(*first)).value()) << "a refused token changes nothing";
  auto bearer = [&](const std::string& secret) {
    return Dispatch(MakeRequest("GET", "/api/v1/things", {{"authorization", "Bearer " + secret}})).status;
  };
  auto rotated = CreateToken(store, "cam-12", Role::kEdge, "root", &env, {.rotate = true});
  ASSERT_TRUE(rotated.ok()) << rotated.status().message();
  EXPECT_EQ(bearer(*first), 401) << "the old token stops working at once";
  EXPECT_EQ(bearer(*rotated), 200);
  int rotations = 0;
  for (const auto& e : Audit()) rotations += e.action == "token.rotate" && e.object == "token/cam-12";
  EXPECT_EQ(rotations, 1);
}

// An edge agent switches to a rotated secret losing nothing: the old one works for the
// grace period, then stops.
TEST_F(AuthTest, ARotatedTokenWorksForItsGracePeriod) {
  auto bearer = [&](const std::string& secret) {
    return Dispatch(MakeRequest("GET", "/api/v1/things", {{"authorization", "Bearer " + secret}})).status;
  };
  auto old_secret = CreateToken(store, "cam-12", Role::kEdge, "root", &env);
  ASSERT_TRUE(old_secret.ok());
  auto new_secret = CreateToken(store, "cam-12", Role::kEdge, "root", &env,
                                {.rotate = true, .grace = std::chrono::minutes(10)});
  ASSERT_TRUE(new_secret.ok()) << new_secret.status().message();
  EXPECT_EQ(bearer(*old_secret), 200);
  EXPECT_EQ(bearer(*new_secret), 200);
  EXPECT_EQ(CreateToken(store, "cam-12", Role::kEdge, "root", &env).status().code(), Code::kConflict);
  env.Advance(10 * kMinute);
  EXPECT_EQ(bearer(*old_secret), 401);
  EXPECT_NE(ErrorMessage(Dispatch(MakeRequest("GET", "/api/v1/things", {{"authorization", "Bearer " + *old_secret}})))
                .find("expired or was revoked"),
            std::string::npos);
  EXPECT_EQ(bearer(*new_secret), 200);
}

TEST_F(AuthTest, TokensExpireAreRevokedAndRecordTheirLastUseOnceAMinute) {
  auto bearer = [&](const std::string& secret) {
    return Dispatch(MakeRequest("GET", "/api/v1/things", {{"authorization", "Bearer " + secret}})).status;
  };
  auto brief = CreateToken(store, "trial", Role::kIntegration, "root", &env, {.lifetime = std::chrono::hours(1)});
  ASSERT_TRUE(brief.ok());
  env.Advance(60 * kMinute - 1);
  EXPECT_EQ(bearer(*brief), 403) << "authenticated (integration may not call this route)";
  env.Advance(1);
  EXPECT_EQ(bearer(*brief), 401) << "expired";

  auto secret = CreateToken(store, "cam-7", Role::kEdge, "root", &env);
  ASSERT_TRUE(secret.ok());
  auto last_used = [&] { return store.FindToken(Sha256Hex(*secret)).value()->last_used_at; };
  EXPECT_EQ(last_used(), 0);
  EXPECT_EQ(bearer(*secret), 200);
  const TimeMs first_use = env.NowMs();
  EXPECT_EQ(last_used(), first_use);
  env.Advance(30'000);
  EXPECT_EQ(bearer(*secret), 200);
  EXPECT_EQ(last_used(), first_use) << "no write for every request";
  env.Advance(30'000);
  EXPECT_EQ(bearer(*secret), 200);
  EXPECT_EQ(last_used(), first_use + 60'000);

  ASSERT_TRUE(RevokeToken(store, "cam-7", "root", &env).ok());
  EXPECT_EQ(bearer(*secret), 401);
  EXPECT_EQ(RevokeToken(store, "cam-7", "root", &env).code(), Code::kNotFound) << "nothing live to revoke";
  EXPECT_EQ(Audit().front().action, "token.revoke");
  auto listed = store.ListTokens();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u) << "expired and revoked tokens stay listed";
  // A revoked name may be given a new token.
  EXPECT_TRUE(CreateToken(store, "cam-7", Role::kEdge, "root", &env).ok());
}

TEST_F(AuthTest, TokensAreOnlyForMachines) {
  auto human = CreateToken(store, "dana-token", Role::kAdmin, "root", &env);
  ASSERT_FALSE(human.ok());
  EXPECT_EQ(human.status().code(), Code::kInvalid);
  EXPECT_EQ(CreateToken(store, "Cam 12", Role::kEdge, "root", &env).status().code(), Code::kInvalid);
  EXPECT_EQ(db.CountRows("tokens"), 0);
}

// ---- sign-in -------------------------------------------------------------------------------

TEST_F(AuthTest, LoginSetsHttpOnlySameSiteStrictCookie) {
  http::Response resp = LoginAs("dana", kPassword);
  ASSERT_EQ(resp.status, 200) << resp.body;
  json body = json::parse(resp.body);
  EXPECT_EQ(body["name"], "dana");
  EXPECT_EQ(body["role"], "dispatcher");
  EXPECT_EQ(body["csrf_token"].get<std::string>().size(), 43u);
  EXPECT_EQ(HeaderOf(resp, "Cache-Control"), "no-store");

  std::string cookie = HeaderOf(resp, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("gb_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Max-Age=43200"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;

  // The session is stored under the hash of the cookie value, never the value itself.
  std::string value = cookie.substr(11, cookie.find(';') - 11);
  ASSERT_EQ(db.CountRows("sessions"), 1);
  std::optional<Session> session = store.GetSession(Sha256Hex(value)).value();
  ASSERT_TRUE(session);
  EXPECT_EQ(session->id_hash, Sha256Hex(value));
  EXPECT_EQ(session->user, "dana");
  EXPECT_EQ(session->expires_at, kStart + 12 * 60 * kMinute);
  EXPECT_FALSE(store.GetSession(value).value());
  std::vector<AuditEntry> audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.front().action, "session.login");
  EXPECT_EQ(audit.front().actor, "dana");
  for (const auto& e : audit) EXPECT_EQ(e.detail.find(kPassword), std::string::npos);
}

TEST_F(AuthTest, SecureCookieOption) {
  SessionOptions secure;
  secure.secure_cookie = true;
  SessionAuthenticator a(store, &env, secure);
  auto r = a.Login("dana", kPassword, "198.51.100.7");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->set_cookie_header.ends_with("; Secure")) << r->set_cookie_header;
  auto cleared = a.Logout(r->cookie_value);
  ASSERT_TRUE(cleared.ok());
  EXPECT_NE(cleared->find("Max-Age=0"), std::string::npos);
  EXPECT_TRUE(cleared->ends_with("; Secure")) << *cleared;
}

TEST_F(AuthTest, WrongPasswordAndUnknownUserLookAlike) {
  http::Response wrong = LoginAs("dana", "not the password");
  http::Response unknown = LoginAs("nobody", kPassword);
  http::Response invalid = LoginAs("Not A Name", kPassword);
  for (const auto* r : {&wrong, &unknown, &invalid}) {
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(ErrorMessage(*r), "wrong name or password");
    EXPECT_EQ(HeaderOf(*r, "Set-Cookie"), "");
  }
  EXPECT_EQ(db.CountRows("sessions"), 0);
}

TEST_F(AuthTest, LoginFailsCleanlyWhenTheStoreFails) {
  store.SetFailWrites(true);
  http::Response resp = LoginAs("dana", kPassword);
  EXPECT_EQ(resp.status, 503);
  EXPECT_EQ(HeaderOf(resp, "Set-Cookie"), "");
}

TEST_F(AuthTest, BadLoginBodiesGet4xxWithAMessage) {
  struct Case {
    std::string body;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{\"name\": \"dana\", ", "not valid JSON"},
      {"[\"dana\", \"pw\"]", "must be a JSON object"},
      {"\"dana\"", "must be a JSON object"},
      {"{\"password\": \"x\"}", "\"name\" is missing"},
      {"{\"name\": \"dana\"}", "\"password\" is missing"},
      {"{\"name\": 42, \"password\": \"x\"}", "\"name\" must be a string"},
      {"{\"name\": \"dana\", \"password\": null}", "\"password\" must be a string"},
      {"{\"name\": \"dana\", \"password\": [\"x\"]}", "\"password\" must be a string"},
  };
  for (const auto& c : cases) {
    http::Response resp = PostLogin(c.body);
    EXPECT_EQ(resp.status, 400) << c.body;
    EXPECT_NE(ErrorMessage(resp).find(c.message_part), std::string::npos) << c.body << " → " << resp.body;
  }
  http::Response huge = PostLogin(json{{"name", "dana"}, {"password", std::string(5000, 'x')}}.dump());
  EXPECT_EQ(huge.status, 413);
  EXPECT_NE(ErrorMessage(huge).find("4096"), std::string::npos);

  http::Response form = Dispatch(MakeRequest("POST", "/api/v1/session",
                                             {{"content-type", "application/x-www-form-urlencoded"}},
                                             "name=dana&password=x"));
  EXPECT_EQ(form.status, 415);
  EXPECT_NE(ErrorMessage(form).find("application/json"), std::string::npos);
  http::Response untyped =
      Dispatch(MakeRequest("POST", "/api/v1/session", {}, json{{"name", "dana"}, {"password", kPassword}}.dump()));
  EXPECT_EQ(untyped.status, 415);
  http::Response charset = Dispatch(MakeRequest("POST", "/api/v1/session",
                                                {{"content-type", "Application/JSON; charset=utf-8"}},
                                                json{{"name", "dana"}, {"password", kPassword}}.dump()));
  EXPECT_EQ(charset.status, 200) << charset.body;
  EXPECT_EQ(db.CountRows("sessions"), 1);
}

// ---- authentication through the router --------------------------------------------------

TEST_F(AuthTest, CookieAuthenticatesThroughTheRouter) {
  auto [cookie, csrf] = SignIn("dana");
  http::Response who = Dispatch(MakeRequest("GET", "/api/v1/session", {{"cookie", cookie}}));
  ASSERT_EQ(who.status, 200) << who.body;
  json body = json::parse(who.body);
  EXPECT_EQ(body["name"], "dana");
  EXPECT_EQ(body["role"], "dispatcher");
  EXPECT_EQ(body["csrf_token"], csrf);

  http::Response things = Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}}));
  EXPECT_EQ(things.status, 200);
  EXPECT_EQ(json::parse(things.body)["who"], "dana");

  // Among other cookies, in either order, across several Cookie headers, quoted.
  std::string value = cookie.substr(cookie.find('=') + 1);
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"cookie", "theme=dark; " + cookie + "; lang=en"}},
           {{"cookie", "theme=dark;" + cookie}},
           {{"cookie", "  ;flag; x=; " + cookie + " ;"}},
           {{"cookie", "theme=dark"}, {"cookie", cookie}},
           {{"cookie", "gb_session=\"" + value + "\""}},
           {{"cookie", "gb_session=stale-value; " + cookie}}}) {
    EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", headers)).status, 200) << headers.back().second;
  }

  // No cookie, or a crew member: the route's roles decide.
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things")).status, 401);
  auto [crew_cookie, crew_csrf] = SignIn("carl");
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", crew_cookie}})).status, 403);
}

TEST_F(AuthTest, CookieWritesNeedTheCsrfToken) {
  auto [cookie, csrf] = SignIn("dana");
  http::Response none = Dispatch(MakeRequest("POST", "/api/v1/things", {{"cookie", cookie}}, "{}"));
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(ErrorMessage(none).find("X-CSRF-Token"), std::string::npos);

  std::string wrong_token = csrf;
  wrong_token[0] = wrong_token[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Dispatch(MakeRequest("POST", "/api/v1/things", {{"cookie", cookie}, {"x-csrf-token", wrong_token}}, "{}"))
                .status,
            403);
  // Another session's token does not do either.
  auto [other_cookie, other_csrf] = SignIn("dana");
  EXPECT_EQ(Dispatch(MakeRequest("POST", "/api/v1/things", {{"cookie", cookie}, {"x-csrf-token", other_csrf}}, "{}"))
                .status,
            403);

  EXPECT_EQ(
      Dispatch(MakeRequest("POST", "/api/v1/things", {{"cookie", cookie}, {"x-csrf-token", csrf}}, "{}")).status,
      201);
}

// ASVS 14.4: every answer says nosniff and no referrer; an authenticated one is never
// cached (the handler's own Cache-Control gives way); HTML gets a strict policy; HSTS only
// when the hub is served over HTTPS.
TEST_F(AuthTest, EveryAnswerCarriesTheSecurityHeaders) {
  router.Add("GET", "/api/v1/cached", {Role::kDispatcher}, [](http::Request&) {
    http::Response r = http::Json(200, "{}");
    r.SetHeader("Cache-Control", "public, max-age=60");
    return r;
  });
  router.Add("GET", "/page", {}, [](http::Request&) {
    http::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<!doctype html><title>x</title>";
    return r;
  });
  auto [cookie, csrf] = SignIn("dana");
  for (const auto& [req, authenticated] :
       std::vector<std::pair<http::Request, bool>>{{MakeRequest("GET", "/api/v1/public"), false},
                                                   {MakeRequest("GET", "/no/such/thing"), false},
                                                   {MakeRequest("GET", "/page"), false},
                                                   {MakeRequest("GET", "/api/v1/things"), false},  // 401
                                                   {MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}}), true},
                                                   {MakeRequest("GET", "/api/v1/cached", {{"cookie", cookie}}), true}}) {
    http::Response r = Dispatch(req);
    EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff") << req.path;
    EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer") << req.path;
    EXPECT_EQ(HeaderOf(r, "Strict-Transport-Security"), "") << req.path;
    if (authenticated) {
      EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store") << req.path;
      EXPECT_EQ(std::count_if(r.headers.begin(), r.headers.end(), [](auto& h) { return h.first == "Cache-Control"; }), 1);
    }
  }
  std::string csp = HeaderOf(Dispatch(MakeRequest("GET", "/page")), "Content-Security-Policy");
  for (const char* directive : {"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"})
    EXPECT_NE(csp.find(directive), std::string::npos) << directive << " in " << csp;
  EXPECT_EQ(HeaderOf(Dispatch(MakeRequest("GET", "/api/v1/public")), "Content-Security-Policy"), "");
  router.SetStrictTransportSecurity(true);
  EXPECT_NE(HeaderOf(Dispatch(MakeRequest("GET", "/api/v1/public")), "Strict-Transport-Security").find("max-age="),
            std::string::npos);
}

TEST_F(AuthTest, BearerTokensWorkWithoutCsrf) {
  auto secret = CreateToken(store, "cam-12", Role::kEdge, "root", &env);
  ASSERT_TRUE(secret.ok());
  std::string bearer = "Bearer " + *secret;
  EXPECT_EQ(Dispatch(MakeRequest("POST", "/api/v1/things", {{"authorization", bearer}}, "{}")).status, 201);
  EXPECT_EQ(Dispatch(MakeRequest("POST", "/api/v1/things", {{"authorization", "bearer  " + *secret}}, "{}")).status,
            201);

  http::Response who = Dispatch(MakeRequest("GET", "/api/v1/session", {{"authorization", bearer}}));
  ASSERT_EQ(who.status, 200);
  json body = json::parse(who.body);
  EXPECT_EQ(body["name"], "cam-12");
  EXPECT_EQ(body["role"], "edge");
  EXPECT_FALSE(body.contains("csrf_token"));

  // Machines have no session to end.
  EXPECT_EQ(Dispatch(MakeRequest("DELETE", "/api/v1/session", {{"authorization", bearer}})).status, 403);
}

TEST_F(AuthTest, UnknownBearerIsRejectedEvenOnPublicRoutes) {
  for (const std::string& header :
       std::vector<std::string>{"Bearer gb_not-a-real-token", "Bearer ", "Bearer", "Bearer " + std::string(600, 'x')}) {
    http::Response resp = Dispatch(MakeRequest("GET", "/api/v1/public", {{"authorization", header}}));
    EXPECT_EQ(resp.status, 401) << header;
  }
  EXPECT_EQ(ErrorMessage(Dispatch(MakeRequest("GET", "/api/v1/public", {{"authorization", "Bearer gb_nope"}}))),
            "unknown or revoked token");
  // Other schemes (a reverse proxy's Basic credentials) are not ours to judge.
  http::Response basic = Dispatch(MakeRequest("GET", "/api/v1/public", {{"authorization", "Basic ZGFuYTpwdw=="}}));
  EXPECT_EQ(basic.status, 200);
  EXPECT_EQ(json::parse(basic.body)["signed_in"], false);
}

TEST_F(AuthTest, ExpiredSessionIsAnonymous) {
  auto [cookie, csrf] = SignIn("dana");
  // In use every 20 minutes, it still ends 12 hours after sign-in.
  for (int i = 0; i < 35; ++i) {
    env.Advance(20 * kMinute);
    ASSERT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 200) << i;
  }
  env.Advance(20 * kMinute - 1);
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 200);
  env.Advance(1);
  http::Response protected_route = Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}}));
  EXPECT_EQ(protected_route.status, 401);
  // A stale cookie does not break public pages.
  http::Response public_route = Dispatch(MakeRequest("GET", "/api/v1/public", {{"cookie", cookie}}));
  EXPECT_EQ(public_route.status, 200);
  EXPECT_EQ(json::parse(public_route.body)["signed_in"], false);
  EXPECT_EQ(db.CountRows("sessions"), 0) << "the expired session was removed";
}

// ASVS 3.3.2: a session unused for 30 minutes ends, and keeping its idle clock costs a write
// a minute at most, not one per request.
TEST_F(AuthTest, AnIdleSessionEndsAndUseKeepsItAliveWithoutAWritePerRequest) {
  auto [cookie, csrf] = SignIn("dana");
  auto seen = [&] {
    auto sessions = db.CountRows("sessions");
    EXPECT_EQ(sessions, 1);
    return Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status;
  };
  for (int i = 0; i < 10; ++i) {
    env.Advance(29 * kMinute);
    ASSERT_EQ(seen(), 200) << "used every 29 minutes, it lives on: " << i;
  }
  const int writes_before = store.writes();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 200);
  EXPECT_EQ(store.writes(), writes_before) << "fifty requests within a minute wrote nothing";
  env.Advance(30 * kMinute);
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 401) << "idle for 30 minutes";
  EXPECT_EQ(db.CountRows("sessions"), 0);
}

TEST_F(AuthTest, ChangingAPasswordDisablingOrRemovingAUserEndsTheirSessionsAtOnce) {
  auto things = [&](const std::string& cookie) {
    return Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status;
  };
  auto [first, csrf1] = SignIn("dana");
  auto [second, csrf2] = SignIn("dana");
  const std::string next = "a different long passphrase";
  ASSERT_TRUE(ChangePassword(store, "dana", next, "dana", &env).ok());
  EXPECT_EQ(things(first), 401);
  EXPECT_EQ(things(second), 401);
  EXPECT_EQ(LoginAs("dana", kPassword).status, 401) << "the old password no longer works";
  EXPECT_EQ(ChangePassword(store, "dana", "short", "dana", &env).code(), Code::kInvalid);
  EXPECT_EQ(ChangePassword(store, "nobody", next, "root", &env).code(), Code::kNotFound);

  http::Response again = LoginAs("dana", next);
  ASSERT_EQ(again.status, 200);
  std::string cookie = HeaderOf(again, "Set-Cookie").substr(0, HeaderOf(again, "Set-Cookie").find(';'));
  ASSERT_TRUE(SetUserDisabled(store, "dana", true, "root", &env).ok());
  EXPECT_EQ(things(cookie), 401);
  EXPECT_EQ(LoginAs("dana", next).status, 401) << "a disabled user cannot sign in";
  ASSERT_TRUE(SetUserDisabled(store, "dana", false, "root", &env).ok());
  ASSERT_EQ(LoginAs("dana", next).status, 200);

  auto [carl, carl_csrf] = SignIn("carl");
  ASSERT_TRUE(RemoveUser(store, "carl", "root", &env).ok());
  EXPECT_EQ(db.CountRows("sessions WHERE user_name = 'carl'"), 0);
  EXPECT_FALSE(store.GetUser("carl").value());
  EXPECT_EQ(RemoveUser(store, "carl", "root", &env).code(), Code::kNotFound);
  std::set<std::string> actions;
  for (const auto& e : Audit()) actions.insert(e.action);
  for (const char* a : {"user.passwd", "user.disable", "user.enable", "user.remove"}) EXPECT_TRUE(actions.count(a)) << a;
}

TEST_F(AuthTest, SessionsFollowTheUsersCurrentRole) {
  auto [cookie, csrf] = SignIn("dana");
  SetUserRole("dana", Role::kCrew);
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 403);
  // The Store offers no way to remove a user; an operator can still delete the row.
  ASSERT_TRUE(db.Exec("DELETE FROM users WHERE name = 'dana'").ok());
  ASSERT_FALSE(store.GetUser("dana").value());
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 401);
}

TEST_F(AuthTest, LogoutInvalidatesTheSession) {
  auto [cookie, csrf] = SignIn("dana");
  // Logging out is a write: a cookie caller needs the CSRF token.
  EXPECT_EQ(Dispatch(MakeRequest("DELETE", "/api/v1/session", {{"cookie", cookie}})).status, 403);
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 200);

  http::Response out = Dispatch(MakeRequest("DELETE", "/api/v1/session", {{"cookie", cookie}, {"x-csrf-token", csrf}}));
  EXPECT_EQ(out.status, 204);
  std::string cleared = HeaderOf(out, "Set-Cookie");
  EXPECT_TRUE(cleared.starts_with("gb_session=;")) << cleared;
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos) << cleared;

  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/things", {{"cookie", cookie}})).status, 401);
  EXPECT_EQ(Dispatch(MakeRequest("GET", "/api/v1/session", {{"cookie", cookie}})).status, 401);
  EXPECT_EQ(db.CountRows("sessions"), 0);
  std::vector<AuditEntry> audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.front().action, "session.logout");
  EXPECT_EQ(audit.front().actor, "dana");

  // Logging out an unknown or garbled cookie value is harmless.
  EXPECT_TRUE(auth->Logout("no-such-session").ok());
  EXPECT_TRUE(auth->Logout("not;a cookie").ok());
}

// ---- rate limiting ----------------------------------------------------------------------------

TEST_F(AuthTest, FailuresOfANameFromOneAddressBackOffExponentially) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(LoginAs("dana", "wrong password").status, 401) << "free failure " << i;
  // From now on each failure doubles the wait: 1 s, 2 s, 4 s, …
  for (int wait_s : {1, 2, 4, 8}) {
    http::Response limited = LoginAs("dana", kPassword);
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(HeaderOf(limited, "Retry-After"), std::to_string(wait_s));
    EXPECT_EQ(ErrorMessage(limited), "too many failed sign-ins; try again in " + std::to_string(wait_s) +
                                         (wait_s == 1 ? " second" : " seconds"));
    env.Advance(wait_s * 1000 - 1);
    EXPECT_EQ(LoginAs("dana", kPassword).status, 429) << "a millisecond early";
    env.Advance(1);
    EXPECT_EQ(LoginAs("dana", "wrong again").status, 401);
  }
  // The same name from another address, and other names, are not slowed down: a guesser
  // cannot lock the dispatcher out.
  EXPECT_EQ(LoginAs("dana", kPassword, "192.0.2.44").status, 200);
  EXPECT_EQ(LoginAs("carl", kPassword).status, 200);
  // The wait is capped at 15 minutes, and failures an hour old are forgotten.
  for (int i = 0; i < 8; ++i) {
    env.Advance(auth->rate_limiter().RetryAfter("dana", "198.51.100.7").count());
    EXPECT_EQ(LoginAs("dana", "still wrong").status, 401) << i;
  }
  EXPECT_EQ(HeaderOf(LoginAs("dana", kPassword), "Retry-After"), std::to_string(15 * 60)) << "2^11 s, capped";
  env.Advance(60 * kMinute);
  EXPECT_EQ(LoginAs("dana", kPassword).status, 200);
}

// The waits run on the monotonic clock: a wall clock set back by a day (a bad NTP step, an
// operator's mistake) must not lock a dispatcher out for a day, nor one set forward let a
// guesser's failures be forgotten.
TEST(LoginRateLimiterClock, AStepOfTheWallClockNeitherLocksOutNorForgets) {
  test::FaultEnv env;
  auth::LoginRateLimiter limiter(&env);
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("dana", "198.51.100.7");  // the third asks for 1 s
  const auto wait = limiter.RetryAfter("dana", "198.51.100.7");
  EXPECT_GT(wait.count(), 0);
  EXPECT_LE(wait.count(), 1000);
  env.StepClock(-86'400'000);
  EXPECT_LE(limiter.RetryAfter("dana", "198.51.100.7").count(), 1000) << "a day back is not a day's lockout";
  env.StepClock(2 * 86'400'000);
  EXPECT_GT(limiter.RetryAfter("dana", "198.51.100.7").count(), 0) << "a day forward forgets no failure";
}

TEST_F(AuthTest, SuccessClearsTheNamesFailures) {
  for (int i = 0; i < 2; ++i) EXPECT_EQ(LoginAs("dana", "wrong password").status, 401);
  EXPECT_EQ(LoginAs("dana", kPassword).status, 200);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(LoginAs("dana", "wrong password").status, 401);
  EXPECT_EQ(LoginAs("dana", kPassword).status, 200);
  EXPECT_EQ(LoginAs("dana", "wrong password").status, 401) << "the count began again";
}

TEST_F(AuthTest, AnAddressTryingManyNamesBacksOff) {
  const std::string attacker = "203.0.113.9";
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(LoginAs("guess" + std::to_string(i), "password123", attacker).status, 401) << i;
  EXPECT_EQ(LoginAs("dana", kPassword, attacker).status, 429);
  EXPECT_EQ(LoginAs("dana", kPassword, "198.51.100.7").status, 200) << "other addresses still get in";
  env.Advance(1000);
  EXPECT_EQ(LoginAs("dana", kPassword, attacker).status, 200);
}

TEST_F(AuthTest, ANameAttackedFromEverywhereRaisesAnAlarmButStaysUsable) {
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(LoginAs("dana", "guess " + std::to_string(i), "203.0.113." + std::to_string(i)).status, 401) << i;
  EXPECT_EQ(auth->rate_limiter().name_ceiling_hits(), 1u);
  std::vector<AuditEntry> audit = Audit();
  auto alarm = std::find_if(audit.begin(), audit.end(), [](auto& a) { return a.action == "session.name_ceiling"; });
  ASSERT_NE(alarm, audit.end());
  EXPECT_EQ(alarm->object, "user/dana");
  EXPECT_EQ(LoginAs("dana", "guess 100", "203.0.113.200").status, 401);
  EXPECT_EQ(auth->rate_limiter().name_ceiling_hits(), 1u) << "raised once, not on every failure above";
  EXPECT_EQ(LoginAs("dana", kPassword, "198.51.100.7").status, 200) << "the dispatcher still signs in";
}

TEST_F(AuthTest, ParallelFailuresCannotExceedTheLimit) {
  std::atomic<int> unauthorized{0}, limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      auto r = auth->Login("dana", "wrong password", "198.51.100.7");
      if (r.status().code() == Code::kUnauthenticated) ++unauthorized;
      if (r.status().code() == Code::kRateLimited) ++limited;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(unauthorized.load(), 3);
  EXPECT_EQ(limited.load(), 13);
}

TEST_F(AuthTest, ASuccessDoesNotCountAgainstTheAddress) {
  for (int i = 0; i < 19; ++i) EXPECT_EQ(LoginAs("guess" + std::to_string(i), "password123").status, 401);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(LoginAs("dana", kPassword).status, 200) << i;
  EXPECT_EQ(LoginAs("guess-last", "password123").status, 401);
  EXPECT_EQ(LoginAs("dana", kPassword).status, 429);
}

TEST(LoginRateLimiter, CountsExactlyUnderConcurrency) {
  FakeClockEnv env(kStart);
  RateLimitOptions options;
  options.free_failures_per_name_and_address = 100;
  options.free_failures_per_address = 1'000'000;
  LoginRateLimiter limiter(&env, options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&limiter, t] {
      for (int i = 0; i < 100; ++i) {
        limiter.RecordFailure("dana", "10.0.0." + std::to_string(t));
        limiter.RecordFailure("user" + std::to_string(t * 1000 + i), "10.0.0." + std::to_string(t));
        (void)limiter.Check("dana", "10.0.0.1");
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(limiter.Check("dana", "10.0.0." + std::to_string(t)).code(), Code::kRateLimited) << t;
  EXPECT_TRUE(limiter.Check("dana", "10.0.0.9").ok());
  EXPECT_TRUE(limiter.Check("user1", "10.0.0.0").ok());
  EXPECT_EQ(limiter.name_ceiling_hits(), 1u) << "400 failures of dana from four addresses";
  env.Advance(60 * kMinute);
  EXPECT_TRUE(limiter.Check("dana", "10.0.0.1").ok());
  EXPECT_EQ(limiter.RetryAfter("dana", "10.0.0.0").count(), 0);
}

TEST(LoginRateLimiter, MessageSaysSecondsThenMinutesRoundedUp) {
  FakeClockEnv env(kStart);
  LoginRateLimiter limiter(&env);
  for (int i = 0; i < 13; ++i) limiter.RecordFailure("dana", "a");  // 2^10 s past the free three
  EXPECT_EQ(limiter.Check("dana", "a").message(), "too many failed sign-ins; try again in 15 minutes");
  env.Advance(14 * kMinute + 30'000);
  EXPECT_EQ(limiter.Check("dana", "a").message(), "too many failed sign-ins; try again in 30 seconds");
  env.Advance(29'500);
  EXPECT_EQ(limiter.Check("dana", "a").message(), "too many failed sign-ins; try again in 1 second");
  env.Advance(500);
  EXPECT_TRUE(limiter.Check("dana", "a").ok());
}

TEST(Cookies, ParsesSeveralCookiesRobustly) {
  http::Request req;
  req.headers = {{"cookie", "a=1; b = 2 ;;c=\"3\"; novalue; =x; d="}, {"accept", "*/*"}, {"cookie", "e=5=5"}};
  auto cookies = ParseCookies(req);
  std::vector<std::pair<std::string, std::string>> want = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", ""}, {"e", "5=5"}};
  EXPECT_EQ(cookies, want);
}

}  // namespace
}  // namespace gb::auth
