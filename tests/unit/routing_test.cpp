#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/geometry/algorithms/area.hpp>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/geo.h"
#include "core/model.h"
#include "core/time.h"
#include "routing/router.h"
#include "routing/schedule.h"

namespace gb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// ---- helpers ---------------------------------------------------------------------------

// 2026-11-23 is a Monday.
constexpr TimeMs kMonday = 1795392000000;
constexpr int kMon = 0, kTue = 1, kWed = 2, kFri = 4, kSat = 5, kSun = 6;

TimeMs At(int weekday, int hour, int minute = 0) {
  return kMonday + ((weekday * 24 + hour) * 60 + minute) * TimeMs{60000};
}

LocalClock Clock(int weekday, int hour, int minute = 0) { return {weekday, hour * 60 + minute}; }

GeoPolygon Rect(double lon0, double lat0, double lon1, double lat1) {
  GeoPolygon p;
  p.outer() = {{lon0, lat0}, {lon0, lat1}, {lon1, lat1}, {lon1, lat0}, {lon0, lat0}};
  return p;
}

Area MakeArea(std::string id, std::string name, std::string kind, GeoPolygon polygon) {
  return Area{std::move(id), std::move(name), std::move(kind), std::move(polygon)};
}

RoutingRule MakeRule(std::string id, std::string category, std::string area, int priority, std::string department,
                     std::string days = "*", std::string hours = "*") {
  RoutingRule r;
  r.id = std::move(id);
  r.category = std::move(category);
  r.area = std::move(area);
  r.priority = priority;
  r.department = std::move(department);
  r.days = std::move(days);
  r.hours = std::move(hours);
  return r;
}

std::vector<Department> Departments() {
  std::vector<Department> out;
  for (const char* id : {"traffic", "sanitation", "building", "police", "parks", "operations"}) {
    Department d;
    d.id = id;
    d.name = std::string(id) + " department";
    out.push_back(d);
  }
  return out;
}

// The district used by most router tests (lon 121.40–121.50, lat 31.20–31.30):
//   old-town ward (west half) ⊃ canal-st-cycle-lane (no_parking) and harbour-site (construction_site)
//   new-town ward (east half)
std::vector<Area> District() {
  return {
      MakeArea("old-town", "Old Town ward", "ward", Rect(121.40, 31.20, 121.45, 31.30)),
      MakeArea("new-town", "New Town ward", "ward", Rect(121.45, 31.20, 121.50, 31.30)),
      MakeArea("canal-st-cycle-lane", "Canal Street cycle lane", "no_parking", Rect(121.41, 31.21, 121.42, 31.22)),
      MakeArea("harbour-site", "Harbour block 4", "construction_site", Rect(121.43, 31.25, 121.44, 31.26)),
  };
}

const LatLon kInCanalLane{31.215, 121.415};
const LatLon kInOldTownOnly{31.28, 121.405};
const LatLon kInNewTown{31.25, 121.48};
const LatLon kInHarbourSite{31.255, 121.435};
const LatLon kOutside{31.10, 121.30};

std::vector<RoutingRule> DistrictRules() {
  return {
      MakeRule("cycle-lanes-parking", "illegal_parking", "kind:no_parking", 50, "traffic", "Mon-Fri", "07:00-19:00"),
      MakeRule("parking-anywhere", "illegal_parking", "*", 10, "police"),
      MakeRule("parking-old-town", "illegal_parking", "old-town", 10, "traffic"),
      MakeRule("noise-night-old-town", "noise", "old-town", 30, "police", "*", "22:00-06:00"),
      MakeRule("site-anything", "*", "kind:construction_site", 5, "building"),
      MakeRule("waste", "dumped_waste", "*", 10, "sanitation"),
  };
}

Router BuildOrDie(std::vector<Area> areas, std::vector<RoutingRule> rules, int utc_offset_minutes = 0) {
  auto r = Router::Build(std::move(areas), std::move(rules), Departments(), "operations", utc_offset_minutes);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::move(r).value();
}

Router DistrictRouter(int utc_offset_minutes = 0) { return BuildOrDie(District(), DistrictRules(), utc_offset_minutes); }

// ---- schedules --------------------------------------------------------------------------

TEST(Schedule, WeekdayRangeCoversWorkingHoursOnly) {
  auto s = ParseHours("Mon-Fri 07:00-19:00");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->Contains(Clock(kMon, 7)));
  EXPECT_TRUE(s->Contains(Clock(kFri, 18, 59)));
  EXPECT_FALSE(s->Contains(Clock(kFri, 19)));  // the end is exclusive
  EXPECT_FALSE(s->Contains(Clock(kMon, 6, 59)));
  EXPECT_FALSE(s->Contains(Clock(kSat, 10)));
  EXPECT_FALSE(s->Contains(Clock(kSun, 10)));
  EXPECT_FALSE(s->always());
  EXPECT_EQ(s->Describe(), "Mon-Fri 07:00-19:00");
  EXPECT_EQ(*s, *ParseSchedule("Mon-Fri", "07:00-19:00"));
}

TEST(Schedule, DayListsAndWeekends) {
  auto list = ParseHours("Mon,Wed,Fri 08:00-12:00");
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_TRUE(list->Contains(Clock(kWed, 9)));
  EXPECT_FALSE(list->Contains(Clock(kTue, 9)));
  EXPECT_FALSE(list->Contains(Clock(kWed, 12)));
  EXPECT_EQ(list->Describe(), "Mon,Wed,Fri 08:00-12:00");

  auto weekend = ParseHours("Sat-Sun 09:00-17:00");
  ASSERT_TRUE(weekend.ok());
  EXPECT_TRUE(weekend->Contains(Clock(kSun, 16, 59)));
  EXPECT_FALSE(weekend->Contains(Clock(kFri, 10)));
  EXPECT_EQ(weekend->Describe(), "Sat-Sun 09:00-17:00");
}

TEST(Schedule, AnyTimeForms) {
  for (auto s : {ParseHours("24/7"), ParseHours("*"), ParseHours("  *  "), ParseSchedule("*", "*"),
                 ParseSchedule("*", "24/7"), ParseSchedule("Mon-Sun", "00:00-24:00")}) {
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_TRUE(s->always());
    EXPECT_EQ(s->Describe(), "at any time");
    for (int d = 0; d < 7; ++d)
      for (int m : {0, 1, 719, 1439}) EXPECT_TRUE(s->Contains({d, m}));
  }
  EXPECT_TRUE(Schedule().always());
  EXPECT_EQ(Schedule::Always(), *ParseHours("24/7"));
}

TEST(Schedule, MidnightWrapBelongsToTheStartDay) {
  auto s = ParseSchedule("Fri", "19:00-07:00");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->Contains(Clock(kFri, 19)));
  EXPECT_TRUE(s->Contains(Clock(kFri, 23, 59)));
  EXPECT_TRUE(s->Contains(Clock(kSat, 0)));
  EXPECT_TRUE(s->Contains(Clock(kSat, 3)));  // started Friday evening
  EXPECT_TRUE(s->Contains(Clock(kSat, 6, 59)));
  EXPECT_FALSE(s->Contains(Clock(kSat, 7)));
  EXPECT_FALSE(s->Contains(Clock(kFri, 3)));   // that night started on Thursday
  EXPECT_FALSE(s->Contains(Clock(kSat, 20)));  // Saturday evening is not a start day
  EXPECT_FALSE(s->Contains(Clock(kFri, 18, 59)));
  EXPECT_EQ(s->Describe(), "Fri 19:00-07:00");

  auto nightly = ParseHours("19:00-07:00");
  ASSERT_TRUE(nightly.ok());
  EXPECT_TRUE(nightly->Contains(Clock(kMon, 2)));  // started Sunday
  EXPECT_FALSE(nightly->Contains(Clock(kMon, 12)));
  EXPECT_EQ(nightly->Describe(), "every day 19:00-07:00");
}

TEST(Schedule, DayRangesWrapTheWeek) {
  auto s = ParseSchedule("Fri-Mon", "*");
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (int d : {kFri, kSat, kSun, kMon}) EXPECT_TRUE(s->Contains(Clock(d, 12))) << d;
  for (int d : {kTue, kWed, 3}) EXPECT_FALSE(s->Contains(Clock(d, 12))) << d;
  EXPECT_EQ(s->Describe(), "Fri-Mon all day");

  // A wrapped day range with a wrapped time window: Sunday and Monday nights.
  auto nights = ParseSchedule("Sun-Mon", "22:00-06:00");
  ASSERT_TRUE(nights.ok());
  EXPECT_TRUE(nights->Contains(Clock(kSun, 23)));
  EXPECT_TRUE(nights->Contains(Clock(kMon, 5)));  // Sunday night
  EXPECT_TRUE(nights->Contains(Clock(kTue, 5)));  // Monday night
  EXPECT_FALSE(nights->Contains(Clock(kSun, 5)));  // Saturday night
  EXPECT_FALSE(nights->Contains(Clock(kWed, 5)));
  EXPECT_FALSE(nights->Contains(Clock(kTue, 23)));
}

TEST(Schedule, DescribeIsCanonical) {
  struct Case {
    const char* text;
    const char* words;
  };
  for (const Case& c : std::vector<Case>{
           {"sat-sun", "Sat-Sun all day"},
           {"Mon,Tue,Wed", "Mon-Wed all day"},
           {"Sat,Sun,Mon 10:00-11:00", "Sat-Mon 10:00-11:00"},
           {"Monday-Friday 7:30-16:00", "Mon-Fri 07:30-16:00"},
           {"Mon, Wed 08:00-12:00", "Mon,Wed 08:00-12:00"},
           {"Mon-Fri 07:00 - 19:00", "Mon-Fri 07:00-19:00"},
           {"Tue", "Tue all day"},
           {"* 08:00-20:00", "every day 08:00-20:00"},
           {"Mon-Fri *", "Mon-Fri all day"},
           {"22:00-24:00", "every day 22:00-24:00"},
           {"22:00-00:00", "every day 22:00-24:00"},
           {"Mon 00:00-00:00", "Mon all day"},
           {"at any time", "at any time"},
           {"every day 19:00-07:00", "every day 19:00-07:00"},
           {"Mon-Fri 08:00-18:00; Sat 09:00-13:00", "Mon-Fri 08:00-18:00; Sat 09:00-13:00"},
           {"Sat-Sun all day; Mon-Fri 19:00-07:00", "Sat-Sun all day; Mon-Fri 19:00-07:00"},
       }) {
    auto s = ParseHours(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.status().message();
    EXPECT_EQ(s->Describe(), c.words) << c.text;
    // The description parses back to the same schedule.
    auto again = ParseHours(s->Describe());
    ASSERT_TRUE(again.ok()) << s->Describe() << ": " << again.status().message();
    EXPECT_EQ(*again, *s) << s->Describe();
  }
}

TEST(Schedule, EndOfDayAndSeveralWindows) {
  auto late = ParseHours("22:00-24:00");
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(late->Contains(Clock(kMon, 23, 59)));
  EXPECT_FALSE(late->Contains(Clock(kTue, 0)));
  EXPECT_EQ(*late, *ParseHours("22:00-00:00"));

  auto office = ParseHours("Mon-Fri 08:00-18:00; Sat 09:00-13:00");
  ASSERT_TRUE(office.ok()) << office.status().message();
  EXPECT_EQ(office->windows().size(), 2u);
  EXPECT_TRUE(office->Contains(Clock(kWed, 17)));
  EXPECT_TRUE(office->Contains(Clock(kSat, 10)));
  EXPECT_FALSE(office->Contains(Clock(kSat, 14)));
  EXPECT_FALSE(office->Contains(Clock(kSun, 10)));
}

TEST(Schedule, RejectsBadDaysWithClearMessages) {
  struct Case {
    const char* days;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"Mnn-Fri", "unknown day 'Mnn' in 'Mnn-Fri'"},
           {"Mon-Frx", "unknown day 'Frx' in 'Mon-Frx'"},
           {"Mon,Thursdy", "unknown day 'Thursdy'"},
           {"", "empty day list"},
           {"   ", "empty day list"},
           {"Mon,,Fri", "empty item in day list 'Mon,,Fri'"},
           {"Mon,", "empty item in day list"},
           {"Mon-", "missing day after '-' in 'Mon-'"},
           {"-Fri", "missing day before '-' in '-Fri'"},
           {"Mon-Tue-Wed", "more than one '-'"},
           {"1-5", "unknown day '1'"},
       }) {
    auto s = ParseSchedule(c.days, "*");
    ASSERT_FALSE(s.ok()) << "accepted days '" << c.days << "'";
    EXPECT_EQ(s.status().code(), Code::kInvalid);
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.days;
  }
}

TEST(Schedule, RejectsBadHoursWithClearMessages) {
  struct Case {
    const char* hours;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty time window"},
           {"07:00", "'07:00' needs a start and an end"},
           {"0700-1900", "bad time '0700' in '0700-1900'"},
           {"07:00-19:00x", "bad time '19:00x'"},
           {"ab:cd-ef:gh", "bad time 'ab:cd'"},
           {"7:5-9:00", "bad time '7:5'"},
           {"123:00-13:00", "bad time '123:00'"},
           {"-19:00", "bad time ''"},
           {"25:00-26:00", "hour 25 out of range in '25:00-26:00'"},
           {"24:00-07:00", "hour 24 out of range"},
           {"07:00-24:30", "hour 24 out of range"},
           {"07:60-08:00", "minute 60 out of range in '07:60-08:00'"},
           {"07:00-07:00", "start and end are equal"},
           {"12:30-12:30", "start and end are equal"},
       }) {
    auto s = ParseSchedule("Mon-Fri", c.hours);
    ASSERT_FALSE(s.ok()) << "accepted hours '" << c.hours << "'";
    EXPECT_EQ(s.status().code(), Code::kInvalid);
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.hours;
  }
}

TEST(Schedule, ParseHoursRejectsBadLines) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty schedule"},
           {"Mnn-Fri 07:00-19:00", "unknown day 'Mnn' in 'Mnn-Fri'"},
           {"Mon-Fri 07:00-19:00;", "empty window"},
           {"Mon-Fri 07:00-19:00 extra", "bad time '19:00 extra'"},
           {"Mon-Fri 7-19", "bad time '7'"},
           {"always", "unknown day 'always'"},
       }) {
    auto s = ParseHours(c.text);
    ASSERT_FALSE(s.ok()) << "accepted '" << c.text << "'";
    EXPECT_EQ(s.status().code(), Code::kInvalid);
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.text;
  }
}

// ---- router: validation ---------------------------------------------------------------------

Status BuildStatus(std::vector<Area> areas, std::vector<RoutingRule> rules, std::string fallback = "operations",
                   int utc_offset_minutes = 0) {
  return Router::Build(std::move(areas), std::move(rules), Departments(), std::move(fallback), utc_offset_minutes)
      .status();
}

TEST(RouterBuild, RejectsRulesNamingTheRule) {
  struct Case {
    RoutingRule rule;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {MakeRule("r1", "noise", "*", 1, "firefighters"), "routing rule \"r1\": unknown department \"firefighters\""},
           {MakeRule("r2", "noise", "atlantis", 1, "police"), "routing rule \"r2\": unknown area \"atlantis\""},
           {MakeRule("r3", "noise", "kind:volcano", 1, "police"), "routing rule \"r3\": no area has the kind in \"kind:volcano\""},
           {MakeRule("r4", "noise", "kind:", 1, "police"), "routing rule \"r4\": no area has the kind"},
           {MakeRule("r5", "", "*", 1, "police"), "routing rule \"r5\": category is empty"},
           {MakeRule("r6", "noise", "", 1, "police"), "routing rule \"r6\": area is empty"},
           {MakeRule("r7", "noise", "*", 1, "police", "Mnn-Fri"), "routing rule \"r7\": unknown day 'Mnn' in 'Mnn-Fri'"},
           {MakeRule("r8", "noise", "*", 1, "police", "*", "22:00-30:00"), "routing rule \"r8\": hour 30 out of range"},
           {MakeRule("", "noise", "*", 1, "police"), "has no id"},
       }) {
    auto rules = DistrictRules();
    rules.push_back(c.rule);
    Status s = BuildStatus(District(), rules);
    ASSERT_FALSE(s.ok()) << c.message;
    EXPECT_EQ(s.code(), Code::kInvalid);
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
  // The kinds that do exist are listed, to help with typos.
  auto rules = DistrictRules();
  rules.push_back(MakeRule("typo", "noise", "kind:no_parkin", 1, "police"));
  EXPECT_THAT(BuildStatus(District(), rules).message(), HasSubstr("no_parking"));
}

TEST(RouterBuild, RejectsDuplicatesUnknownFallbackAndBadGeometry) {
  auto rules = DistrictRules();
  rules.push_back(MakeRule("waste", "noise", "*", 1, "police"));
  EXPECT_THAT(BuildStatus(District(), rules).message(), HasSubstr("routing rule \"waste\": the id is used twice"));

  EXPECT_THAT(BuildStatus(District(), DistrictRules(), "nobody").message(),
              HasSubstr("fallback department \"nobody\""));

  auto areas = District();
  areas.push_back(MakeArea("old-town", "Copy", "ward", Rect(0, 0, 1, 1)));
  EXPECT_THAT(BuildStatus(areas, DistrictRules()).message(), HasSubstr("area id \"old-town\" is used twice"));

  areas = District();
  GeoPolygon bowtie;
  bowtie.outer() = {{121.40, 31.20}, {121.41, 31.21}, {121.41, 31.20}, {121.40, 31.21}, {121.40, 31.20}};
  areas.push_back(MakeArea("bowtie", "Crossed", "park", bowtie));
  Status s = BuildStatus(areas, DistrictRules());
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_THAT(s.message(), HasSubstr("area \"bowtie\""));

  areas = District();
  areas.push_back(MakeArea("", "No id", "park", Rect(121.40, 31.20, 121.41, 31.21)));
  EXPECT_THAT(BuildStatus(areas, DistrictRules()).message(), HasSubstr("has no id"));

  EXPECT_THAT(BuildStatus(District(), DistrictRules(), "operations", 1440).message(), HasSubstr("UTC offset"));

  auto departments = Departments();
  departments.push_back(departments.front());
  auto dup = Router::Build(District(), DistrictRules(), departments, "operations", 0);
  EXPECT_THAT(dup.status().message(), HasSubstr("department id \"traffic\" is used twice"));
}

TEST(RouterBuild, AcceptsValidInputAndExposesIt) {
  Router router = DistrictRouter(60);
  EXPECT_EQ(router.areas().size(), 4u);
  EXPECT_EQ(router.rules().size(), 6u);
  EXPECT_EQ(router.departments().size(), 6u);
  EXPECT_EQ(router.fallback_department(), "operations");
  EXPECT_EQ(router.utc_offset_minutes(), 60);
  ASSERT_NE(router.FindArea("harbour-site"), nullptr);
  EXPECT_EQ(router.FindArea("harbour-site")->name, "Harbour block 4");
  EXPECT_EQ(router.FindArea("nowhere"), nullptr);
  ASSERT_NE(router.FindDepartment("police"), nullptr);
  EXPECT_EQ(router.FindDepartment("police")->name, "police department");
  EXPECT_EQ(router.FindDepartment("nobody"), nullptr);
  ASSERT_NE(router.FindSchedule("cycle-lanes-parking"), nullptr);
  EXPECT_EQ(router.FindSchedule("cycle-lanes-parking")->Describe(), "Mon-Fri 07:00-19:00");
  EXPECT_EQ(router.FindSchedule("nothing"), nullptr);
  // A router with no rules at all sends everything to the fallback.
  auto empty = Router::Build({}, {}, Departments(), "operations", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->Decide("noise", kInCanalLane, At(kMon, 12)).unrouted);
}

// ---- router: areas ---------------------------------------------------------------------------

std::vector<std::string> Ids(const std::vector<const Area*>& areas) {
  std::vector<std::string> out;
  for (const Area* a : areas) out.push_back(a->id);
  return out;
}

TEST(RouterAreas, MostSpecificFirst) {
  Router router = DistrictRouter();
  EXPECT_THAT(Ids(router.AreasAt(kInCanalLane)), ElementsAre("canal-st-cycle-lane", "old-town"));
  EXPECT_THAT(Ids(router.AreasAt(kInOldTownOnly)), ElementsAre("old-town"));
  EXPECT_THAT(Ids(router.AreasAt(kInNewTown)), ElementsAre("new-town"));
  EXPECT_TRUE(router.AreasAt(kOutside).empty());
  ASSERT_NE(router.MostSpecificAreaAt(kInHarbourSite), nullptr);
  EXPECT_EQ(router.MostSpecificAreaAt(kInHarbourSite)->id, "harbour-site");
  EXPECT_EQ(router.MostSpecificAreaAt(kOutside), nullptr);
  // On the shared border of the two wards both contain the point.
  EXPECT_THAT(Ids(router.AreasAt({31.25, 121.45})), UnorderedElementsAre("new-town", "old-town"));
  // Areas of equal size sort by id.
  auto areas = District();
  areas.push_back(MakeArea("canal-copy", "Copy", "no_parking", Rect(121.41, 31.21, 121.42, 31.22)));
  EXPECT_THAT(Ids(BuildOrDie(areas, {}).AreasAt(kInCanalLane)),
              ElementsAre("canal-copy", "canal-st-cycle-lane", "old-town"));
}

TEST(RouterAreas, NormalisesRingsAndRespectsHoles) {
  GeoPolygon ccw_open;  // counter-clockwise and not closed
  ccw_open.outer() = {{121.40, 31.20}, {121.41, 31.20}, {121.41, 31.21}, {121.40, 31.21}};
  GeoPolygon donut = Rect(121.42, 31.20, 121.46, 31.24);
  donut.inners().push_back({{121.43, 31.21}, {121.45, 31.21}, {121.45, 31.23}, {121.43, 31.23}, {121.43, 31.21}});
  Router router = BuildOrDie({MakeArea("square", "Square", "park", ccw_open), MakeArea("donut", "Ring road", "park", donut)},
                             {MakeRule("parks", "*", "kind:park", 1, "parks")});
  EXPECT_THAT(Ids(router.AreasAt({31.205, 121.405})), ElementsAre("square"));
  EXPECT_THAT(Ids(router.AreasAt({31.205, 121.425})), ElementsAre("donut"));
  EXPECT_TRUE(router.AreasAt({31.22, 121.44}).empty());  // in the hole
  EXPECT_TRUE(router.Decide("litter", {31.22, 121.44}, At(kMon, 12)).unrouted);
  EXPECT_EQ(router.Decide("litter", {31.205, 121.425}, At(kMon, 12)).department_id, "parks");
}

TEST(RouterAreas, ManyOverlappingAreasAgreeWithBruteForce) {
  // 40 concentric squares around one centre plus a 30 × 30 grid of small cells.
  std::vector<Area> areas;
  const double lon0 = 121.40, lat0 = 31.20;
  for (int i = 1; i <= 40; ++i) {
    double r = 0.001 * i;
    areas.push_back(MakeArea("ring-" + std::to_string(i), "Ring " + std::to_string(i), i % 2 ? "odd" : "even",
                             Rect(lon0 + 0.05 - r, lat0 + 0.05 - r, lon0 + 0.05 + r, lat0 + 0.05 + r)));
  }
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 30; ++x) {
      double lx = lon0 + x * 0.0033, ly = lat0 + y * 0.0033;
      areas.push_back(MakeArea("cell-" + std::to_string(y) + "-" + std::to_string(x), "", "cell",
                               Rect(lx + 0.0003, ly + 0.0003, lx + 0.0030, ly + 0.0030)));
    }
  std::vector<RoutingRule> rules = {MakeRule("odd", "noise", "kind:odd", 5, "police"),
                                    MakeRule("even", "noise", "kind:even", 5, "parks"),
                                    MakeRule("ring-7-only", "noise", "ring-7", 1, "building")};
  Router router = BuildOrDie(areas, rules);

  // At the centre every ring contains the point, smallest first.
  auto at_centre = router.AreasAt({lat0 + 0.05, lon0 + 0.05});
  ASSERT_GE(at_centre.size(), 40u);
  std::vector<std::string> rings;
  for (const Area* a : at_centre)
    if (a->id.starts_with("ring-")) rings.push_back(a->id);
  ASSERT_EQ(rings.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(rings[i], "ring-" + std::to_string(i + 1));

  // Equal priority kind rules: the smaller matched area wins, so ring-1 (odd) decides.
  RoutingDecision centre = router.Decide("noise", {lat0 + 0.05, lon0 + 0.05}, At(kMon, 12));
  EXPECT_EQ(centre.rule_id, "odd");
  EXPECT_EQ(centre.department_id, "police");
  EXPECT_THAT(centre.explanation, HasSubstr("on specificity: its area is smaller."));
  // Between ring 1 and ring 2 the smallest containing ring is even.
  RoutingDecision second = router.Decide("noise", {lat0 + 0.05 + 0.0015, lon0 + 0.05}, At(kMon, 12));
  EXPECT_EQ(second.rule_id, "even");
  EXPECT_EQ(second.area_id, "ring-2");

  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> ulat(lat0 - 0.005, lat0 + 0.105), ulon(lon0 - 0.005, lon0 + 0.105);
  int with_areas = 0;
  for (int i = 0; i < 2000; ++i) {
    LatLon p{ulat(rng), ulon(rng)};
    std::vector<std::pair<double, std::string>> expected;
    for (const Area& a : router.areas())
      if (boost::geometry::covered_by(ToPoint(p), a.polygon))
        expected.emplace_back(std::abs(boost::geometry::area(a.polygon)), a.id);
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> want;
    for (auto& e : expected) want.push_back(e.second);
    ASSERT_EQ(Ids(router.AreasAt(p)), want) << p.lat << "," << p.lon;
    const Area* most = router.MostSpecificAreaAt(p);
    EXPECT_EQ(most ? most->id : "", want.empty() ? "" : want.front());
    with_areas += !want.empty();
  }
  EXPECT_GT(with_areas, 1000);  // the sample really exercises containment
}

// ---- router: decisions -------------------------------------------------------------------------

TEST(RouterDecide, HighestPriorityWinsAndExplainsWhy) {
  Router router = DistrictRouter();
  RoutingDecision d = router.Decide("illegal_parking", kInCanalLane, At(kTue, 10));
  EXPECT_EQ(d.department_id, "traffic");
  EXPECT_EQ(d.rule_id, "cycle-lanes-parking");
  EXPECT_EQ(d.area_id, "canal-st-cycle-lane");
  EXPECT_EQ(d.priority, 50);
  EXPECT_FALSE(d.unrouted);
  EXPECT_EQ(d.explanation,
            "Rule \"cycle-lanes-parking\" (priority 50): illegal_parking in no-parking zone \"Canal Street cycle "
            "lane\" (canal-st-cycle-lane) via kind:no_parking, Mon-Fri 07:00-19:00; beat 2 other matching rules "
            "(\"parking-old-town\" priority 10, \"parking-anywhere\" priority 10) on priority.");
}

TEST(RouterDecide, TimeWindowsSelectDifferentRules) {
  Router router = DistrictRouter();
  // Outside the cycle-lane hours the ward rule takes over (same priority as the catch-all,
  // but it names the area).
  for (TimeMs t : {At(kSat, 10), At(kSun, 10), At(kTue, 19), At(kTue, 6, 59)}) {
    RoutingDecision d = router.Decide("illegal_parking", kInCanalLane, t);
    EXPECT_EQ(d.rule_id, "parking-old-town") << FormatRfc3339(t);
    EXPECT_EQ(d.area_id, "old-town");
    EXPECT_THAT(d.explanation, HasSubstr("on specificity: a named area beats \"*\"."));
  }
  EXPECT_EQ(router.Decide("illegal_parking", kInCanalLane, At(kFri, 18, 59)).rule_id, "cycle-lanes-parking");

  // Night noise: 22:00-06:00 every day, including the small hours after midnight.
  for (TimeMs t : {At(kTue, 22), At(kWed, 3), At(kMon, 5, 59), At(kSun, 23, 10)})
    EXPECT_EQ(router.Decide("noise", kInOldTownOnly, t).rule_id, "noise-night-old-town") << FormatRfc3339(t);
  for (TimeMs t : {At(kTue, 6), At(kTue, 12), At(kSat, 21, 59)})
    EXPECT_TRUE(router.Decide("noise", kInOldTownOnly, t).unrouted) << FormatRfc3339(t);
}

TEST(RouterDecide, UsesTheLocalTimeOfTheDistrict) {
  // 14:30 UTC on Tuesday is 22:30 at UTC+8: night-time noise there.
  TimeMs t = At(kTue, 14, 30);
  EXPECT_TRUE(DistrictRouter(0).Decide("noise", kInOldTownOnly, t).unrouted);
  RoutingDecision d = DistrictRouter(480).Decide("noise", kInOldTownOnly, t);
  EXPECT_EQ(d.rule_id, "noise-night-old-town");
  // 20:00 UTC Friday is 04:00 Saturday at UTC+8: the cycle-lane rule is off.
  EXPECT_EQ(DistrictRouter(0).Decide("illegal_parking", kInCanalLane, At(kFri, 10)).rule_id, "cycle-lanes-parking");
  EXPECT_EQ(DistrictRouter(480).Decide("illegal_parking", kInCanalLane, At(kFri, 20)).rule_id, "parking-old-town");
}

TEST(RouterDecide, FallbackIsFlaggedAndExplained) {
  Router router = DistrictRouter();
  RoutingDecision d = router.Decide("noise", kInOldTownOnly, At(kSun, 12, 10));
  EXPECT_TRUE(d.unrouted);
  EXPECT_EQ(d.department_id, "operations");
  EXPECT_EQ(d.rule_id, "");
  EXPECT_EQ(d.priority, 0);
  EXPECT_EQ(d.area_id, "old-town");
  EXPECT_EQ(d.explanation,
            "No routing rule matches noise at Sun 12:10 in \"Old Town ward\"; sent to the fallback department "
            "\"operations\" for triage.");

  RoutingDecision outside = router.Decide("noise", kOutside, At(kMon, 9, 5));
  EXPECT_TRUE(outside.unrouted);
  EXPECT_EQ(outside.area_id, "");
  EXPECT_EQ(outside.explanation,
            "No routing rule matches noise at Mon 09:05 outside every known area; sent to the fallback department "
            "\"operations\" for triage.");

  // A category no rule names only meets the "*" rules.
  EXPECT_TRUE(router.Decide("graffiti", kInNewTown, At(kMon, 12)).unrouted);
  EXPECT_EQ(router.Decide("graffiti", kInHarbourSite, At(kMon, 12)).rule_id, "site-anything");
}

TEST(RouterDecide, CatchAllRulesWorkOutsideEveryArea) {
  Router router = DistrictRouter();
  RoutingDecision d = router.Decide("dumped_waste", kOutside, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "waste");
  EXPECT_EQ(d.department_id, "sanitation");
  EXPECT_EQ(d.area_id, "");
  EXPECT_EQ(d.explanation,
            "Rule \"waste\" (priority 10): dumped_waste anywhere, here outside every known area, at any time; the "
            "only matching rule.");
  RoutingDecision inside = router.Decide("dumped_waste", kInCanalLane, At(kMon, 12));
  EXPECT_EQ(inside.area_id, "canal-st-cycle-lane");  // the most specific area for a "*" rule
  EXPECT_THAT(inside.explanation, HasSubstr("anywhere, here in no-parking zone \"Canal Street cycle lane\""));
}

TEST(RouterDecide, KindRulesMatchTheSmallestAreaOfThatKind) {
  std::vector<Area> areas = District();
  areas.push_back(MakeArea("harbour-site-crane", "Crane pad", "construction_site", Rect(121.434, 31.254, 121.436, 31.256)));
  Router router = BuildOrDie(areas, DistrictRules());
  RoutingDecision d = router.Decide("pothole", kInHarbourSite, At(kWed, 12));
  EXPECT_EQ(d.rule_id, "site-anything");
  EXPECT_EQ(d.department_id, "building");
  EXPECT_EQ(d.area_id, "harbour-site-crane");
  EXPECT_THAT(d.explanation, HasSubstr("pothole (any category) in construction site \"Crane pad\" (harbour-site-crane) "
                                       "via kind:construction_site"));
  EXPECT_EQ(router.Decide("pothole", {31.259, 121.439}, At(kWed, 12)).area_id, "harbour-site");
  // A kind rule never matches away from areas of its kind.
  EXPECT_TRUE(router.Decide("pothole", kInNewTown, At(kWed, 12)).unrouted);
  // Higher priority still beats a kind rule: parking at the site goes to the ward rule.
  EXPECT_EQ(router.Decide("illegal_parking", kInHarbourSite, At(kWed, 12)).rule_id, "parking-old-town");
}

TEST(RouterDecide, TiesGoToTheExactCategory) {
  Router router = BuildOrDie(District(), {MakeRule("any-category", "*", "*", 20, "operations"),
                                          MakeRule("noise-anywhere", "noise", "*", 20, "police")});
  RoutingDecision d = router.Decide("noise", kInNewTown, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "noise-anywhere");
  EXPECT_THAT(d.explanation, HasSubstr("beat 1 other matching rule (\"any-category\" priority 20) on specificity: an "
                                       "exact category beats \"*\"."));
  // Category beats area: an exact category with "*" area wins over "*" with a named area.
  Router router2 = BuildOrDie(District(), {MakeRule("any-in-new-town", "*", "new-town", 20, "operations"),
                                           MakeRule("noise-anywhere", "noise", "*", 20, "police")});
  EXPECT_EQ(router2.Decide("noise", kInNewTown, At(kMon, 12)).rule_id, "noise-anywhere");
  EXPECT_EQ(router2.Decide("litter", kInNewTown, At(kMon, 12)).rule_id, "any-in-new-town");
}

TEST(RouterDecide, TiesGoToTheNamedAreaThenKindThenAnywhere) {
  std::vector<RoutingRule> rules = {MakeRule("a-anywhere", "illegal_parking", "*", 20, "police"),
                                    MakeRule("b-kind", "illegal_parking", "kind:no_parking", 20, "traffic"),
                                    MakeRule("c-named", "illegal_parking", "canal-st-cycle-lane", 20, "building")};
  RoutingDecision d = BuildOrDie(District(), rules).Decide("illegal_parking", kInCanalLane, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "c-named");
  EXPECT_THAT(d.explanation, HasSubstr("beat 2 other matching rules (\"b-kind\" priority 20, \"a-anywhere\" priority 20) "
                                       "on specificity: a named area beats an area kind."));
  rules.pop_back();
  d = BuildOrDie(District(), rules).Decide("illegal_parking", kInCanalLane, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "b-kind");
  EXPECT_THAT(d.explanation, HasSubstr("on specificity: an area kind beats \"*\"."));
}

TEST(RouterDecide, TiesGoToTheSmallerAreaThenRuleId) {
  std::vector<RoutingRule> rules = {MakeRule("ward-rule", "litter", "old-town", 20, "sanitation"),
                                    MakeRule("lane-rule", "litter", "canal-st-cycle-lane", 20, "traffic")};
  RoutingDecision d = BuildOrDie(District(), rules).Decide("litter", kInCanalLane, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "lane-rule");
  EXPECT_EQ(d.area_id, "canal-st-cycle-lane");
  EXPECT_THAT(d.explanation, HasSubstr("on specificity: its area is smaller."));
  EXPECT_EQ(BuildOrDie(District(), rules).Decide("litter", kInOldTownOnly, At(kMon, 12)).rule_id, "ward-rule");

  // Identical rules: the lowest id wins whatever the input order.
  std::vector<RoutingRule> twins = {MakeRule("zeta", "litter", "*", 20, "sanitation"),
                                    MakeRule("alpha", "litter", "*", 20, "parks")};
  for (int pass = 0; pass < 2; ++pass) {
    RoutingDecision t = BuildOrDie(District(), twins).Decide("litter", kInNewTown, At(kMon, 12));
    EXPECT_EQ(t.rule_id, "alpha");
    EXPECT_EQ(t.department_id, "parks");
    EXPECT_THAT(t.explanation, HasSubstr("on rule id order"));
    std::reverse(twins.begin(), twins.end());
  }
}

TEST(RouterDecide, DecisionsDoNotDependOnRuleOrder) {
  std::vector<RoutingRule> rules = DistrictRules();
  rules.push_back(MakeRule("parking-new-town-weekend", "illegal_parking", "new-town", 10, "police", "Sat-Sun"));
  rules.push_back(MakeRule("everything-else", "*", "*", 0, "operations"));
  Router a = BuildOrDie(District(), rules);
  std::mt19937 rng(7);
  std::shuffle(rules.begin(), rules.end(), rng);
  Router b = BuildOrDie(District(), rules);
  for (const char* category : {"illegal_parking", "noise", "dumped_waste", "pothole", "graffiti"})
    for (LatLon p : {kInCanalLane, kInOldTownOnly, kInNewTown, kInHarbourSite, kOutside})
      for (int hour = 0; hour < 24 * 7; hour += 5) {
        RoutingDecision da = a.Decide(category, p, At(0, hour));
        RoutingDecision db = b.Decide(category, p, At(0, hour));
        EXPECT_EQ(da.rule_id, db.rule_id);
        EXPECT_EQ(da.explanation, db.explanation);
        EXPECT_FALSE(da.unrouted);  // "everything-else" catches all
      }
}

TEST(RouterDecide, LongLoserListsAreCut) {
  std::vector<RoutingRule> rules;
  for (int i = 0; i < 6; ++i)
    rules.push_back(MakeRule("rule-" + std::to_string(i), "noise", "*", 10 - i, "police"));
  RoutingDecision d = BuildOrDie(District(), rules).Decide("noise", kInNewTown, At(kMon, 12));
  EXPECT_EQ(d.rule_id, "rule-0");
  EXPECT_THAT(d.explanation, HasSubstr("beat 5 other matching rules (\"rule-1\" priority 9, \"rule-2\" priority 8, "
                                       "\"rule-3\" priority 7, …) on priority."));
}

TEST(RouterDecide, OvernightRuleWindowsBelongToTheStartDay) {
  Router router = BuildOrDie(District(), {MakeRule("friday-night", "noise", "*", 10, "police", "Fri", "19:00-07:00")});
  EXPECT_EQ(router.Decide("noise", kInNewTown, At(kSat, 3)).rule_id, "friday-night");
  EXPECT_TRUE(router.Decide("noise", kInNewTown, At(kFri, 3)).unrouted);
  EXPECT_THAT(router.Decide("noise", kInNewTown, At(kFri, 20)).explanation, HasSubstr(", Fri 19:00-07:00;"));
}

TEST(RouterDecide, ConcurrentReadersSeeTheSameDecisions) {
  Router router = DistrictRouter();
  const std::vector<LatLon> points = {kInCanalLane, kInOldTownOnly, kInNewTown, kInHarbourSite, kOutside};
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i)
    expected.push_back(router.Decide(i % 2 ? "illegal_parking" : "noise", points[i % points.size()], At(0, i % 168))
                           .explanation);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Router copy = router;  // copies share the immutable state
      for (int round = 0; round < 20; ++round)
        for (int i = 0; i < 200; ++i)
          if (copy.Decide(i % 2 ? "illegal_parking" : "noise", points[i % points.size()], At(0, i % 168)).explanation !=
              expected[i])
            ++mismatches[t];
    });
  for (auto& th : threads) th.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(Router(router).FindArea("old-town"), router.FindArea("old-town"));
}

}  // namespace
}  // namespace gb
