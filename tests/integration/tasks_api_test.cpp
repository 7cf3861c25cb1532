// The crew app's side of the hub on a real server: actions on a task, each sent once with
// an Idempotency-Key (also across a restart, as an offline queue replays them), photos
// that are anonymized before they are kept, and the crew member's own order of tasks.
#include "hub_fixture.h"
#include "support/test_jpeg.h"

namespace gb::testing {
namespace {

using nlohmann::json;

json Parse(const HttpReply& r) { return json::parse(r.body, nullptr, false); }

// A new dumped-rubbish incident, dispatched to `crew`; returns its id.
std::string DispatchedTask(HubFixture& hub, const std::string& key, const std::string& crew, double north = 0) {
  LatLon p = hub.CentreOf("waste_point");
  json r = hub.Ingest(json::array({MakeEventNow(key, "dumped_rubbish", p.lat + north, p.lon)}));
  std::string id = to_string(r["results"][0]["incident_id"]);
  auto disp = hub.SignIn("dispatcher");
  auto d = disp.Send("POST", "/api/v1/incidents/" + id + "/transitions",
                     json{{"to", "dispatched"}, {"assignee", crew}}.dump());
  EXPECT_EQ(d.status, 200) << d.body;
  return id;
}

HttpReply Act(HubFixture::Session& s, const std::string& id, json body, const std::string& key) {
  std::vector<std::string> headers;
  if (!key.empty()) headers.push_back("Idempotency-Key: " + key);
  return s.Send("POST", "/api/v1/tasks/" + id + "/actions", body.dump(), headers);
}

TEST(TaskActionsApi, EachActionIsDoneOnceAlsoWhenReplayedAfterARestart) {
  HubFixture hub;
  const std::string id = DispatchedTask(hub, "tasks/restart", "crew1");
  auto crew = hub.SignIn("crew1");
  EXPECT_EQ(Act(crew, id, {{"action", "start"}}, "").status, 400) << "an Idempotency-Key is required";

  auto first = Act(crew, id, {{"action", "start"}, {"client_at", FormatRfc3339(Env::Default()->NowMs() - 5000)}},
                   "offline-1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Parse(first)["state"], "in_progress");
  auto replay = Act(crew, id, {{"action", "start"}}, "offline-1");
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.body, first.body);
  auto passed = Act(crew, id, {{"action", "start"}}, "offline-2");
  EXPECT_EQ(passed.status, 409);
  EXPECT_NE(Parse(passed)["error"]["message"].get<std::string>().find("step already passed"), std::string::npos)
      << passed.body;

  hub.Restart();
  auto again = hub.SignIn("crew1");
  auto after_restart = Act(again, id, {{"action", "start"}}, "offline-1");
  EXPECT_EQ(after_restart.status, 200) << after_restart.body;
  EXPECT_EQ(after_restart.header("idempotent-replayed"), "true");
  EXPECT_EQ(after_restart.body, first.body);
  ASSERT_EQ(Act(again, id, {{"action", "resolve"}, {"template_id", "rubbish-removed"}}, "offline-3").status, 200);
  EXPECT_EQ(Act(again, id, {{"action", "resolve"}}, "offline-3").status, 200) << "replayed";

  json history = Parse(hub.SignIn("dispatcher").Get("/api/v1/incidents/" + id + "/history"))["items"];
  int started = 0, resolved = 0;
  for (const auto& h : history) {
    started += h["to"] == "in_progress";
    resolved += h["to"] == "resolved";
  }
  EXPECT_EQ(started, 1) << history.dump();
  EXPECT_EQ(resolved, 1) << history.dump();
  // The closing note is the template's, which residents read as the Open311 status_notes.
  EXPECT_EQ(history.back()["note"], hub.hub().catalog().Get()->district.FindTemplate("rubbish-removed")->text.en);
}

class TasksApiTest : public SharedHubTest<TasksApiTest> {};

TEST_F(TasksApiTest, OnMyWayIsShownToTheDesk) {
  const std::string id = DispatchedTask(f(), "tasks/way", "crew1", 0.001);
  auto crew = f().SignIn("crew1");
  auto r = Act(crew, id, {{"action", "on_my_way"}}, "way-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Parse(r)["en_route_at"].is_null());
  json seen = Parse(f().SignIn("dispatcher").Get("/api/v1/incidents/" + id));
  EXPECT_EQ(seen["en_route_at"], Parse(r)["en_route_at"]);
  EXPECT_EQ(seen["state"], "dispatched");
  auto crew2 = f().SignIn("crew2");
  EXPECT_EQ(Act(crew2, id, {{"action", "start"}}, "not-mine").status, 403);
  EXPECT_EQ(Act(crew, id, {{"action", "dance"}}, "bad-1").status, 400);
}

TEST_F(TasksApiTest, PhotosAreAnonymizedKeptAndGoWithTheResolution) {
  const std::string id = DispatchedTask(f(), "tasks/photo", "crew1", 0.002);
  auto crew = f().SignIn("crew1");
  const std::string jpeg = GradientJpeg(640, 480);
  auto photo = [&](HubFixture::Session& s, const std::string& body, const std::string& type) {
    return s.client->Request("POST", "/api/v1/tasks/" + id + "/photos", body,
                             {"Content-Type: " + type, "X-CSRF-Token: " + s.csrf});
  };
  EXPECT_EQ(photo(crew, jpeg, "image/png").status, 415);
  EXPECT_EQ(photo(crew, "not a jpeg at all", "image/jpeg").status, 415);
  auto crew2 = f().SignIn("crew2");
  EXPECT_EQ(photo(crew2, jpeg, "image/jpeg").status, 403) << "not crew2's task";
  auto up = photo(crew, jpeg, "image/jpeg");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string ref = Parse(up)["evidence"];
  EXPECT_TRUE(ref.starts_with("sha256:")) << ref;
  EXPECT_EQ(photo(crew, jpeg, "image/jpeg").status, 200) << "the same photo again is already kept";

  ASSERT_EQ(Act(crew, id, {{"action", "start"}}, "photo-start").status, 200);
  auto done = Act(crew, id, {{"action", "resolve"}, {"photos", {ref}}}, "photo-resolve");
  ASSERT_EQ(done.status, 200) << done.body;
  bool shown = false;
  const json views = Parse(done)["views"];
  for (const auto& v : views) shown |= v["evidence"] == ref && v["source_id"] == "crew:crew1";
  EXPECT_TRUE(shown) << done.body;
  json last = Parse(f().SignIn("dispatcher").Get("/api/v1/incidents/" + id + "/history"))["items"].back();
  EXPECT_EQ(last["photos"], json({ref}));

  auto img = f().SignIn("dispatcher").Get("/api/v1/evidence/" + ref + "?purpose=confirm+the+work+was+done");
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.body.substr(0, 2), "\xFF\xD8");
  EXPECT_NE(img.body, jpeg) << "what is kept is the anonymizer's re-encoding";
  EXPECT_EQ(Act(crew, id, {{"action", "note"}, {"photos", {"sha256:" + std::string(64, 'e')}}}, "ghost").status, 400);
}

TEST_F(TasksApiTest, TasksComeInTheCrewMembersOwnOrder) {
  auto crew = f().SignIn("crew2");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(DispatchedTask(f(), "tasks/order/" + std::to_string(i), "crew2", 0.003 + 0.001 * i));
  auto listed = [&] {
    std::vector<std::string> out;
    const json tasks = Parse(crew.Get("/api/v1/tasks"))["items"];
    for (const auto& t : tasks) {
      std::string tid = to_string(t["id"]);
      if (std::find(ids.begin(), ids.end(), tid) != ids.end()) out.push_back(tid);
    }
    return out;
  };
  EXPECT_EQ(listed(), (std::vector<std::string>{ids[2], ids[1], ids[0]})) << "newest first by default";
  auto put = crew.Send("PUT", "/api/v1/tasks/order", json{{"ids", {std::stoll(ids[0]), std::stoll(ids[2])}}}.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(listed(), (std::vector<std::string>{ids[0], ids[2], ids[1]}));
  EXPECT_EQ(crew.Send("PUT", "/api/v1/tasks/order", json{{"ids", {1, 1}}}.dump()).status, 400);
  EXPECT_EQ(crew.Send("PUT", "/api/v1/tasks/order", json{{"order", {1}}}.dump()).status, 400);
  EXPECT_EQ(listed(), (std::vector<std::string>{ids[0], ids[2], ids[1]})) << "a refused order changes nothing";
  const json audit = Parse(f().SignIn("auditor").Get("/api/v1/audit?action=task.order"))["items"];
  ASSERT_EQ(audit.size(), 1u) << audit.dump();
  EXPECT_EQ(audit[0]["actor"], "crew2");
  const json tasks = Parse(crew.Get("/api/v1/tasks"))["items"];
  for (const auto& t : tasks) EXPECT_EQ(t["assignee"], "crew2");
}

}  // namespace
}  // namespace gb::testing
