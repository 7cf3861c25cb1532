// What residents and the transparency page get from a real hub without signing in:
// incidents already reported nearby, one incident's public face, "was it fixed?", the
// purposes of evidence reads and the month's counts. Also the district's new kinds of
// configuration as the admin page edits them.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "hub_fixture.h"
#include "store/audit_chain.h"

namespace gb::testing {
namespace {

using nlohmann::json;

json Parse(const HttpReply& r) { return json::parse(r.body, nullptr, false); }

// `metres` north of `p`.
LatLon North(LatLon p, double metres) { return {p.lat + metres / 111'195.0, p.lon}; }

std::string At(LatLon p) { return "lat=" + std::to_string(p.lat) + "&lon=" + std::to_string(p.lon); }

struct Posted {
  std::string id, token;
};

Posted PostReport(HubFixture& hub, const std::string& code, LatLon p, const std::string& description) {
  auto r = hub.Anonymous("POST", "/open311/v2/requests.json",
                         "service_code=" + code + "&lat=" + std::to_string(p.lat) + "&long=" + std::to_string(p.lon) +
                             "&description=" + http::PercentEncode(description),
                         {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 201) << r.body;
  json j = Parse(r);
  return {j[0]["service_request_id"], j[0]["token"]};
}

class PublicApiTest : public SharedHubTest<PublicApiTest> {
 public:
  static void Tweak(HubOptions& o) { o.api.open311_posts_per_minute = 0; }

 protected:
  // The incident of an Open311 request.
  std::string IncidentOf(const std::string& request_id) {
    auto report = f().hub().store().GetReport(std::stoll(request_id)).value();
    return report ? std::to_string(report->incident_id) : "";
  }

  void Resolve(const std::string& id) {
    auto disp = f().SignIn("dispatcher");
    auto crew = f().SignIn("crew1");
    ASSERT_EQ(disp.Send("POST", "/api/v1/incidents/" + id + "/transitions",
                        json{{"to", "dispatched"}, {"assignee", "crew1"}}.dump())
                  .status,
              200);
    for (const char* to : {"in_progress", "resolved"})
      ASSERT_EQ(crew.Send("POST", "/api/v1/incidents/" + id + "/transitions", json{{"to", to}}.dump()).status, 200);
  }
};

TEST_F(PublicApiTest, NearbyListsOpenIncidentsOfTheCategoryNearestFirst) {
  const LatLon p = f().CentreOf("park");
  json events = json::array();
  for (double m : {240.0, 0.0, 120.0, 60.0, 180.0, -70.0, 400.0})
    events.push_back(MakeEventNow("nearby/" + std::to_string(m), "overflowing_bin", North(p, m).lat, p.lon));
  events.push_back(MakeEventNow("nearby/other", "graffiti", p.lat, p.lon));
  f().Ingest(events);
  Posted report = PostReport(f(), "overflowing_bin", North(p, 60), "Bin spilling onto the path");

  auto r = f().Anonymous("GET", "/api/v1/public/nearby?category=overflowing_bin&" + At(p));
  ASSERT_EQ(r.status, 200) << r.body;
  json items = Parse(r)["items"];
  ASSERT_EQ(items.size(), 5u) << "at most five, within 250 m: " << items.dump();
  std::vector<long> distances;
  for (const auto& i : items) distances.push_back(i["distance_m"]);
  EXPECT_EQ(distances, (std::vector<long>{0, 60, 70, 120, 180}));
  EXPECT_EQ(items[1]["follow_id"], report.id) << "the report joined the incident 60 m north";
  EXPECT_EQ(items[1]["description"], "Bin spilling onto the path");
  EXPECT_TRUE(items[0]["follow_id"].is_null()) << "a camera's incident has no request to follow";
  for (const auto& i : items) {
    EXPECT_EQ(i["state"], "routed");
    for (const char* secret : {"assignee", "note", "views", "explanation"}) EXPECT_FALSE(i.contains(secret));
  }
  EXPECT_EQ(f().Anonymous("GET", "/api/v1/public/nearby?category=overflowing_bin&radius_m=500&" + At(p)).status, 400)
      << "the public looks at most 250 m around";
  auto staff = f().SignIn("dispatcher").Get("/api/v1/public/nearby?category=overflowing_bin&radius_m=1000&" + At(p));
  ASSERT_EQ(staff.status, 200);
  EXPECT_EQ(Parse(staff)["items"].size(), 5u);
  EXPECT_EQ(f().Anonymous("GET", "/api/v1/public/nearby?category=unicorns&" + At(p)).status, 400);
}

TEST_F(PublicApiTest, AnIncidentsPublicFaceHasItsStatusAndNothingPrivate) {
  const LatLon p = f().CentreOf("waste_point");
  Posted report = PostReport(f(), "dumped_rubbish", North(p, 900), "Sofa on the pavement");
  const std::string id = IncidentOf(report.id);
  auto r = f().Anonymous("GET", "/api/v1/public/incidents/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  json inc = Parse(r);
  EXPECT_EQ(to_string(inc["id"]), id);
  EXPECT_EQ(inc["status"], "open");
  EXPECT_EQ(inc["follow_id"], report.id);
  EXPECT_FALSE(inc["agency_responsible"].get<std::string>().empty());
  for (const char* secret : {"assignee", "note", "views", "explanation", "latest_report", "sla"})
    EXPECT_FALSE(inc.contains(secret)) << secret;
  EXPECT_EQ(f().Anonymous("GET", "/api/v1/public/incidents/0").status, 400);
  EXPECT_EQ(f().Anonymous("GET", "/api/v1/public/incidents/987654").status, 404);
}

TEST_F(PublicApiTest, NotFixedReopensTheIncidentForTheOneWhoReportedIt) {
  const LatLon p = f().CentreOf("waste_point");
  Posted report = PostReport(f(), "dumped_rubbish", North(p, -600), "Mattress behind the bins");
  const std::string id = IncidentOf(report.id);
  const std::string path = "/api/v1/public/requests/" + report.id + "/feedback";
  auto send = [&](json body) { return f().Anonymous("POST", path, body.dump(), {"Content-Type: application/json"}); };
  auto open = send({{"token", report.token}, {"fixed", false}});
  EXPECT_EQ(open.status, 409) << "still open: " << open.body;

  Resolve(id);
  EXPECT_EQ(Parse(f().Anonymous("GET", "/open311/v2/requests/" + report.id + ".json"))[0]["status"], "closed");
  EXPECT_EQ(send({{"token", std::string(32, '0')}, {"fixed", false}}).status, 403);
  EXPECT_EQ(send({{"token", report.token}}).status, 400) << "fixed is required";
  EXPECT_EQ(f().Anonymous("POST", "/api/v1/public/requests/987654/feedback",
                          json{{"token", report.token}, {"fixed", false}}.dump(), {"Content-Type: application/json"})
                .status,
            404);
  const Id seq = f().hub().store().LastChangeSeq().value();
  auto no = send({{"token", report.token}, {"fixed", false}, {"comment", "still there"}});
  ASSERT_EQ(no.status, 200) << no.body;
  EXPECT_EQ(Parse(no)["status"], "open");
  EXPECT_EQ(Parse(no)["reopened"], true);
  EXPECT_EQ(Parse(f().Anonymous("GET", "/open311/v2/requests/" + report.id + ".json"))[0]["status"], "open");
  auto disp = f().SignIn("dispatcher");
  json inc = Parse(disp.Get("/api/v1/incidents/" + id));
  EXPECT_EQ(inc["state"], "routed");
  EXPECT_EQ(inc["assignee"], "");
  json last = Parse(disp.Get("/api/v1/incidents/" + id + "/history"))["items"].back();
  EXPECT_EQ(last["type"], "reopen");
  EXPECT_EQ(last["from"], "resolved");
  EXPECT_EQ(last["to"], "routed");
  EXPECT_EQ(last["note"], "still there");
  HttpClient c(f().port());
  std::string raw = c.ReadFor("GET /api/v1/stream?last_event_id=" + std::to_string(seq) +
                                  " HTTP/1.1\r\nHost: x\r\nCookie: " + disp.client->cookie + "\r\n\r\n",
                              std::chrono::milliseconds(400));
  EXPECT_NE(raw.find("event: incident.reopened"), std::string::npos) << raw;
  EXPECT_EQ(send({{"token", report.token}, {"fixed", false}}).status, 409) << "open again";
}

TEST(PublicFeedbackLimit, AnswersFromOneAddressAreRateLimited) {
  HubFixture hub([](HubOptions& o) { o.api.feedback_per_minute = 2; });
  auto send = [&] {
    return hub.Anonymous("POST", "/api/v1/public/requests/1/feedback",
                         json{{"token", "x"}, {"fixed", true}}.dump(), {"Content-Type: application/json"});
  };
  EXPECT_EQ(send().status, 404);
  EXPECT_EQ(send().status, 404);
  auto third = send();
  EXPECT_EQ(third.status, 429);
  EXPECT_FALSE(third.header("retry-after").empty());
}

TEST(PublicTransparency, PurposesAndTheMonthsCountsComeFromTheAuditLog) {
  HubFixture hub([](HubOptions& o) { o.api.open311_posts_per_minute = 0; });
  json purposes = Parse(hub.Anonymous("GET", "/api/v1/public/purposes"))["items"];
  std::set<std::string> codes;
  for (const auto& p : purposes) codes.insert(p["code"]);
  for (const auto& p : hub.hub().catalog().Get()->district.purposes) EXPECT_TRUE(codes.count(p.code)) << p.code;
  EXPECT_TRUE(codes.count("other"));

  PostReport(hub, "pothole", hub.CentreOf("ward"), "Deep hole");
  LatLon p = hub.CentreOf("poster_wall");
  json batch = json::array({MakeEventNow("transparency/1", "graffiti", p.lat, p.lon)});
  const std::string ref = "sha256:" + std::string(64, 'a');
  ASSERT_TRUE(hub.hub().store().Write([&](WriteTxn& t) { return t.PutEvidence({ref, 3, 0}).status(); }).ok());
  std::string dir = DefaultEvidenceDir("sqlite:" + hub.dir() + "/hub.db") + "/aa";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + std::string(64, 'a') + ".jpg") << "jpg";
  hub.Ingest(batch);

  auto disp = hub.SignIn("dispatcher");
  const std::string read = "/api/v1/evidence/" + ref + "?purpose=check+the+report";
  EXPECT_EQ(disp.Get(read + "&purpose_code=curiosity").status, 400);
  ASSERT_EQ(disp.Get(read + "&purpose_code=verify_report").status, 200);
  ASSERT_EQ(disp.Get(read + "&purpose_code=verify_report").status, 200);
  ASSERT_EQ(disp.Get(read).status, 200);
  auto audit = Parse(hub.SignIn("privacy").Get("/api/v1/audit?action=evidence.read"))["items"];
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0]["detail"]["purpose_code"], "other") << "no purpose_code counts as other";

  const std::string month = LocalMonthOf(Env::Default()->NowMs(), hub.hub().catalog().Get()->district.utc_offset_minutes).name;
  auto r = hub.Anonymous("GET", "/api/v1/public/stats?month=" + month);
  ASSERT_EQ(r.status, 200) << r.body;
  json stats = Parse(r);
  EXPECT_EQ(stats["month"], month);
  EXPECT_EQ(stats["evidence_views"]["total"], 3);
  std::map<std::string, int> by;
  for (const auto& b : stats["evidence_views"]["by_purpose"]) by[b["code"]] = b["count"];
  EXPECT_EQ(by["verify_report"], 2);
  EXPECT_EQ(by["other"], 1);
  EXPECT_EQ(by["legal_request"], 0) << "every purpose is listed";
  EXPECT_EQ(stats["reports"], 1);
  EXPECT_EQ(stats["incidents_opened"], 2);
  EXPECT_EQ(stats["incidents_resolved"], 0);
  EXPECT_EQ(stats["reopened"], 0);
  EXPECT_EQ(r.body.find("Deep hole"), std::string::npos) << "counts only";
  EXPECT_EQ(hub.Anonymous("GET", "/api/v1/public/stats?month=2026-13").status, 400);
  EXPECT_EQ(Parse(hub.Anonymous("GET", "/api/v1/public/stats"))["month"],
            LocalMonthOf(Env::Default()->NowMs(), hub.hub().catalog().Get()->district.utc_offset_minutes, 1).name);
}

TEST_F(PublicApiTest, DiscoveryNamesTheAddressTheHubListensOn) {
  json discovery = Parse(f().Anonymous("GET", "/open311/v2/discovery.json"));
  EXPECT_EQ(discovery["endpoints"][0]["url"], "http://127.0.0.1:" + std::to_string(f().port()) + "/open311/v2")
      << discovery.dump();
}

TEST_F(PublicApiTest, SlasTemplatesAndPurposesAreEditedLikeTheRestOfTheDistrict) {
  auto admin = f().SignIn("admin");
  const LatLon p = f().CentreOf("construction_site");
  json r = f().Ingest(json::array({MakeEventNow("config/helmet", "no_helmet", p.lat, p.lon)}));
  const std::string id = to_string(r["results"][0]["incident_id"]);
  auto disp = f().SignIn("dispatcher");
  const std::string department = Parse(disp.Get("/api/v1/incidents/" + id))["department_id"];

  json sla = {{"id", "helmet-strict"}, {"category", "no_helmet"}, {"department", department},
              {"respond_minutes", 2}, {"resolve_minutes", 20}, {"escalate_to", "nowhere"}};
  auto bad = admin.Send("PUT", "/api/v1/slas/helmet-strict", sla.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("escalate_to 'nowhere' is not a department"), std::string::npos) << bad.body;
  sla["escalate_to"] = "";
  sla["resolve_minutes"] = 1;
  EXPECT_EQ(admin.Send("PUT", "/api/v1/slas/helmet-strict", sla.dump()).status, 400) << "resolve before respond";
  sla["resolve_minutes"] = 20;
  auto put = admin.Send("PUT", "/api/v1/slas/helmet-strict", sla.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Parse(disp.Get("/api/v1/slas/helmet-strict"))["respond_minutes"], 2);
  json inc = Parse(disp.Get("/api/v1/incidents/" + id));
  EXPECT_EQ(inc["sla"]["id"], "helmet-strict") << "open incidents take the new SLA at once";
  EXPECT_EQ(admin.Send("DELETE", "/api/v1/slas/helmet-strict", "").status, 204);
  EXPECT_NE(Parse(disp.Get("/api/v1/incidents/" + id))["sla"]["id"], "helmet-strict");

  json tmpl = {{"id", "cleared"}, {"title", "Cleared"}, {"state", "resolved"}, {"category", "*"},
               {"text", {{"en", "Cleared."}, {"de", "Erledigt."}}}};
  ASSERT_EQ(admin.Send("PUT", "/api/v1/response-templates/cleared", tmpl.dump()).status, 200);
  auto crew_reads = f().SignIn("crew1").Get("/api/v1/response-templates/cleared");
  EXPECT_EQ(crew_reads.status, 200) << "staff read templates";
  EXPECT_EQ(Parse(crew_reads)["text"]["de"], "Erledigt.");
  tmpl["text"] = {{"fr", "Fini."}};
  EXPECT_EQ(admin.Send("PUT", "/api/v1/response-templates/cleared", tmpl.dump()).status, 400);
  tmpl["text"] = {{"en", "Cleared."}};
  tmpl["state"] = "new";
  EXPECT_EQ(admin.Send("PUT", "/api/v1/response-templates/cleared", tmpl.dump()).status, 400);

  ASSERT_EQ(admin.Send("PUT", "/api/v1/evidence-purposes/insurance",
                       json{{"code", "insurance"}, {"label", "An insurance claim"}}.dump())
                .status,
            200);
  bool listed = false;
  const json items = Parse(f().Anonymous("GET", "/api/v1/public/purposes"))["items"];
  for (const auto& item : items)
    listed |= item["code"] == "insurance";
  EXPECT_TRUE(listed);
}

// Public documents are rendered once per revision and carry an ETag: a client that polls
// with If-None-Match gets 304 until what the document shows changes (an admin's edit, an
// incident), and then the new document at once.
TEST_F(PublicApiTest, PublicDocumentsAnswerIfNoneMatchAndChangeWithWhatTheyShow) {
  auto etag_of = [&](const std::string& target, const std::string& if_none_match, int* status = nullptr) {
    std::vector<std::string> headers;
    if (!if_none_match.empty()) headers.push_back("If-None-Match: " + if_none_match);
    HttpReply r = f().Anonymous("GET", target, "", headers);
    if (status) *status = r.status;
    EXPECT_TRUE(r.status == 200 || r.status == 304) << target << ": " << r.status << " " << r.body;
    if (r.status == 200) {
      EXPECT_NE(r.header("cache-control").find("public, max-age="), std::string::npos) << target;
    } else {
      EXPECT_TRUE(r.body.empty()) << target;
    }
    return r.header("etag");
  };
  for (const char* target : {"/open311/v2/discovery.json", "/open311/v2/services.xml", "/open311/v2/services/graffiti.json",
                             "/api/v1/public/map", "/api/v1/public/purposes", "/api/v1/public/stats"}) {
    std::string etag = etag_of(target, "");
    ASSERT_FALSE(etag.empty()) << target;
    int status = 0;
    EXPECT_EQ(etag_of(target, etag, &status), etag);
    EXPECT_EQ(status, 304) << target;
  }
  const std::string map = etag_of("/api/v1/public/map", "");
  const LatLon p = f().CentreOf("park");
  f().Ingest(json::array({MakeEventNow("etag/1", "overflowing_bin", p.lat, p.lon)}));
  int status = 0;
  EXPECT_NE(etag_of("/api/v1/public/map", map, &status), map);
  EXPECT_EQ(status, 200) << "a new incident is on the map at once";

  const std::string purposes = etag_of("/api/v1/public/purposes", "");
  auto admin = f().SignIn("admin");
  ASSERT_EQ(admin.Send("PUT", "/api/v1/evidence-purposes/audit-trial",
                       json{{"code", "audit-trial"}, {"label", "A trial of the audit"}}.dump())
                .status,
            200);
  EXPECT_NE(etag_of("/api/v1/public/purposes", purposes, &status), purposes);
  EXPECT_EQ(status, 200);
  // Staff reading a public document through their session get it uncached.
  EXPECT_EQ(admin.Get("/api/v1/public/purposes").header("cache-control"), "no-store");
}

// The audit log's head is public: a digest noted now is found in the chain after later
// entries, and it moves with every audited change.
TEST_F(PublicApiTest, TheAuditHeadIsPublishedAndANotedHeadStaysInTheChain) {
  auto r = f().Anonymous("GET", "/api/v1/public/audit-head");
  ASSERT_EQ(r.status, 200) << r.body;
  json noted = Parse(r);
  ASSERT_TRUE(noted["hash"].is_string());
  EXPECT_EQ(noted["hash"].get<std::string>().size(), 64u);
  EXPECT_GE(noted["entries"].get<std::int64_t>(), 1) << "accounts were added: " << noted.dump();

  const LatLon p = f().CentreOf("park");
  f().Ingest(json::array({MakeEventNow("audit-head/1", "overflowing_bin", p.lat, p.lon)}));
  json later = Parse(f().Anonymous("GET", "/api/v1/public/audit-head"));
  EXPECT_NE(later["hash"], noted["hash"]);
  EXPECT_GT(later["entries"].get<std::int64_t>(), noted["entries"].get<std::int64_t>());
  EXPECT_TRUE(later["at"].is_string()) << later.dump();

  auto v = VerifyAuditChain(f().hub().store(), noted["hash"].get<std::string>());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->head_found);
  EXPECT_EQ(v->head_hash, later["hash"]);
}

}  // namespace
}  // namespace gb::testing
