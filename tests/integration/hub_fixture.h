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
  explicit HubFixture(std::function<void(HubOptions&)> tweak = nullptr);
  ~HubFixture();

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

 private:
  std::string dir_;
  std::unique_ptr<Hub> hub_;
  std::thread thread_;
  std::string edge_token_, integration_token_;
};

// A camera event of the wire format at a place inside the demo district.
nlohmann::json MakeEvent(const std::string& key, const std::string& category, double lat, double lon,
                         const std::string& camera = "cam-01");

// A resident's graffiti report at `p` with `jpeg` as its photo (multipart/form-data); returns
// the path of its media_url (where the stored, anonymized photo is served), or "" when the post
// failed (a test failure is recorded).
std::string PostPhotoReport(HubFixture& hub, const std::string& jpeg, LatLon p);

}  // namespace gb::testing
