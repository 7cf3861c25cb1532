#include "hub_fixture.h"

#include <boost/geometry.hpp>
#include <cstdlib>

#include "api/auth/accounts.h"
#include "api/auth/crypto.h"
#include "district/district.h"
#include "district/persist.h"
#include "support/sample_event.h"

namespace gb::testing {

HubFixture::HubFixture(std::function<void(HubOptions&)> tweak, Env* env) : env_(env) {
  char tmpl[] = "/tmp/glassbrain-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  auth::SetFastHashingForTests(true);
  HubOptions options;
  options.store_url = "sqlite:" + dir_ + "/hub.db";
  options.server.host = "127.0.0.1";
  options.server.port = 0;
  options.server.handle_signals = false;
  options.server.threads = 4;
  options.web_dir = std::string(GLASSBRAIN_SOURCE_DIR) + "/web/dist";
  options.purge_interval_minutes = 0;
  if (tweak) tweak(options);
  {
    auto store = OpenStore(options.store_url);
    EXPECT_TRUE(store.ok()) << store.status().message();
    auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
    EXPECT_TRUE(district.ok()) << district.status().message();
    EXPECT_TRUE(ReplaceDistrict(**store, *district).ok());
    for (auto [name, role] : {std::pair{"admin", Role::kAdmin}, {"dispatcher", Role::kDispatcher},
                              {"crew1", Role::kCrew}, {"crew2", Role::kCrew}, {"privacy", Role::kPrivacyOfficer},
                              {"auditor", Role::kAuditor}})
      EXPECT_TRUE(auth::AddUser(**store, name, role, kPassword, "test").ok());
    edge_token_ = *auth::CreateToken(**store, "edge-1", Role::kEdge, "test");
    integration_token_ = *auth::CreateToken(**store, "crm", Role::kIntegration, "test");
  }
  options_ = std::move(options);
  Start();
}

void HubFixture::Start() {
  auto hub = Hub::Open(options_, env_);
  if (!hub.ok()) throw std::runtime_error(hub.status().message());
  hub_ = std::move(*hub);
  Status s = hub_->Listen();
  if (!s.ok()) throw std::runtime_error(s.message());
  thread_ = std::thread([this] { hub_->Run(); });
}

void HubFixture::Restart() {
  hub_->Stop();
  thread_.join();
  hub_.reset();
  Start();
}

HubFixture::~HubFixture() {
  hub_->Stop();
  thread_.join();
  hub_.reset();
  std::filesystem::remove_all(dir_);
}

HubFixture::Session HubFixture::SignIn(const std::string& user) {
  Session s{std::make_unique<HttpClient>(port()), ""};
  auto r = s.client->Request("POST", "/api/v1/session",
                             nlohmann::json{{"name", user}, {"password", kPassword}}.dump(),
                             {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("csrf_token")) s.csrf = j["csrf_token"];
  return s;
}

HttpReply HubFixture::Bearer(const std::string& token, const std::string& method, const std::string& target,
                             const std::string& body, std::vector<std::string> headers) {
  HttpClient c(port());
  headers.push_back("Authorization: Bearer " + token);
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return c.Request(method, target, body, headers);
}

HttpReply HubFixture::Anonymous(const std::string& method, const std::string& target, const std::string& body,
                                std::vector<std::string> headers) {
  HttpClient c(port());
  return c.Request(method, target, body, headers);
}

LatLon HubFixture::CentreOf(const std::string& kind) {
  for (const auto& a : hub_->catalog().Get()->district.areas)
    if (a.kind == kind) {
      GeoPoint c(0, 0);
      boost::geometry::centroid(a.polygon, c);
      return {c.y(), c.x()};
    }
  ADD_FAILURE() << "no area of kind " << kind;
  return {};
}

nlohmann::json HubFixture::Ingest(const nlohmann::json& events, int status) {
  auto r = Bearer(edge_token_, "POST", "/api/v1/events:batch", events.dump());
  EXPECT_EQ(r.status, status) << r.body;
  return nlohmann::json::parse(r.body, nullptr, false);
}

nlohmann::json MakeEvent(const std::string& key, const std::string& category, double lat, double lon,
                         const std::string& camera) {
  return SampleEvent(key, category, lat, lon, camera);
}

// A resident's graffiti report with a photo, as multipart/form-data.
HttpReply PostPhotoRequest(HubFixture& hub, const std::string& jpeg, LatLon p) {
  const std::string boundary = "gbBoundary7MA4YWxk";
  auto field = [&](const std::string& name, const std::string& value) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  };
  std::string body = field("service_code", "graffiti") + field("lat", std::to_string(p.lat)) +
                     field("long", std::to_string(p.lon)) + field("description", "Tag on the old wall") + "--" +
                     boundary + "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"wall.jpg\"\r\n" +
                     "Content-Type: image/jpeg\r\n\r\n" + jpeg + "\r\n--" + boundary + "--\r\n";
  return hub.Anonymous("POST", "/open311/v2/requests.json", body,
                       {"Content-Type: multipart/form-data; boundary=" + boundary});
}

std::string PostPhotoReport(HubFixture& hub, const std::string& jpeg, LatLon p) {
  auto r = PostPhotoRequest(hub, jpeg, p);
  EXPECT_EQ(r.status, 201) << r.body;
  if (r.status != 201) return "";
  auto created = nlohmann::json::parse(r.body)[0];
  std::string id = created["service_request_id"].is_string() ? created["service_request_id"].get<std::string>()
                                                             : nlohmann::to_string(created["service_request_id"]);
  auto req = nlohmann::json::parse(hub.Anonymous("GET", "/open311/v2/requests/" + id + ".json").body)[0];
  std::string url = req["media_url"];
  return url.substr(url.find("/open311/"));
}

nlohmann::json MakeEventNow(const std::string& key, const std::string& category, double lat, double lon) {
  nlohmann::json e = MakeEvent(key, category, lat, lon);
  e["observed_at"] = FormatRfc3339(Env::Default()->NowMs());
  return e;
}

}  // namespace gb::testing
