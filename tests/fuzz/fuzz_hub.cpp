#include "fuzz_hub.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/auth/accounts.h"
#include "api/auth/crypto.h"
#include "district/district.h"
#include "district/persist.h"
#include "support/sample_event.h"

namespace gb::fuzz {
namespace {

constexpr const char* kPassword = "correct horse battery";

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "cannot set up the hub to fuzz: %s\n", what.c_str());
  std::exit(2);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Fail(std::string(what) + ": " + s.message());
}

std::string TemporaryDir() {
  std::error_code ec;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string parent = tmpdir && *tmpdir ? tmpdir : std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
  std::string pattern = parent + "/glassbrain-fuzz-XXXXXX";
  if (!mkdtemp(pattern.data())) Fail("mkdtemp in " + parent + " failed");
  return pattern;
}

http::Response Send(const Hub& hub, std::string method, std::string target, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers) {
  http::Request req;
  req.method = std::move(method);
  req.target = target;
  req.path = target;
  req.headers = std::move(headers);
  req.body = std::move(body);
  req.remote_address = "127.0.0.1";
  std::string route;
  return hub.router().Dispatch(req, &route);
}

FuzzHub Make() {
  spdlog::set_level(spdlog::level::off);  // a log line per odd request would slow the runs down
  auth::SetFastHashingForTests(true);
  FuzzHub f;
  f.dir = TemporaryDir();
  HubOptions options;
  options.store_url = "sqlite:" + f.dir + "/hub.db";
  options.web_dir = std::string(GLASSBRAIN_SOURCE_DIR) + "/web/dist";
  options.purge_interval_minutes = 0;
  options.api.public_base_url = "http://127.0.0.1:8080";
  {
    auto store = OpenStore(options.store_url);
    if (!store.ok()) Fail(store.status().message());
    auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
    if (!district.ok()) Fail(district.status().message());
    Check(ReplaceDistrict(**store, *district), "importing the demo district");
    for (auto [name, role] : {std::pair{"admin", Role::kAdmin}, {"dispatcher", Role::kDispatcher},
                              {"crew1", Role::kCrew}, {"privacy", Role::kPrivacyOfficer}, {"auditor", Role::kAuditor}})
      Check(auth::AddUser(**store, name, role, kPassword, "fuzz"), "adding a user");
    auto edge = auth::CreateToken(**store, "edge-1", Role::kEdge, "fuzz");
    auto integration = auth::CreateToken(**store, "crm", Role::kIntegration, "fuzz");
    if (!edge.ok() || !integration.ok()) Fail("cannot create the tokens");
    f.edge_token = *edge;
    f.integration_token = *integration;
  }
  auto hub = Hub::Open(options);
  if (!hub.ok()) Fail(hub.status().message());
  f.hub = std::move(*hub);

  auto login = Send(*f.hub, "POST", "/api/v1/session",
                    nlohmann::json{{"name", "admin"}, {"password", kPassword}}.dump(),
                    {{"content-type", "application/json"}});
  if (login.status != 200) Fail("signing in: " + login.body);
  f.csrf = nlohmann::json::parse(login.body).value("csrf_token", "");
  for (const auto& [name, value] : login.headers)
    if (name == "Set-Cookie" && value.starts_with("gb_session="))
      f.session = value.substr(11, value.find(';') - 11);
  if (f.session.empty() || f.csrf.empty()) Fail("the sign-in set no session cookie");

  nlohmann::json batch = {testing::SampleEvent("fuzz/1", "illegal_parking", 31.2350, 121.4650),
                          testing::SampleEvent("fuzz/2", "dumped_rubbish", 31.2335, 121.4737),
                          testing::SampleEvent("fuzz/3", "illegal_parking", 31.2351, 121.4651)};
  auto ingest = Send(*f.hub, "POST", "/api/v1/events:batch", batch.dump(),
                     {{"authorization", "Bearer " + f.edge_token}, {"content-type", "application/json"}});
  if (ingest.status != 200) Fail("ingesting the first events: " + ingest.body);
  return f;
}

}  // namespace

FuzzHub& TheHub() {
  static FuzzHub hub = Make();
  static const bool cleanup_registered = [] {
    return std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TheHub().dir, ec);
    }) == 0;
  }();
  (void)cleanup_registered;
  return hub;
}

std::string WithCredentials(std::string_view input) {
  const FuzzHub& f = TheHub();
  const std::pair<std::string_view, const std::string*> placeholders[] = {
      {"{edge_token}", &f.edge_token}, {"{integration_token}", &f.integration_token},
      {"{session}", &f.session}, {"{csrf}", &f.csrf}};
  std::string out;
  out.reserve(input.size());
  while (!input.empty()) {
    bool replaced = false;
    if (input.front() == '{')
      for (const auto& [name, value] : placeholders)
        if (input.starts_with(name)) {
          out += *value;
          input.remove_prefix(name.size());
          replaced = true;
          break;
        }
    if (!replaced) {
      out.push_back(input.front());
      input.remove_prefix(1);
    }
  }
  return out;
}

}  // namespace gb::fuzz
