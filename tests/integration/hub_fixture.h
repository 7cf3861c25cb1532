// A real hub for integration tests: a fresh SQLite file in a temporary directory, the demo
// district, one account per role (password "correct horse battery"), an edge and an
// integration token, serving on a free loopback port in a background thread.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/hub.h"
#include "http_client.h"

namespace gb::testing {

inline constexpr const char* kPassword = "correct horse battery";

class HubFixture {
 public:
  // `env` (when given) is the hub's clock and files; it must outlive the fixture.
  explicit HubFixture(std::function<void(HubOptions&)> tweak = nullptr, Env* env = Env::Default());
  ~HubFixture();

  // Stops the hub and opens it again on the same store, as after a restart. It listens on
  // another port: sign in again afterwards.
  void Restart();

  std::uint16_t port() const { return hub_->port(); }
  Hub& hub() { return *hub_; }
  const std::string& dir() const { return dir_; }
  const std::string& edge_token() const { return edge_token_; }
  const std::string& integration_token() const { return integration_token_; }

  // A client signed in as `user` (cookie + CSRF token ready in `csrf`).
  struct Session {
    std::unique_ptr<HttpClient> client;
    std::string csrf;
    HttpReply Get(const std::string& target) { return client->Request("GET", target); }
    HttpReply Send(const std::string& method, const std::string& target, const std::string& body,
                   std::vector<std::string> headers = {}) {
      headers.push_back("X-CSRF-Token: " + csrf);
      headers.push_back("Content-Type: application/json");
      return client->Request(method, target, body, headers);
    }
  };
  Session SignIn(const std::string& user);
  // A request with a bearer token.
  HttpReply Bearer(const std::string& token, const std::string& method, const std::string& target,
                   const std::string& body = "", std::vector<std::string> headers = {});
  HttpReply Anonymous(const std::string& method, const std::string& target, const std::string& body = "",
                      std::vector<std::string> headers = {});

  // The centre of the first area of `kind` in the district (a failure when there is none).
  LatLon CentreOf(const std::string& kind);
  // POSTs `events` to /api/v1/events:batch as the edge agent; expects `status` and returns
  // the parsed answer.
  nlohmann::json Ingest(const nlohmann::json& events, int status = 200);

 private:
  void Start();

  std::string dir_;
  HubOptions options_;
  Env* env_;
  std::unique_ptr<Hub> hub_;
  std::thread thread_;
  std::string edge_token_, integration_token_;
};

// A suite of tests that share one hub, made before the suite's first test and removed after
// its last. `Suite` (the derived class) may define `static void Tweak(HubOptions&)`.
template <typename Suite>
class SharedHubTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() { hub_ = new HubFixture(&Suite::Tweak); }
  static void TearDownTestSuite() {
    delete hub_;
    hub_ = nullptr;
  }
  static void Tweak(HubOptions&) {}

 protected:
  HubFixture& f() { return *hub_; }

 private:
  static inline HubFixture* hub_ = nullptr;
};

// A camera event of the wire format at a place inside the demo district, observed at
// 2026-11-24T10:15:02.120Z.
nlohmann::json MakeEvent(const std::string& key, const std::string& category, double lat, double lon,
                         const std::string& camera = "cam-01");
// The same, observed now (by the default Env): it joins what residents report now.
nlohmann::json MakeEventNow(const std::string& key, const std::string& category, double lat, double lon);

// A resident's graffiti report at `p` with `jpeg` as its photo (multipart/form-data); returns
// the path of its media_url (where the stored, anonymized photo is served), or "" when the post
// failed (a test failure is recorded).
std::string PostPhotoReport(HubFixture& hub, const std::string& jpeg, LatLon p);
// The same post, answered as it was: for tests that expect it to fail.
HttpReply PostPhotoRequest(HubFixture& hub, const std::string& jpeg, LatLon p);

}  // namespace gb::testing
