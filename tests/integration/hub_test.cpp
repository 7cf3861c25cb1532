// The hub end to end: a real SQLite file, the real HTTP server on loopback, the demo
// district. Each test states a behaviour a user of the hub depends on.
#include <set>
#include <thread>

#include "api/auth/crypto.h"
#include "hub_fixture.h"
#include "privacy/retention/retention.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using nlohmann::json;

class HubTest : public SharedHubTest<HubTest> {
 protected:
  LatLon CentreOf(const std::string& kind) { return f().CentreOf(kind); }
  json Batch(const json& events) { return f().Ingest(events); }

  size_t IncidentCount() {
    auto s = f().SignIn("dispatcher");
    auto r = s.Get("/api/v1/incidents?limit=1000");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["items"].size();
  }

};

TEST_F(HubTest, HealthReadinessAndMetricsAnswer) {
  auto h = f().Anonymous("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(f().Anonymous("GET", "/readyz").status, 200);
  auto m = f().Anonymous("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("glassbrain_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("glassbrain_http_request_duration_seconds_bucket{route=\"/healthz\""), std::string::npos);
  EXPECT_NE(m.body.find("glassbrain_incidents{state=\"routed\"}"), std::string::npos);
}

TEST_F(HubTest, OpenApiDocumentListsEveryEndpointWithItsRoles) {
  auto r = f().Anonymous("GET", "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  auto doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].contains("/api/v1/events:batch"));
  EXPECT_EQ(doc["paths"]["/api/v1/audit"]["get"]["x-roles"], json({"privacy_officer", "auditor"}));
}

// DESIGN §4.7: every endpoint checks the caller's role. Walks every route of the OpenAPI
// document as the public and as each role.
TEST_F(HubTest, EveryEndpointChecksEveryRole) {
  auto doc = json::parse(f().Anonymous("GET", "/api/v1/openapi.json").body);
  const std::vector<std::pair<std::string, Role>> humans = {{"admin", Role::kAdmin},
                                                            {"dispatcher", Role::kDispatcher},
                                                            {"crew1", Role::kCrew},
                                                            {"privacy", Role::kPrivacyOfficer},
                                                            {"auditor", Role::kAuditor}};
  std::map<Role, HubFixture::Session> sessions;
  for (const auto& [name, role] : humans) sessions.emplace(role, f().SignIn(name));
  int checked = 0;
  for (const auto& [path_template, methods] : doc["paths"].items()) {
    std::string path = path_template;
    for (auto [param, value] : {std::pair{"{id}", "1"}, {"{ref}", "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}) {
      for (size_t p; (p = path.find(param)) != std::string::npos;) path.replace(p, std::string(param).size(), value);
    }
    for (const auto& [method_lower, op] : methods.items()) {
      if (!op.contains("x-roles")) continue;  // public
      std::string method = method_lower;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::set<std::string> allowed;
      for (const auto& r : op["x-roles"]) allowed.insert(r.get<std::string>());
      std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
      bool stream = path == "/api/v1/stream";
      auto status_of = [&](const std::function<HttpReply()>& call, const std::string& raw_request) {
        if (!stream) return call().status;
        HttpClient c(f().port());
        return ParseReply(c.ReadFor(raw_request, std::chrono::milliseconds(300))).status;
      };
      std::string raw = "GET " + path + " HTTP/1.1\r\nHost: x\r\n";
      int anon = status_of([&] { return f().Anonymous(method, path, body); }, raw + "\r\n");
      EXPECT_EQ(anon, 401) << method << " " << path << " as the public";
      for (auto& [role, session] : sessions) {
        std::string role_name(RoleName(role));
        int st = status_of([&] { return method == "GET" ? session.Get(path) : session.Send(method, path, body); },
                           raw + "Cookie: " + session.client->cookie + "\r\n\r\n");
        if (allowed.count(role_name))
          EXPECT_TRUE(st != 401 && st != 403) << method << " " << path << " as " << role_name << " got " << st;
        else
          EXPECT_EQ(st, 403) << method << " " << path << " as " << role_name;
        if (method == "DELETE" && path == "/api/v1/session" && allowed.count(role_name)) {
          // That signed the session out; sign in again for the rest of the walk.
          for (const auto& [n, r] : humans)
            if (r == role) session = f().SignIn(n);
        }
        ++checked;
      }
      for (auto [token, role_name] : {std::pair{f().edge_token(), "edge"}, {f().integration_token(), "integration"}}) {
        int st = status_of([&] { return f().Bearer(token, method, path, body); },
                           raw + "Authorization: Bearer " + token + "\r\n\r\n");
        if (allowed.count(role_name))
          EXPECT_TRUE(st != 401 && st != 403) << method << " " << path << " as " << role_name << " got " << st;
        else
          EXPECT_EQ(st, 403) << method << " " << path << " as " << role_name;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 200);
}

TEST_F(HubTest, BatchIngestCorrelatesRoutesAndDeduplicates) {
  LatLon p = CentreOf("no_parking");
  json batch = json::array({MakeEvent("t1/a", "illegal_parking", p.lat, p.lon, "cam-01"),
                            MakeEvent("t1/b", "illegal_parking", p.lat + 0.0001, p.lon, "cam-02"),
                            MakeEvent("t1/a", "illegal_parking", p.lat, p.lon, "cam-01"),
                            MakeEvent("t1/c", "no_such_category", p.lat, p.lon),
                            json{{"idempotency_key", 42}}});
  json r = Batch(batch);
  auto& res = r["results"];
  ASSERT_EQ(res.size(), 5u);
  EXPECT_EQ(res[0]["status"], "stored");
  EXPECT_EQ(res[1]["status"], "stored");
  EXPECT_EQ(res[1]["incident_id"], res[0]["incident_id"]) << "11 m apart, same category: one incident";
  EXPECT_EQ(res[2]["status"], "duplicate");
  EXPECT_EQ(res[2]["incident_id"], res[0]["incident_id"]);
  EXPECT_EQ(res[3]["status"], "rejected");
  EXPECT_NE(res[3]["error"].get<std::string>().find("unknown category"), std::string::npos);
  EXPECT_EQ(res[4]["status"], "rejected");
  EXPECT_NE(res[4]["error"].get<std::string>().find("idempotency_key must be a string"), std::string::npos);

  // Sending the same batch again stores nothing new.
  json again = Batch(batch);
  EXPECT_EQ(again["results"][0]["status"], "duplicate");
  EXPECT_EQ(again["results"][1]["status"], "duplicate");
  EXPECT_EQ(again["results"][0]["incident_id"], res[0]["incident_id"]);

  auto s = f().SignIn("dispatcher");
  auto inc = json::parse(s.Get("/api/v1/incidents/" + to_string(res[0]["incident_id"])).body);
  EXPECT_EQ(inc["event_count"], 2);
  EXPECT_EQ(inc["state"], "routed");
  auto expected = f().hub().catalog().Get()->router.Decide("illegal_parking", p, *ParseRfc3339("2026-11-24T10:15:02.120Z"));
  EXPECT_EQ(inc["department_id"], expected.department_id);
  EXPECT_EQ(inc["explanation"], expected.explanation);
  EXPECT_FALSE(inc["explanation"].get<std::string>().empty());
  auto events = json::parse(s.Get("/api/v1/incidents/" + to_string(res[0]["incident_id"]) + "/events").body);
  EXPECT_EQ(events["items"].size(), 2u);

  // Keys that only look unique are refused one by one; the good item beside them is stored.
  json odd = json::array({MakeEvent(" ", "illegal_parking", p.lat, p.lon), MakeEvent(" t1/a", "illegal_parking", p.lat, p.lon),
                          MakeEvent("t1/a\t", "illegal_parking", p.lat, p.lon),
                          MakeEvent("t1/\a-d", "illegal_parking", p.lat, p.lon),
                          MakeEvent("t1/e", "illegal_parking", p.lat, p.lon)});
  json odd_reply = Batch(odd);
  const json& odd_res = odd_reply["results"];
  for (int i : {0, 1}) {
    EXPECT_EQ(odd_res[i]["status"], "rejected") << i;
    EXPECT_NE(to_string(odd_res[i]["error"]).find("must not begin or end with a space"), std::string::npos) << i;
  }
  for (int i : {2, 3}) {
    EXPECT_EQ(odd_res[i]["status"], "rejected") << i;
    EXPECT_NE(to_string(odd_res[i]["error"]).find("must not hold control characters"), std::string::npos) << i;
  }
  EXPECT_EQ(odd_res[4]["status"], "stored");
}

TEST_F(HubTest, UnroutedIncidentsGoToTheFallbackAndAreFlagged) {
  // Far outside every area: no rule can name an area there, so only "*" rules or the fallback apply.
  auto catalog = f().hub().catalog().Get();
  LatLon far{catalog->district.center.lat + 0.2, catalog->district.center.lon + 0.2};
  json r = Batch(json::array({MakeEvent("t2/far", "noise", far.lat, far.lon)}));
  auto expected = catalog->router.Decide("noise", far, *ParseRfc3339("2026-11-24T10:15:02.120Z"));
  auto s = f().SignIn("dispatcher");
  auto inc = json::parse(s.Get("/api/v1/incidents/" + to_string(r["results"][0]["incident_id"])).body);
  EXPECT_EQ(inc["unrouted"], expected.unrouted);
  if (expected.unrouted) {
    EXPECT_EQ(inc["department_id"], catalog->district.fallback_department);
    EXPECT_NE(inc["explanation"].get<std::string>().find("fallback"), std::string::npos);
  }
}

// DESIGN §4.8: bad input gets a 4xx with a clear message and changes nothing.
TEST_F(HubTest, BadBatchesAreRefusedAndChangeNothing) {
  size_t before = IncidentCount();
  auto post = [&](const std::string& body) {
    return f().Bearer(f().edge_token(), "POST", "/api/v1/events:batch", body);
  };
  auto r = post("[{\"idempotency_key\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos);
  r = post("{\"events\": []}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("JSON array"), std::string::npos);
  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back(MakeEvent("t3/" + std::to_string(i), "pothole", 31.23, 121.47));
  r = post(many.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("at most 1000"), std::string::npos);
  r = post(std::string(9u << 20, ' '));
  EXPECT_EQ(r.status, 413);
  LatLon p = CentreOf("waste_point");
  json bad = json::array({MakeEvent("t3/lat", "dumped_rubbish", 95, p.lon), MakeEvent("t3/types", "dumped_rubbish", p.lat, p.lon)});
  bad[1]["location"]["lat"] = "31.2";
  auto res = json::parse(post(bad.dump()).body)["results"];
  EXPECT_EQ(res[0]["status"], "rejected");
  EXPECT_NE(res[0]["error"].get<std::string>().find("lat in [-90, 90]"), std::string::npos);
  EXPECT_EQ(res[1]["status"], "rejected");
  EXPECT_NE(res[1]["error"].get<std::string>().find("must be numbers"), std::string::npos);
  json future = json::array({MakeEvent("t3/future", "dumped_rubbish", p.lat, p.lon)});
  future[0]["observed_at"] = "2999-01-01T00:00:00Z";
  EXPECT_EQ(json::parse(post(future.dump()).body)["results"][0]["status"], "rejected");
  EXPECT_EQ(IncidentCount(), before);
}

TEST_F(HubTest, DeeplyNestedJsonIsRefusedBeforeItIsParsed) {
  // An event whose attributes nest a million levels deep: stored, it would be written back
  // as text by a recursion as deep, and the hub would run out of stack.
  LatLon p = CentreOf("poster_wall");
  json e = MakeEvent("t10/deep", "graffiti", p.lat, p.lon);
  std::string text = json::array({e}).dump();
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  text.insert(text.rfind('}'), ",\"attributes\":{\"x\":" + deep + "}");
  auto r = f().Bearer(f().edge_token(), "POST", "/api/v1/events:batch", text);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("nests deeper than 32"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_EQ(f().Anonymous("GET", "/healthz").status, 200);
  auto admin = f().SignIn("admin");
  const std::string nested = std::string(1000, '[') + std::string(1000, ']');  // within the body limit
  auto put = admin.Send("PUT", "/api/v1/departments/deep", "{\"id\":\"deep\",\"name\":" + nested + "}");
  EXPECT_EQ(put.status, 400) << put.body.substr(0, 300);
  auto login = f().Anonymous("POST", "/api/v1/session", std::string(40, '[') + std::string(40, ']'),
                             {"Content-Type: application/json"});
  EXPECT_EQ(login.status, 400) << login.body;
  // What an edge agent really sends still goes through.
  EXPECT_EQ(Batch(json::array({MakeEvent("t10/flat", "graffiti", p.lat, p.lon)}))["results"][0]["status"], "stored");
}

TEST_F(HubTest, SqlMetacharactersAreStoredVerbatim) {
  LatLon p = CentreOf("poster_wall");
  std::string key = "x'); DROP TABLE events;--";
  json r = Batch(json::array({MakeEvent(key, "unauthorized_poster", p.lat, p.lon)}));
  EXPECT_EQ(r["results"][0]["status"], "stored");
  r = Batch(json::array({MakeEvent(key, "unauthorized_poster", p.lat, p.lon)}));
  EXPECT_EQ(r["results"][0]["status"], "duplicate") << "the key was stored as text, and events still exists";
  auto s = f().SignIn("dispatcher");
  auto events = json::parse(s.Get("/api/v1/incidents/" + to_string(r["results"][0]["incident_id"]) + "/events").body);
  EXPECT_EQ(events["items"][0]["idempotency_key"], key);
}

TEST_F(HubTest, TransitionsAreCheckedAuditedAndStreamed) {
  LatLon p = CentreOf("construction_site");
  json r = Batch(json::array({MakeEvent("t4/helmet", "no_helmet", p.lat, p.lon)}));
  std::string id = to_string(r["results"][0]["incident_id"]);
  auto disp = f().SignIn("dispatcher");
  auto crew1 = f().SignIn("crew1");
  auto crew2 = f().SignIn("crew2");
  auto go = [&](HubFixture::Session& s, json body) {
    return s.Send("POST", "/api/v1/incidents/" + id + "/transitions", body.dump());
  };
  auto bad = go(disp, {{"to", "resolved"}});
  EXPECT_EQ(bad.status, 409);
  EXPECT_NE(bad.body.find("allowed next: dispatched"), std::string::npos) << bad.body;
  EXPECT_EQ(go(disp, {{"to", "dispatched"}}).status, 400) << "dispatching needs an assignee";
  EXPECT_EQ(go(disp, {{"to", "dispatched"}, {"assignee", "auditor"}}).status, 400) << "only crew can be assigned";
  auto ok = go(disp, {{"to", "dispatched"}, {"assignee", "crew1"}, {"note", "closest crew"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(go(crew2, {{"to", "in_progress"}}).status, 403) << "not crew2's task";
  auto tasks = json::parse(crew1.Get("/api/v1/tasks").body)["items"];
  bool listed = false;
  for (const auto& t : tasks) listed |= to_string(t["id"]) == id;
  EXPECT_TRUE(listed);
  EXPECT_EQ(go(crew1, {{"to", "in_progress"}}).status, 200);
  EXPECT_EQ(go(crew1, {{"to", "resolved"}, {"note", "cleared"}}).status, 200);
  EXPECT_EQ(go(crew1, {{"to", "in_progress"}}).status, 409) << "resolved is final";

  auto auditor = f().SignIn("auditor");
  auto audit = json::parse(auditor.Get("/api/v1/audit?object=incident/" + id).body)["items"];
  std::vector<std::string> moves;
  for (const auto& e : audit)
    if (e["action"] == "incident.transition") moves.push_back(e["detail"]["to"]);
  EXPECT_EQ(moves, (std::vector<std::string>{"resolved", "in_progress", "dispatched"}));

  // The live stream replays these changes from the beginning, with ids to resume from.
  HttpClient c(f().port());
  std::string raw = c.ReadFor("GET /api/v1/stream?last_event_id=0 HTTP/1.1\r\nHost: x\r\nCookie: " +
                                  disp.client->cookie + "\r\n\r\n",
                              std::chrono::milliseconds(700));
  EXPECT_NE(raw.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(raw.find("event: incident.transition"), std::string::npos);
  EXPECT_NE(raw.find("\"id\":" + id + ","), std::string::npos);
  size_t last_id_pos = raw.rfind("\nid: ");
  ASSERT_NE(last_id_pos, std::string::npos);
  std::string last_id = raw.substr(last_id_pos + 5, raw.find('\n', last_id_pos + 1) - last_id_pos - 5);
  std::string resumed = c.ReadFor("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + last_id +
                                      "\r\nCookie: " + disp.client->cookie + "\r\n\r\n",
                                  std::chrono::milliseconds(400));
  EXPECT_EQ(resumed.find("\nid: "), std::string::npos) << "nothing new after the last id";
}

TEST_F(HubTest, MergeAndSplitMoveEvents) {
  LatLon p = CentreOf("waste_point");
  json a = Batch(json::array({MakeEvent("t5/a1", "graffiti", p.lat, p.lon), MakeEvent("t5/a2", "graffiti", p.lat, p.lon)}));
  json b = Batch(json::array({MakeEvent("t5/b1", "graffiti", p.lat + 0.01, p.lon)}));
  std::string ia = to_string(a["results"][0]["incident_id"]), ib = to_string(b["results"][0]["incident_id"]);
  ASSERT_NE(ia, ib);
  auto disp = f().SignIn("dispatcher");
  auto m = disp.Send("POST", "/api/v1/incidents/" + ia + "/merge", json{{"incidents", {std::stoll(ib)}}}.dump());
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(json::parse(m.body)["event_count"], 3);
  auto merged = json::parse(disp.Get("/api/v1/incidents/" + ib).body);
  EXPECT_EQ(merged["state"], "merged");
  EXPECT_EQ(to_string(merged["merged_into"]), ia);
  auto events = json::parse(disp.Get("/api/v1/incidents/" + ia + "/events").body)["items"];
  ASSERT_EQ(events.size(), 3u);
  auto sp = disp.Send("POST", "/api/v1/incidents/" + ia + "/split", json{{"events", {events[0]["id"]}}}.dump());
  ASSERT_EQ(sp.status, 201) << sp.body;
  EXPECT_EQ(json::parse(sp.body)["event_count"], 1);
  EXPECT_EQ(json::parse(disp.Get("/api/v1/incidents/" + ia).body)["event_count"], 2);
  EXPECT_EQ(disp.Send("POST", "/api/v1/incidents/" + ia + "/merge", json{{"incidents", {std::stoll(ia)}}}.dump()).status,
            400);
}

TEST_F(HubTest, CookieWritesNeedTheCsrfToken) {
  auto disp = f().SignIn("dispatcher");
  auto r = disp.client->Request("POST", "/api/v1/incidents/1/transitions", "{\"to\":\"rejected\"}",
                                {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("X-CSRF-Token"), std::string::npos);
  r = disp.client->Request("POST", "/api/v1/incidents/1/transitions", "{\"to\":\"rejected\"}",
                           {"Content-Type: application/json", "X-CSRF-Token: wrong"});
  EXPECT_EQ(r.status, 403);
}

TEST_F(HubTest, PublicMapShowsCamerasAndIncidentsButNoEvidenceOrPeople) {
  LatLon p = CentreOf("no_parking");
  Batch(json::array({MakeEvent("t6/x", "illegal_parking", p.lat, p.lon)}));
  auto r = f().Anonymous("GET", "/api/v1/public/map");
  ASSERT_EQ(r.status, 200);
  auto fc = json::parse(r.body);
  std::map<std::string, int> layers;
  for (const auto& feat : fc["features"]) {
    ++layers[feat["properties"]["layer"]];
    if (feat["properties"]["layer"] == "incident") {
      for (const char* secret : {"views", "assignee", "note", "explanation", "evidence"}) {
        EXPECT_FALSE(feat["properties"].contains(secret)) << secret;
      }
    }
  }
  EXPECT_GE(layers["area"], 30);
  EXPECT_GE(layers["camera"], 40);
  EXPECT_EQ(layers["camera_coverage"], layers["camera"]);
  EXPECT_GE(layers["incident"], 1);
  EXPECT_TRUE(fc["retention"].contains("evidence_days"));
}

TEST_F(HubTest, Open311ReportsAreRoutedAndNeverShowPersonalData) {
  auto services = json::parse(f().Anonymous("GET", "/open311/v2/services.json").body);
  std::set<std::string> codes;
  for (const auto& s : services) codes.insert(s["service_code"]);
  for (const char* c : {"illegal_parking", "dumped_rubbish", "unauthorized_poster", "no_helmet", "overflowing_bin",
                        "flooding", "broken_streetlight", "graffiti", "pothole", "noise"})
    EXPECT_TRUE(codes.count(c)) << c;
  LatLon p = CentreOf("waste_point");
  std::string form = "service_code=dumped_rubbish&lat=" + std::to_string(p.lat) + "&long=" + std::to_string(p.lon) +
                     "&description=Mattress+left+by+the+bins&email=resident%40example.org&first_name=Ann";
  auto r = f().Anonymous("POST", "/open311/v2/requests.json", form, {"Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = json::parse(r.body);
  std::string id = created[0]["service_request_id"].is_string() ? created[0]["service_request_id"].get<std::string>()
                                                                : to_string(created[0]["service_request_id"]);
  auto one = f().Anonymous("GET", "/open311/v2/requests/" + id + ".json");
  ASSERT_EQ(one.status, 200) << one.body;
  auto req = json::parse(one.body)[0];
  EXPECT_EQ(req["service_code"], "dumped_rubbish");
  EXPECT_EQ(req["status"], "open");
  // agency_responsible is the name of the department the report's incident was routed to.
  auto disp = f().SignIn("dispatcher");
  IncidentFilter newest;
  newest.limit = 1;
  newest.categories = {"dumped_rubbish"};
  auto incidents = f().hub().store().ListIncidents(newest).value();
  ASSERT_FALSE(incidents.empty());
  const Department* dept = f().hub().catalog().Get()->router.FindDepartment(incidents[0].department_id);
  ASSERT_NE(dept, nullptr);
  EXPECT_EQ(req["agency_responsible"], dept->name);
  EXPECT_EQ(one.body.find("resident@example.org"), std::string::npos);
  EXPECT_EQ(one.body.find("Ann"), std::string::npos);
  auto xml = f().Anonymous("GET", "/open311/v2/requests/" + id + ".xml");
  EXPECT_EQ(xml.status, 200);
  EXPECT_EQ(xml.body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0), 0u) << xml.body.substr(0, 60);
  auto unknown = f().Anonymous("POST", "/open311/v2/requests.json", "service_code=nope&lat=31.23&long=121.47",
                               {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_GE(unknown.status, 400);
  EXPECT_LT(unknown.status, 500);
  auto err = json::parse(unknown.body);
  ASSERT_TRUE(err.is_array());
  EXPECT_TRUE(err[0].contains("code") && err[0].contains("description"));
}

TEST_F(HubTest, Open311PhotosAreAnonymizedStoredAndServedByMediaUrl) {
  std::string jpeg = GradientJpeg(400, 300);
  std::string path = PostPhotoReport(f(), jpeg, CentreOf("poster_wall"));
  ASSERT_FALSE(path.empty());
  auto photo = f().Anonymous("GET", path);
  ASSERT_EQ(photo.status, 200) << path;
  EXPECT_EQ(photo.header("content-type"), "image/jpeg");
  EXPECT_EQ(photo.body.substr(0, 2), "\xFF\xD8");
  EXPECT_NE(photo.body, jpeg) << "what is served is the re-encoded photo";
  // Camera evidence is not a resident's photo: the public cannot fetch it by hash.
  std::string cam = GradientJpeg(200, 100);
  std::string ref = "sha256:" + auth::Sha256Hex(cam);
  ASSERT_EQ(f().Bearer(f().edge_token(), "PUT", "/api/v1/evidence/" + ref, cam, {"Content-Type: image/jpeg"}).status, 201);
  EXPECT_EQ(f().Anonymous("GET", "/open311/v2/media/" + ref.substr(7) + ".jpg").status, 404);
}

TEST_F(HubTest, EvidenceIsReencodedAndEveryReadIsAudited) {
  std::string jpeg = GradientJpeg(320, 240);
  std::string ref = "sha256:" + auth::Sha256Hex(jpeg);
  auto put = f().Bearer(f().edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"});
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string stored_as = json::parse(put.body)["stored_as"];
  EXPECT_NE(stored_as, ref) << "stored under the hash of what is stored, the re-encoded image";
  auto again = f().Bearer(f().edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg, {"Content-Type: image/jpeg"});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["stored_as"], stored_as);
  EXPECT_EQ(json::parse(again.body)["stored"], false);
  std::string not_image = "hello, not a jpeg";
  auto bad = f().Bearer(f().edge_token(), "PUT", "/api/v1/evidence/sha256:" + auth::Sha256Hex(not_image), not_image,
                        {"Content-Type: image/jpeg"});
  EXPECT_EQ(bad.status, 415) << bad.body;
  EXPECT_EQ(f().Bearer(f().edge_token(), "PUT", "/api/v1/evidence/" + ref, jpeg + "x", {"Content-Type: image/jpeg"}).status,
            400) << "hash mismatch";

  auto disp = f().SignIn("dispatcher");
  EXPECT_EQ(disp.Get("/api/v1/evidence/" + ref).status, 400) << "a purpose is required";
  auto img = disp.Get("/api/v1/evidence/" + ref + "?purpose=check+the+dumped+mattress");
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.header("content-type"), "image/jpeg");
  EXPECT_EQ(img.body.substr(0, 2), "\xFF\xD8");
  EXPECT_NE(img.body, jpeg) << "the hub re-encodes what it stores";
  EXPECT_EQ("sha256:" + auth::Sha256Hex(img.body), stored_as) << "the uploaded name is an alias of the stored file";
  EXPECT_EQ(disp.Get("/api/v1/evidence/" + stored_as + "?purpose=check+the+dumped+mattress").body, img.body);
  auto put_audit = json::parse(f().SignIn("privacy").Get("/api/v1/audit?action=evidence.put").body)["items"];
  ASSERT_FALSE(put_audit.empty()) << "an upload is audited, as an Open311 photo is";
  EXPECT_EQ(put_audit[0]["object"], "evidence/" + stored_as);
  EXPECT_EQ(put_audit[0]["detail"]["uploaded"], ref) << put_audit[0].dump();
  auto audit = json::parse(f().SignIn("privacy").Get("/api/v1/audit?action=evidence.read").body)["items"];
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0]["actor"], "dispatcher");
  EXPECT_EQ(audit[0]["purpose"], "check the dumped mattress");
  EXPECT_EQ(audit[0]["object"], "evidence/" + stored_as);
  ASSERT_GE(audit.size(), 2u);
  EXPECT_EQ(audit[1]["object"], "evidence/" + ref) << "a read names the evidence as it was asked for";
}

TEST_F(HubTest, MalformedHttpAndOversizeBodiesGetClearAnswers) {
  HttpClient c(f().port());
  auto r = ParseReply(c.SendRaw("GARBAGE\r\n\r\n"));
  EXPECT_EQ(r.status, 400);
  r = ParseReply(c.SendRaw("POST /api/v1/events:batch HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(f().Anonymous("GET", "/api/v1/nothing-here").status, 404);
  EXPECT_EQ(f().Anonymous("DELETE", "/healthz").status, 405);
}

TEST_F(HubTest, KeepAliveAnswersPipelinedRequestsInOrder) {
  HttpClient c(f().port());
  std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string raw = c.SendRaw(two);
  size_t first = raw.find("ok\n"), second = raw.find("ready\n");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
}

TEST_F(HubTest, IdempotencyKeyReplaysTheAnswerInsteadOfActingTwice) {
  LatLon p = CentreOf("construction_site");
  json r = Batch(json::array({MakeEvent("t9/helmet", "no_helmet", p.lat, p.lon)}));
  std::string id = to_string(r["results"][0]["incident_id"]);
  auto disp = f().SignIn("dispatcher");
  const std::string body = json{{"to", "dispatched"}, {"assignee", "crew1"}}.dump();
  auto first = disp.Send("POST", "/api/v1/incidents/" + id + "/transitions", body, {"Idempotency-Key: k-42"});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  auto again = disp.Send("POST", "/api/v1/incidents/" + id + "/transitions", body, {"Idempotency-Key: k-42"});
  EXPECT_EQ(again.status, 200) << "a retry of the same request is answered as the first was, not 409";
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  auto audit = json::parse(f().SignIn("auditor").Get("/api/v1/audit?object=incident/" + id).body)["items"];
  int transitions = 0;
  for (const auto& a : audit) transitions += a["action"] == "incident.transition";
  EXPECT_EQ(transitions, 1);
}

TEST_F(HubTest, ConcurrentRequestsWithOneIdempotencyKeyActOnce) {
  const std::string doc = json{{"id", "night-desk"}, {"name", "Night desk"}, {"email", "night@example.org"},
                               {"phone", "+86 21 5550 0100"}, {"hours", "24/7"}, {"description", "Nights"}}.dump();
  std::vector<HubFixture::Session> admins;
  for (int i = 0; i < 6; ++i) admins.push_back(f().SignIn("admin"));
  std::vector<int> statuses(admins.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < admins.size(); ++i)
    threads.emplace_back([&, i] {
      statuses[i] = admins[i].Send("PUT", "/api/v1/departments/night-desk", doc, {"Idempotency-Key: same"}).status;
    });
  for (auto& t : threads) t.join();
  // The key is scoped per caller, and every session here is the same caller "admin".
  int ok = 0;
  for (int s : statuses) {
    EXPECT_TRUE(s == 200 || s == 409) << s;
    ok += s == 200;
  }
  EXPECT_GE(ok, 1);
  auto audit = json::parse(f().SignIn("auditor").Get("/api/v1/audit?object=department/night-desk").body)["items"];
  EXPECT_EQ(audit.size(), 1u) << audit.dump();
}

// Behind HTTPS the session cookie must never travel in clear; the attribute is off by
// default so that the demo works on plain http://localhost.
TEST(HubCookies, SecureCookiesAddTheSecureAttribute) {
  for (bool secure : {false, true}) {
    HubFixture hub([secure](HubOptions& o) { o.secure_cookies = secure; });
    HttpClient c(hub.port());
    auto r = c.Request("POST", "/api/v1/session", json{{"name", "admin"}, {"password", kPassword}}.dump(),
                       {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string cookie = r.header("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("; Secure") != std::string::npos, secure) << cookie;
  }
}

// Behind a reverse proxy every request comes from the proxy: the post limit must count
// each resident behind it, and only a trusted proxy may say who that is.
TEST(HubProxies, Open311PostLimitCountsTheClientNamedByATrustedProxy) {
  for (bool trusted : {true, false}) {
    HubFixture hub([trusted](HubOptions& o) {
      o.api.open311_posts_per_minute = 2;
      if (trusted) o.server.trusted_proxies = {"127.0.0.1"};
    });
    const std::string form = "service_code=pothole&lat=31.2304&long=121.4737&description=Deep+hole";
    auto post = [&](const std::string& client) {
      return hub.Anonymous("POST", "/open311/v2/requests.json", form,
                           {"Content-Type: application/x-www-form-urlencoded", "X-Forwarded-For: " + client})
          .status;
    };
    EXPECT_EQ(post("198.51.100.1"), 201);
    EXPECT_EQ(post("198.51.100.1"), 201);
    EXPECT_EQ(post("198.51.100.1"), 429) << "the third post of one resident within the minute";
    // Another resident behind the same proxy; a forged header is believed only from a trusted proxy.
    EXPECT_EQ(post("198.51.100.2"), trusted ? 201 : 429) << (trusted ? "trusted proxy" : "no trusted proxy");
  }
}

// Photos are kept for the district's evidence retention, reports longer: once the photo is
// purged, its media_url says so instead of pretending it never existed.
TEST(HubRetention, APurgedPhotoAnswers410WithTheReason) {
  HubFixture hub;
  const District& d = hub.hub().catalog().Get()->district;
  std::string path = PostPhotoReport(hub, GradientJpeg(320, 240), d.center);
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(hub.Anonymous("GET", path).status, 200);
  FakeClockEnv later(Env::Default()->NowMs() + (d.retention.evidence_days + 1) * 86'400'000LL);
  auto purged =
      PurgeExpired(hub.hub().store(), d, DefaultEvidenceDir("sqlite:" + hub.dir() + "/hub.db"), &later, later.NowMs());
  ASSERT_TRUE(purged.ok()) << purged.status().message();
  EXPECT_EQ(purged->evidence_hashes.size(), 1u);
  auto gone = hub.Anonymous("GET", path);
  EXPECT_EQ(gone.status, 410) << gone.body;
  EXPECT_NE(gone.body.find("kept for " + std::to_string(d.retention.evidence_days) + " days"), std::string::npos)
      << gone.body;
  // The report itself stays, without a link to a photo that is no longer there.
  auto reports = json::parse(hub.Anonymous("GET", "/open311/v2/requests.json").body);
  ASSERT_EQ(reports.size(), 1u) << reports.dump();
  EXPECT_TRUE(reports[0]["media_url"].is_null()) << reports.dump();
}

TEST_F(HubTest, AdminChangesTheDistrictAndTheRouterFollows) {
  auto admin = f().SignIn("admin");
  auto dept = admin.Send("PUT", "/api/v1/departments/street-art",
                         json{{"id", "street-art"}, {"name", "Street art office"}, {"email", "art@example.org"},
                              {"phone", "+86 21 5550 0199"}, {"hours", "24/7"}, {"description", "Murals"}}.dump());
  ASSERT_EQ(dept.status, 200) << dept.body;
  auto rule = admin.Send("PUT", "/api/v1/routing-rules/graffiti-everywhere",
                         json{{"id", "graffiti-everywhere"}, {"category", "graffiti"}, {"area", "*"}, {"days", "*"},
                              {"hours", "*"}, {"priority", 1000}, {"department", "street-art"},
                              {"note", "test"}}.dump());
  ASSERT_EQ(rule.status, 200) << rule.body;
  LatLon p = CentreOf("poster_wall");
  json r = Batch(json::array({MakeEvent("t7/g", "graffiti", p.lat + 0.02, p.lon)}));
  auto inc = json::parse(f().SignIn("dispatcher").Get("/api/v1/incidents/" + to_string(r["results"][0]["incident_id"])).body);
  EXPECT_EQ(inc["department_id"], "street-art");
  EXPECT_NE(inc["explanation"].get<std::string>().find("graffiti-everywhere"), std::string::npos);
  // A department that rules still name cannot be deleted.
  auto del = admin.Send("DELETE", "/api/v1/departments/street-art", "");
  EXPECT_EQ(del.status, 400) << del.body;
  EXPECT_EQ(admin.Send("DELETE", "/api/v1/routing-rules/graffiti-everywhere", "").status, 204);
  EXPECT_EQ(admin.Send("DELETE", "/api/v1/departments/street-art", "").status, 204);
}

}  // namespace
}  // namespace gb::testing
