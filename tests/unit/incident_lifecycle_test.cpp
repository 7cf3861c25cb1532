// The incident life cycle beyond ingest, on a real SQLite store with a frozen clock: SLA
// deadlines and escalation, crew actions in the field, residents' feedback, department
// changes and what an incident shows of its newest report.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "district/district.h"
#include "incidents/catalog.h"
#include "incidents/service.h"
#include "incidents/sla.h"
#include "incidents/state_machine.h"
#include "test_store.h"

namespace gb {
namespace {

constexpr TimeMs kNow = 1'795'000'000'000;  // 2026-11-18
constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kDay = 86'400'000;
const LatLon kPlace{31.2304, 121.4737};

District DemoDistrict() {
  auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
  if (!district.ok()) throw std::runtime_error(district.status().message());
  return std::move(district).value();
}

std::shared_ptr<const Catalog> CatalogOf(District d) {
  auto catalog = Catalog::Build(std::move(d));
  if (!catalog.ok()) throw std::runtime_error(catalog.status().message());
  return *catalog;
}

// A demo district whose only SLA is `sla`.
std::shared_ptr<const Catalog> WithSla(Sla sla) {
  District d = DemoDistrict();
  d.slas = {std::move(sla)};
  return CatalogOf(std::move(d));
}

struct Rig {
  explicit Rig(std::shared_ptr<const Catalog> c = CatalogOf(DemoDistrict())) : catalog(std::move(c)) {
    Status s = store.Write([](WriteTxn& txn) -> Status {
      for (const char* name : {"crew1", "crew2"}) GB_RETURN_IF_ERROR(txn.PutUser(User{name, Role::kCrew, "x", kNow}));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.message();
  }

  // A new incident of `category` at kPlace, from one camera observation.
  Incident Open(const std::string& category = "illegal_parking", const std::string& key = "k1") {
    Event e;
    e.idempotency_key = key;
    e.source_id = "cam-01";
    e.category = category;
    e.rule = "stationary_vehicle";
    e.observed_at = env.NowMs();
    e.location = kPlace;
    e.confidence = 0.9;
    auto out = service.Ingest({e}, Actor{"edge-1", Role::kEdge, false});
    EXPECT_TRUE(out.ok() && (*out)[0].kind == IngestOutcome::Kind::kStored);
    return *store.GetIncident((*out)[0].incident_id).value();
  }

  // Dispatches `id` to crew1.
  void Dispatch(Id id) {
    auto r = service.Transition(id, {IncidentState::kDispatched, "", "crew1", ""}, desk);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  Result<Incident> Act(Id id, TaskAction action, const Actor& who, std::string note = "") {
    TaskActionRequest r;
    r.action = action;
    r.note = std::move(note);
    return service.Act(id, r, who);
  }

  std::vector<std::string> AuditActions(Id id) {
    AuditFilter f;
    f.object = "incident/" + std::to_string(id);
    std::vector<std::string> out;
    for (const auto& e : store.ListAudit(f).value()) out.insert(out.begin(), e.action);  // oldest first
    return out;
  }

  test::TempStore db;
  Store& store{db.store()};
  CatalogHolder catalog;
  FakeClockEnv env{kNow};
  IncidentService service{store, catalog, &env};
  Actor desk{"dispatcher", Role::kDispatcher, false};
  Actor crew1{"crew1", Role::kCrew, false};
  Actor crew2{"crew2", Role::kCrew, false};
};

// ---- the pure parts ----------------------------------------------------------------------

TEST(SlaFor, TheMostSpecificSlaWinsAndTiesGoToTheLowestId) {
  std::vector<Sla> slas = {{"z-any", "*", "*", 60, 600, ""},
                           {"b-category", "pothole", "*", 30, 300, ""},
                           {"a-category", "pothole", "*", 31, 301, ""},
                           {"department", "*", "public-works", 20, 200, ""},
                           {"both", "pothole", "public-works", 10, 100, ""}};
  EXPECT_EQ(SlaFor(slas, "pothole", "public-works")->id, "both");
  EXPECT_EQ(SlaFor(slas, "pothole", "traffic")->id, "a-category");
  EXPECT_EQ(SlaFor(slas, "noise", "public-works")->id, "department");
  EXPECT_EQ(SlaFor(slas, "noise", "traffic")->id, "z-any");
  EXPECT_EQ(SlaFor({}, "noise", "traffic"), nullptr);
}

TEST(SlaClock, RespondIsMissedOnlyUntilDispatchAndResolveUntilClosed) {
  Sla sla{"s", "*", "*", 10, 60, ""};
  Incident in;
  in.state = IncidentState::kRouted;
  in.sla = ClockFor(&sla, kNow);
  EXPECT_EQ(in.sla.respond_due_at, kNow + 10 * kMinute);
  EXPECT_EQ(in.sla.resolve_due_at, kNow + 60 * kMinute);
  EXPECT_EQ(BreachAt(in, kNow + 10 * kMinute - 1), SlaBreach::kNone);
  EXPECT_EQ(BreachAt(in, kNow + 10 * kMinute), SlaBreach::kRespond);
  in.state = IncidentState::kDispatched;
  EXPECT_EQ(BreachAt(in, kNow + 30 * kMinute), SlaBreach::kNone) << "dispatched in time";
  EXPECT_EQ(BreachAt(in, kNow + 60 * kMinute), SlaBreach::kResolve);
  in.sla.overdue_at = kNow + 60 * kMinute;
  EXPECT_EQ(BreachAt(in, kNow + 90 * kMinute), SlaBreach::kNone) << "flagged once";
  in.sla.overdue_at = 0;
  in.state = IncidentState::kResolved;
  EXPECT_EQ(BreachAt(in, kNow + 90 * kMinute), SlaBreach::kNone);
  EXPECT_TRUE(ClockFor(nullptr, kNow).sla_id.empty());
}

TEST(NextStates, FollowTheLifeCycleAndTheRole) {
  using S = IncidentState;
  EXPECT_EQ(NextStates(S::kRouted, Role::kDispatcher), (std::vector<S>{S::kDispatched, S::kRejected, S::kMerged}));
  EXPECT_EQ(NextStates(S::kDispatched, Role::kCrew), (std::vector<S>{S::kInProgress}));
  EXPECT_EQ(NextStates(S::kInProgress, Role::kCrew), (std::vector<S>{S::kResolved}));
  EXPECT_TRUE(NextStates(S::kResolved, Role::kAdmin).empty()) << "reopening is the resident's, not a transition";
  EXPECT_TRUE(NextStates(S::kRouted, Role::kAuditor).empty());
}

// ---- SLAs --------------------------------------------------------------------------------

TEST(Slas, ANewIncidentStartsItsClockUnderTheSlaThatApplies) {
  Rig rig;
  Incident in = rig.Open("illegal_parking");
  const Sla* want = SlaFor(rig.catalog.Get()->district.slas, "illegal_parking", in.department_id);
  ASSERT_NE(want, nullptr) << "the demo district has an SLA for parking";
  EXPECT_EQ(in.sla.sla_id, want->id);
  EXPECT_EQ(in.sla.started_at, kNow);
  EXPECT_EQ(in.sla.respond_due_at, kNow + want->respond_minutes * kMinute);
  EXPECT_EQ(in.sla.overdue_at, 0);
}

TEST(Slas, AMissedDeadlineIsFlaggedOnceAndEscalatesSayingWhy) {
  Rig probe;
  const std::string routed_to = probe.Open().department_id;
  const std::string escalate_to = routed_to == "operations" ? "traffic" : "operations";
  Rig rig(WithSla({"quick", "illegal_parking", "*", 5, 30, escalate_to}));
  Incident in = rig.Open();
  ASSERT_EQ(in.department_id, routed_to);

  rig.env.Advance(5 * kMinute - 1);
  EXPECT_EQ(*rig.service.CheckSlas(), 0) << "not due yet";
  rig.env.Advance(1);
  EXPECT_EQ(*rig.service.CheckSlas(), 1);
  EXPECT_EQ(*rig.service.CheckSlas(), 0) << "overdue once";

  Incident after = *rig.store.GetIncident(in.id).value();
  EXPECT_EQ(after.sla.overdue_at, kNow + 5 * kMinute);
  EXPECT_EQ(after.department_id, escalate_to);
  EXPECT_EQ(after.sla.escalated_from, routed_to);
  EXPECT_NE(after.explanation.find("not dispatched within 5 minutes"), std::string::npos) << after.explanation;
  EXPECT_NE(after.explanation.find("SLA quick"), std::string::npos) << after.explanation;
  EXPECT_EQ(rig.AuditActions(in.id),
            (std::vector<std::string>{"incident.create", "incident.overdue", "incident.escalate"}));
  std::vector<std::string> types;
  for (const auto& c : rig.store.ChangesAfter(0, 100).value()) types.push_back(c.type);
  EXPECT_EQ(types, (std::vector<std::string>{"created", "overdue", "escalated"}));

  IncidentFilter overdue;
  overdue.overdue = true;
  ASSERT_EQ(rig.store.ListIncidents(overdue).value().size(), 1u);
  overdue.overdue = false;
  EXPECT_TRUE(rig.store.ListIncidents(overdue).value().empty());
}

TEST(Slas, ADispatchInTimeMeetsRespondButResolveCanStillBeMissed) {
  Rig rig(WithSla({"s", "illegal_parking", "*", 5, 30, ""}));
  Incident in = rig.Open();
  rig.env.Advance(4 * kMinute);
  rig.Dispatch(in.id);
  rig.env.Advance(20 * kMinute);
  EXPECT_EQ(*rig.service.CheckSlas(), 0);
  rig.env.Advance(6 * kMinute);
  EXPECT_EQ(*rig.service.CheckSlas(), 1);
  Incident after = *rig.store.GetIncident(in.id).value();
  EXPECT_NE(after.sla.overdue_at, 0);
  EXPECT_EQ(after.department_id, in.department_id) << "no escalate_to: it stays";
  EXPECT_TRUE(after.sla.escalated_from.empty());
}

TEST(Slas, ChangedSlasMoveTheDeadlinesOfOpenIncidents) {
  Rig rig(WithSla({"s", "illegal_parking", "*", 5, 30, ""}));
  Incident in = rig.Open();
  rig.env.Advance(3 * kMinute);
  rig.catalog.Publish(WithSla({"s", "illegal_parking", "*", 2, 30, ""}));
  EXPECT_EQ(*rig.service.RestartSlaClocks(), 1) << "counted from when it opened, 2 minutes are past";
  Incident after = *rig.store.GetIncident(in.id).value();
  EXPECT_EQ(after.sla.respond_due_at, kNow + 2 * kMinute);
  EXPECT_NE(after.sla.overdue_at, 0);
  rig.catalog.Publish(WithSla({"other", "pothole", "*", 2, 30, ""}));
  ASSERT_TRUE(rig.service.RestartSlaClocks().ok());
  EXPECT_TRUE(rig.store.GetIncident(in.id).value()->sla.sla_id.empty()) << "no SLA applies any more";
}

// ---- the crew in the field ------------------------------------------------------------------

TEST(TaskActions, EachStepOnceAndAStepPassedSaysSo) {
  Rig rig;
  Incident in = rig.Open();
  rig.Dispatch(in.id);
  auto passed = [](const Result<Incident>& r) {
    return !r.ok() && r.status().code() == Code::kConflict && r.status().message().starts_with(kStepAlreadyPassed);
  };
  EXPECT_EQ(rig.Act(in.id, TaskAction::kStart, rig.crew2).status().code(), Code::kForbidden) << "not crew2's";
  auto resolve_first = rig.Act(in.id, TaskAction::kResolve, rig.crew1);
  EXPECT_EQ(resolve_first.status().code(), Code::kConflict);
  EXPECT_FALSE(passed(resolve_first)) << "a step not yet reached is not a step passed";

  rig.env.Advance(5000);
  TaskActionRequest way;
  way.action = TaskAction::kOnMyWay;
  way.client_at = rig.env.NowMs() - 1000;  // taken offline a second ago
  auto r = rig.service.Act(in.id, way, rig.crew1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->en_route_at, way.client_at) << "when the crew set off, as its device says";
  EXPECT_EQ(r->state, IncidentState::kDispatched);
  EXPECT_TRUE(passed(rig.service.Act(in.id, way, rig.crew1)));

  ASSERT_TRUE(rig.Act(in.id, TaskAction::kStart, rig.crew1).ok());
  EXPECT_TRUE(passed(rig.Act(in.id, TaskAction::kStart, rig.crew1)));
  EXPECT_TRUE(passed(rig.service.Act(in.id, way, rig.crew1)));
  ASSERT_TRUE(rig.Act(in.id, TaskAction::kNote, rig.crew1, "two bags, one mattress").ok());

  TaskActionRequest resolve;
  resolve.action = TaskAction::kResolve;
  resolve.template_id = "vehicle-gone";
  resolve.note = "towed at 10:40";
  auto done = rig.service.Act(in.id, resolve, rig.crew1);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->state, IncidentState::kResolved);
  EXPECT_EQ(done->note, rig.catalog.Get()->district.FindTemplate("vehicle-gone")->text.en + "\n\ntowed at 10:40");
  EXPECT_TRUE(passed(rig.service.Act(in.id, resolve, rig.crew1)));
  EXPECT_EQ(rig.Act(in.id, TaskAction::kNote, rig.crew1, "late").status().code(), Code::kConflict);
  EXPECT_EQ(rig.AuditActions(in.id),
            (std::vector<std::string>{"incident.create", "incident.transition", "incident.en_route",
                                      "incident.transition", "incident.note", "incident.transition"}));
}

TEST(TaskActions, TemplatesMustFitTheStateAndCategoryAndPhotosMustExist) {
  Rig rig;
  Incident in = rig.Open();
  rig.Dispatch(in.id);
  TaskActionRequest start;
  start.action = TaskAction::kStart;
  start.template_id = "vehicle-gone";  // written for resolved
  EXPECT_EQ(rig.service.Act(in.id, start, rig.crew1).status().code(), Code::kInvalid);
  start.template_id = "no-such-template";
  EXPECT_EQ(rig.service.Act(in.id, start, rig.crew1).status().code(), Code::kInvalid);
  start.template_id.clear();
  start.photos = {"sha256:" + std::string(64, 'b')};
  auto missing = rig.service.Act(in.id, start, rig.crew1);
  EXPECT_EQ(missing.status().code(), Code::kInvalid);
  EXPECT_NE(missing.status().message().find("upload it"), std::string::npos);
  EXPECT_EQ(rig.store.GetIncident(in.id).value()->state, IncidentState::kDispatched) << "nothing changed";

  ASSERT_TRUE(rig.store.Write([&](WriteTxn& t) { return t.PutEvidence({start.photos[0], 10, kNow}).status(); }).ok());
  ASSERT_TRUE(rig.service.Act(in.id, start, rig.crew1).ok());
  TaskActionRequest resolve;
  resolve.action = TaskAction::kResolve;
  resolve.template_id = "rubbish-removed";  // for dumped_rubbish, not parking
  EXPECT_EQ(rig.service.Act(in.id, resolve, rig.crew1).status().code(), Code::kInvalid);
  const auto views = rig.store.GetIncident(in.id).value()->views;
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].evidence, start.photos[0]);
  EXPECT_EQ(views[0].source_id, "crew:crew1");
}

// ---- residents' feedback --------------------------------------------------------------------

struct Reported {
  Report report;
  Id incident;
};

Reported ReportAndResolve(Rig& rig) {
  Reported out;
  out.report.token = "t-1";
  out.report.service_code = "dumped_rubbish";
  out.report.description = "Mattress by the bins";
  out.report.location = kPlace;
  out.report.requested_at = rig.env.NowMs();
  EXPECT_TRUE(rig.service.SubmitReport(out.report, rig.desk).ok());
  out.incident = out.report.incident_id;
  rig.Dispatch(out.incident);
  EXPECT_TRUE(rig.Act(out.incident, TaskAction::kStart, rig.crew1).ok());
  EXPECT_TRUE(rig.Act(out.incident, TaskAction::kResolve, rig.crew1).ok());
  return out;
}

TEST(Feedback, NotFixedReopensOnceAndOnlyAResolvedIncident) {
  Rig rig;
  Reported r = ReportAndResolve(rig);
  const Actor resident{"public", Role::kCrew, false};
  rig.env.Advance(kDay);
  auto reopened = rig.service.Feedback(r.report, {false, "still there"}, 30 * kDay, resident);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_EQ(reopened->state, IncidentState::kRouted);
  EXPECT_TRUE(reopened->assignee.empty());
  EXPECT_TRUE(reopened->note.empty()) << "no closing note any more";
  EXPECT_EQ(reopened->sla.started_at, kNow + kDay) << "a fresh clock";
  auto again = rig.service.Feedback(r.report, {false, ""}, 30 * kDay, resident);
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_NE(again.status().message().find("still open"), std::string::npos);

  // Resolved again: the resident may answer again, once.
  rig.env.Advance(kMinute);
  rig.Dispatch(r.incident);
  ASSERT_TRUE(rig.Act(r.incident, TaskAction::kStart, rig.crew1).ok());
  ASSERT_TRUE(rig.Act(r.incident, TaskAction::kResolve, rig.crew1).ok());
  rig.env.Advance(1);
  ASSERT_TRUE(rig.service.Feedback(r.report, {true, "thanks"}, 30 * kDay, resident).ok());
  auto twice = rig.service.Feedback(r.report, {false, ""}, 30 * kDay, resident);
  EXPECT_EQ(twice.status().code(), Code::kConflict);
  EXPECT_NE(twice.status().message().find("already given"), std::string::npos);
  EXPECT_EQ(rig.store.GetIncident(r.incident).value()->state, IncidentState::kResolved);
  auto actions = rig.AuditActions(r.incident);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "incident.reopen"), 1);
}

TEST(Feedback, IsRefusedWhileOpenAfterTheWindowAndForARejection) {
  Rig rig;
  Report open;
  open.token = "t-open";
  open.service_code = "pothole";
  open.location = kPlace;
  open.requested_at = kNow;
  ASSERT_TRUE(rig.service.SubmitReport(open, rig.desk).ok());
  const Actor resident{"public", Role::kCrew, false};
  EXPECT_EQ(rig.service.Feedback(open, {false, ""}, 30 * kDay, resident).status().code(), Code::kConflict);

  Reported late = ReportAndResolve(rig);
  rig.env.Advance(31 * kDay);
  auto too_late = rig.service.Feedback(late.report, {false, ""}, 30 * kDay, resident);
  EXPECT_EQ(too_late.status().code(), Code::kConflict);
  EXPECT_NE(too_late.status().message().find("30 days"), std::string::npos) << too_late.status().message();

  ASSERT_TRUE(rig.service.Transition(open.incident_id, {IncidentState::kRejected, "", "", ""}, rig.desk).ok());
  auto rejected = rig.service.Feedback(open, {false, ""}, 30 * kDay, resident);
  EXPECT_EQ(rejected.status().code(), Code::kConflict);
  EXPECT_NE(rejected.status().message().find("rejected"), std::string::npos);
}

// ---- departments and reports ------------------------------------------------------------------

TEST(ChangeDepartment, SaysWhoAndWhyAndRestartsTheClock) {
  Rig rig;
  Incident in = rig.Open("dumped_rubbish");
  const std::string to = in.department_id == "parks" ? "sanitation" : "parks";
  rig.env.Advance(kMinute);
  auto moved = rig.service.ChangeDepartment(in.id, to, "it is inside the park", rig.desk);
  ASSERT_TRUE(moved.ok()) << moved.status().message();
  EXPECT_EQ(moved->department_id, to);
  EXPECT_NE(moved->explanation.find("by dispatcher: it is inside the park"), std::string::npos) << moved->explanation;
  EXPECT_EQ(moved->sla.started_at, kNow + kMinute);
  EXPECT_EQ(rig.service.ChangeDepartment(in.id, to, "again", rig.desk).status().code(), Code::kConflict);
  EXPECT_EQ(rig.service.ChangeDepartment(in.id, "nope", "x", rig.desk).status().code(), Code::kInvalid);
  EXPECT_EQ(rig.service.ChangeDepartment(in.id, in.department_id, "", rig.desk).status().code(), Code::kInvalid);
  ASSERT_TRUE(rig.service.Transition(in.id, {IncidentState::kRejected, "", "", ""}, rig.desk).ok());
  EXPECT_EQ(rig.service.ChangeDepartment(in.id, in.department_id, "back", rig.desk).status().code(),
            Code::kConflict);
}

TEST(LatestReport, IsTheNewestReportThroughMergesAndSplits) {
  Rig rig;
  auto submit = [&](const std::string& token, const std::string& text, LatLon where, const std::string& media = "") {
    Report r;
    r.token = token;
    r.service_code = "graffiti";
    r.description = text;
    r.location = where;
    r.media = media;
    r.requested_at = rig.env.NowMs();
    EXPECT_TRUE(rig.service.SubmitReport(r, rig.desk).ok());
    rig.env.Advance(1000);
    return r;
  };
  Report a = submit("a", "first", kPlace);
  Report b = submit("b", "second", kPlace, "sha256:" + std::string(64, 'c'));
  ASSERT_EQ(a.incident_id, b.incident_id);
  Incident one = *rig.store.GetIncident(a.incident_id).value();
  EXPECT_EQ(one.latest_report.id, b.id);
  EXPECT_EQ(one.latest_report.description, "second");
  EXPECT_TRUE(one.latest_report.has_photo);

  Report far = submit("c", "elsewhere", {kPlace.lat + 0.01, kPlace.lon});
  ASSERT_NE(far.incident_id, a.incident_id);
  auto merged = rig.service.Merge(far.incident_id, {a.incident_id}, rig.desk);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->latest_report.id, far.id) << "the newer of the two";
  EXPECT_EQ(rig.store.GetIncident(a.incident_id).value()->latest_report.id, 0) << "its reports moved on";

  // Splitting off the event of report b takes b with it.
  Id event_of_b = 0;
  for (const auto& e : rig.store.EventsOfIncident(far.incident_id, 100).value())
    if (e.source_id == "report-" + std::to_string(b.id)) event_of_b = e.id;
  ASSERT_NE(event_of_b, 0);
  auto split = rig.service.Split(far.incident_id, {event_of_b}, rig.desk);
  ASSERT_TRUE(split.ok()) << split.status().message();
  EXPECT_EQ(split->latest_report.id, b.id);
  EXPECT_EQ(rig.store.GetIncident(far.incident_id).value()->latest_report.id, far.id);
}

}  // namespace
}  // namespace gb
