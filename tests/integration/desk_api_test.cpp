// What the dispatcher's desk reads and does on a real hub: the incident as the desk shows
// it (live too), its history, sending it to another department, the crew to dispatch to,
// live figures, the routing tester, and SLAs going overdue.
#include <thread>

#include "hub_fixture.h"

namespace gb::testing {
namespace {

using nlohmann::json;

class DeskApiTest : public SharedHubTest<DeskApiTest> {
 protected:
  // A new illegal-parking incident at a place of its own (n keeps places apart).
  std::string NewIncident(int n) {
    LatLon p = f().CentreOf("no_parking");
    json r = f().Ingest(json::array(
        {MakeEventNow("desk/" + std::to_string(n), "illegal_parking", p.lat + 0.003 * n, p.lon - 0.002 * n)}));
    return to_string(r["results"][0]["incident_id"]);
  }

  static json Parse(const HttpReply& r) { return json::parse(r.body, nullptr, false); }
};

TEST_F(DeskApiTest, AnIncidentShowsItsReportNextStatesSlaAndCrew) {
  auto disp = f().SignIn("dispatcher");
  const Id before = f().hub().store().LastChangeSeq().value();
  std::string id = NewIncident(1);
  json inc = Parse(disp.Get("/api/v1/incidents/" + id));
  EXPECT_TRUE(inc["latest_report"].is_null());
  EXPECT_EQ(inc["next_states"], json({"dispatched", "rejected", "merged"}));
  ASSERT_TRUE(inc["sla"].is_object()) << inc.dump();
  EXPECT_EQ(inc["sla"]["id"], "parking") << "the demo district's SLA for parking";
  EXPECT_EQ(inc["sla"]["overdue"], false);
  EXPECT_TRUE(inc["sla"]["escalated_from"].is_null());
  EXPECT_EQ(*ParseRfc3339(inc["sla"]["respond_due_at"].get<std::string>()) -
                *ParseRfc3339(inc["opened_at"].get<std::string>()),
            5 * 60'000);
  EXPECT_TRUE(inc["en_route_at"].is_null());

  // A resident's report at the same place joins it and is shown with it.
  LatLon p{inc["location"]["lat"], inc["location"]["lon"]};
  auto posted = f().Anonymous("POST", "/open311/v2/requests.json",
                              "service_code=illegal_parking&lat=" + std::to_string(p.lat) + "&long=" +
                                  std::to_string(p.lon) + "&description=Van+on+the+cycle+lane",
                              {"Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(posted.status, 201) << posted.body;
  const std::string request_id = Parse(posted)[0]["service_request_id"];
  inc = Parse(disp.Get("/api/v1/incidents/" + id));
  ASSERT_TRUE(inc["latest_report"].is_object()) << inc.dump();
  EXPECT_EQ(inc["latest_report"]["service_request_id"], request_id);
  EXPECT_EQ(inc["latest_report"]["description"], "Van on the cycle lane");
  EXPECT_EQ(inc["latest_report"]["has_photo"], false);

  // The live stream carries the same document.
  HttpClient c(f().port());
  std::string raw = c.ReadFor("GET /api/v1/stream?last_event_id=" + std::to_string(before) +
                                  " HTTP/1.1\r\nHost: x\r\nCookie: " + disp.client->cookie + "\r\n\r\n",
                              std::chrono::milliseconds(500));
  EXPECT_NE(raw.find("\"next_states\":[\"dispatched\",\"rejected\",\"merged\"]"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"service_request_id\":\"" + request_id + "\""), std::string::npos);

  // Dispatched, the crew member sees only what they may do.
  ASSERT_EQ(disp.Send("POST", "/api/v1/incidents/" + id + "/transitions",
                      json{{"to", "dispatched"}, {"assignee", "crew1"}}.dump())
                .status,
            200);
  EXPECT_EQ(Parse(f().SignIn("crew1").Get("/api/v1/incidents/" + id))["next_states"], json({"in_progress"}));
  EXPECT_EQ(Parse(disp.Get("/api/v1/incidents/" + id))["next_states"],
            json({"routed", "in_progress", "rejected", "merged"}));
}

TEST_F(DeskApiTest, HistoryIsOldestFirstAndCrewSeeOnlyTheirOwn) {
  std::string id = NewIncident(2);
  auto disp = f().SignIn("dispatcher");
  auto crew1 = f().SignIn("crew1");
  auto move = [&](HubFixture::Session& s, json body) {
    return s.Send("POST", "/api/v1/incidents/" + id + "/transitions", body.dump()).status;
  };
  ASSERT_EQ(move(disp, {{"to", "dispatched"}, {"assignee", "crew1"}, {"note", "nearest crew"}}), 200);
  ASSERT_EQ(move(crew1, {{"to", "in_progress"}}), 200);
  ASSERT_EQ(move(crew1, {{"to", "resolved"}, {"template_id", "vehicle-gone"}}), 200);

  auto r = disp.Get("/api/v1/incidents/" + id + "/history");
  ASSERT_EQ(r.status, 200) << r.body;
  json items = Parse(r)["items"];
  ASSERT_EQ(items.size(), 4u) << items.dump();
  EXPECT_EQ(items[0]["type"], "create");
  EXPECT_EQ(items[0]["to"], "routed");
  EXPECT_EQ(items[0]["actor"], "system");
  EXPECT_FALSE(items[0]["department_id"].is_null());
  EXPECT_EQ(items[1]["type"], "transition");
  EXPECT_EQ(items[1]["from"], "routed");
  EXPECT_EQ(items[1]["to"], "dispatched");
  EXPECT_EQ(items[1]["assignee"], "crew1");
  EXPECT_EQ(items[1]["note"], "nearest crew");
  EXPECT_EQ(items[1]["actor"], "dispatcher");
  EXPECT_EQ(items[3]["to"], "resolved");
  EXPECT_EQ(items[3]["actor"], "crew1");
  EXPECT_EQ(items[3]["note"], f().hub().catalog().Get()->district.FindTemplate("vehicle-gone")->text.en);
  for (const char* key : {"at", "actor", "type", "from", "to", "note", "assignee", "department_id"})
    EXPECT_TRUE(items[2].contains(key)) << key;

  EXPECT_EQ(crew1.Get("/api/v1/incidents/" + id + "/history").status, 200) << "their own task";
  EXPECT_EQ(f().SignIn("crew2").Get("/api/v1/incidents/" + id + "/history").status, 404);
  EXPECT_EQ(disp.Get("/api/v1/incidents/999999/history").status, 404);
}

TEST_F(DeskApiTest, ChangingTheDepartmentSaysWhoAndWhyAndIsRefusedWhenClosed) {
  std::string id = NewIncident(3);
  auto disp = f().SignIn("dispatcher");
  const std::string from = Parse(disp.Get("/api/v1/incidents/" + id))["department_id"];
  const std::string to = from == "parks" ? "traffic" : "parks";
  auto send = [&](json body) { return disp.Send("POST", "/api/v1/incidents/" + id + "/department", body.dump()); };
  EXPECT_EQ(send({{"department_id", to}}).status, 400) << "a reason is required";
  EXPECT_EQ(send({{"department_id", "nowhere"}, {"reason", "x"}}).status, 400);
  auto moved = send({{"department_id", to}, {"reason", "the van is parked on the park's road"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  json inc = Parse(moved);
  EXPECT_EQ(inc["department_id"], to);
  EXPECT_NE(inc["explanation"].get<std::string>().find("by dispatcher: the van is parked on the park's road"),
            std::string::npos)
      << inc["explanation"];
  json last = Parse(disp.Get("/api/v1/incidents/" + id + "/history"))["items"].back();
  EXPECT_EQ(last["type"], "department");
  EXPECT_EQ(last["department_id"], to);
  EXPECT_EQ(last["from_department"], from);

  ASSERT_EQ(disp.Send("POST", "/api/v1/incidents/" + id + "/transitions", json{{"to", "rejected"}}.dump()).status, 200);
  auto closed = send({{"department_id", from}, {"reason", "back"}});
  EXPECT_EQ(closed.status, 409) << closed.body;
  EXPECT_EQ(Parse(disp.Get("/api/v1/incidents/" + id))["department_id"], to) << "unchanged";
}

TEST_F(DeskApiTest, TheCrewListCountsOpenTasks) {
  auto disp = f().SignIn("dispatcher");
  auto count = [&](const std::string& name) {
    const json crew = Parse(disp.Get("/api/v1/crew"))["items"];
    for (const auto& c : crew)
      if (c["name"] == name) return c["open_tasks"].get<int>();
    ADD_FAILURE() << name << " is not listed";
    return -1;
  };
  const int crew2 = count("crew2");
  std::string id = NewIncident(4);
  ASSERT_EQ(disp.Send("POST", "/api/v1/incidents/" + id + "/transitions",
                      json{{"to", "dispatched"}, {"assignee", "crew2"}}.dump())
                .status,
            200);
  EXPECT_EQ(count("crew2"), crew2 + 1);
  const json crew = Parse(disp.Get("/api/v1/crew"))["items"];
  for (const auto& c : crew) EXPECT_NE(c["name"], "dispatcher") << "crew only";
}

TEST_F(DeskApiTest, LiveFiguresCountWhatIsOpenAndWhatHappenedToday) {
  auto disp = f().SignIn("dispatcher");
  std::string id = NewIncident(5);
  json stats = Parse(disp.Get("/api/v1/stats"));
  ASSERT_TRUE(stats.contains("per_hour")) << stats.dump();
  EXPECT_EQ(stats["per_hour"].size(), 24u);
  EXPECT_GE(stats["open_by_category"]["illegal_parking"].get<int>(), 1);
  const std::string department = Parse(disp.Get("/api/v1/incidents/" + id))["department_id"];
  EXPECT_GE(stats["open_by_department"][department].get<int>(), 1);
  int opened = 0;
  for (const auto& h : stats["per_hour"]) opened += h["opened"].get<int>();
  EXPECT_GE(opened, 1);

  auto crew1 = f().SignIn("crew1");
  ASSERT_EQ(disp.Send("POST", "/api/v1/incidents/" + id + "/transitions",
                      json{{"to", "dispatched"}, {"assignee", "crew1"}}.dump())
                .status,
            200);
  for (const char* to : {"in_progress", "resolved"})
    ASSERT_EQ(crew1.Send("POST", "/api/v1/incidents/" + id + "/transitions", json{{"to", to}}.dump()).status, 200);
  stats = Parse(disp.Get("/api/v1/stats"));
  EXPECT_TRUE(stats["median_resolve_seconds"].is_number()) << stats.dump();
  int resolved = 0;
  for (const auto& h : stats["per_hour"]) resolved += h["resolved"].get<int>();
  EXPECT_GE(resolved, 1);
  EXPECT_EQ(disp.Get("/api/v1/stats?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z").status, 400);
}

TEST_F(DeskApiTest, TheRoutingTesterExplainsTheDecision) {
  auto admin = f().SignIn("admin");
  LatLon p = f().CentreOf("waste_point");
  const std::string at = "2026-11-24T23:30:00Z";
  auto r = admin.Get("/api/v1/routing/explain?category=dumped_rubbish&lat=" + std::to_string(p.lat) +
                     "&lon=" + std::to_string(p.lon) + "&at=" + at);
  ASSERT_EQ(r.status, 200) << r.body;
  auto want = f().hub().catalog().Get()->router.Decide("dumped_rubbish", p, *ParseRfc3339(at));
  json got = Parse(r);
  EXPECT_EQ(got["department_id"], want.department_id);
  EXPECT_EQ(got["explanation"], want.explanation);
  EXPECT_EQ(got["unrouted"], want.unrouted);
  EXPECT_EQ(admin.Get("/api/v1/routing/explain?category=unicorns&lat=31.2&lon=121.4").status, 400);
  EXPECT_EQ(admin.Get("/api/v1/routing/explain?category=noise&lat=31.2").status, 400);
}

// SLAs on a hub whose clock the test moves: past the deadline the incident is flagged on the
// live stream and in the list of overdue incidents, and escalated saying why.
TEST(DeskSlas, AnOverdueIncidentIsFlaggedStreamedAndEscalated) {
  FakeClockEnv clock(Env::Default()->NowMs());
  HubFixture hub([](HubOptions& o) { o.sla_check_interval = std::chrono::milliseconds(20); }, &clock);
  auto disp = hub.SignIn("dispatcher");
  LatLon p = hub.CentreOf("no_parking");
  json r = hub.Ingest(json::array({MakeEvent("sla/1", "illegal_parking", p.lat, p.lon)}));
  const std::string id = to_string(r["results"][0]["incident_id"]);
  const std::string routed_to = json::parse(disp.Get("/api/v1/incidents/" + id).body)["department_id"];
  EXPECT_TRUE(json::parse(disp.Get("/api/v1/incidents?overdue=true").body)["items"].empty());
  const Id seq = hub.hub().store().LastChangeSeq().value();

  clock.Advance(6 * 60'000);  // the demo's parking SLA: dispatched within 5 minutes
  json overdue;
  for (int i = 0; i < 200 && (overdue.empty() || overdue["items"].empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    overdue = json::parse(disp.Get("/api/v1/incidents?overdue=true").body);
  }
  ASSERT_EQ(overdue["items"].size(), 1u) << overdue.dump();
  json inc = overdue["items"][0];
  EXPECT_EQ(to_string(inc["id"]), id);
  EXPECT_EQ(inc["sla"]["overdue"], true);
  if (routed_to != "police-liaison") {
    EXPECT_EQ(inc["department_id"], "police-liaison") << "the parking SLA escalates there";
    EXPECT_EQ(inc["sla"]["escalated_from"], routed_to);
    EXPECT_NE(inc["explanation"].get<std::string>().find("not dispatched within 5 minutes"), std::string::npos);
  }
  HttpClient c(hub.port());
  std::string raw = c.ReadFor("GET /api/v1/stream?last_event_id=" + std::to_string(seq) +
                                  " HTTP/1.1\r\nHost: x\r\nCookie: " + disp.client->cookie + "\r\n\r\n",
                              std::chrono::milliseconds(400));
  EXPECT_NE(raw.find("event: incident.overdue"), std::string::npos) << raw;
  auto audit = json::parse(hub.SignIn("auditor").Get("/api/v1/audit?action=incident.overdue").body)["items"];
  EXPECT_EQ(audit.size(), 1u) << "once";
}

}  // namespace
}  // namespace gb::testing
