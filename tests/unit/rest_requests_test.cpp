// The REST API's request models, without a server: what each body and query string must
// hold, and the message a client gets when it does not.

#include <gtest/gtest.h>

#include "api/rest/requests.h"

namespace gb::rest {
namespace {

using nlohmann::json;

constexpr TimeMs kNow = 1'795'000'000'000;  // 2026-11-18T11:06:40Z

http::Params Q(const std::string& query) { return *http::ParseForm(query); }

// The message of a failed parse ("" when it did not fail).
template <typename T>
std::string Why(const Result<T>& r) {
  return r.ok() ? "" : r.status().message();
}

TEST(IncidentFilterQuery, ReadsEveryFilterAndRefusesBadOnes) {
  auto f = ParseIncidentFilter(Q("state=routed,dispatched&category=noise&overdue=true&limit=20&cursor=99"));
  ASSERT_TRUE(f.ok()) << Why(f);
  EXPECT_EQ(f->states, (std::vector<IncidentState>{IncidentState::kRouted, IncidentState::kDispatched}));
  EXPECT_EQ(f->categories, std::vector<std::string>{"noise"});
  EXPECT_EQ(f->overdue, true);
  EXPECT_EQ(f->limit, 20);
  EXPECT_EQ(f->before_id, 99);
  EXPECT_FALSE(ParseIncidentFilter(Q(""))->overdue.has_value());
  EXPECT_NE(Why(ParseIncidentFilter(Q("overdue=yes"))).find("true or false"), std::string::npos);
  EXPECT_NE(Why(ParseIncidentFilter(Q("state=lost"))).find("unknown state 'lost'"), std::string::npos);
  EXPECT_NE(Why(ParseIncidentFilter(Q("limit=0"))).find("limit must be a whole number from 1 to 1000"),
            std::string::npos);
  EXPECT_NE(Why(ParseIncidentFilter(Q("from=yesterday"))).find("RFC 3339"), std::string::npos);
  EXPECT_NE(Why(ParseIncidentFilter(Q("bbox=1,2,3"))).find("bbox"), std::string::npos);
}

TEST(TransitionBody, NeedsAStateAndTakesStringsOnly) {
  auto t = ParseTransition(json{{"to", "dispatched"}, {"assignee", "crew1"}, {"template_id", "fixed"}});
  ASSERT_TRUE(t.ok()) << Why(t);
  EXPECT_EQ(t->to, IncidentState::kDispatched);
  EXPECT_EQ(t->assignee, "crew1");
  EXPECT_EQ(t->template_id, "fixed");
  EXPECT_NE(Why(ParseTransition(json::object())).find("\"to\""), std::string::npos);
  EXPECT_NE(Why(ParseTransition(json{{"to", "gone"}})).find("unknown state"), std::string::npos);
  EXPECT_NE(Why(ParseTransition(json{{"to", "rejected"}, {"note", 5}})).find("note must be a string"),
            std::string::npos);
  EXPECT_NE(Why(ParseTransition(json{{"to", "rejected"}, {"note", std::string(2001, 'x')}})).find("longer"),
            std::string::npos);
}

TEST(IdListBody, PositiveDistinctIdsWithinTheLimit) {
  EXPECT_EQ(*ParseIdList(json{{"ids", {3, 1, 2}}}, "ids"), (std::vector<Id>{3, 1, 2}));
  EXPECT_TRUE(ParseIdList(json{{"ids", json::array()}}, "ids")->empty());
  EXPECT_NE(Why(ParseIdList(json{{"ids", {1, 1}}}, "ids")).find("twice"), std::string::npos);
  EXPECT_NE(Why(ParseIdList(json{{"ids", {0}}}, "ids")).find("positive"), std::string::npos);
  EXPECT_NE(Why(ParseIdList(json{{"ids", "1,2"}}, "ids")).find("array"), std::string::npos);
  json many = json::array();
  for (int i = 1; i <= 1001; ++i) many.push_back(i);
  EXPECT_NE(Why(ParseIdList(json{{"ids", many}}, "ids")).find("at most 1000"), std::string::npos);
}

TEST(DepartmentBody, NeedsTheDepartmentAndAReason) {
  auto d = ParseDepartmentChange(json{{"department_id", "parks"}, {"reason", "inside the park"}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->department_id, "parks");
  EXPECT_NE(Why(ParseDepartmentChange(json{{"department_id", "parks"}})).find("reason is required"),
            std::string::npos);
  EXPECT_NE(Why(ParseDepartmentChange(json{{"department_id", "parks"}, {"reason", std::string(501, 'r')}}))
                .find("longer than 500"),
            std::string::npos);
}

TEST(TaskActionBody, KnowsTheFourActions) {
  auto a = ParseTaskActionBody(json{{"action", "resolve"},
                                    {"note", "done"},
                                    {"photos", {"sha256:" + std::string(64, 'a')}},
                                    {"client_at", "2026-11-18T08:00:00Z"}});
  ASSERT_TRUE(a.ok()) << Why(a);
  EXPECT_EQ(a->action, TaskAction::kResolve);
  EXPECT_EQ(a->photos.size(), 1u);
  EXPECT_EQ(a->client_at, *ParseRfc3339("2026-11-18T08:00:00Z"));
  for (const char* name : {"on_my_way", "start", "note"})
    EXPECT_TRUE(ParseTaskActionBody(json{{"action", name}}).ok()) << name;
  EXPECT_NE(Why(ParseTaskActionBody(json{{"action", "fly"}})).find("on_my_way, start, resolve or note"),
            std::string::npos);
  EXPECT_NE(Why(ParseTaskActionBody(json::object())).find("action is required"), std::string::npos);
  EXPECT_NE(Why(ParseTaskActionBody(json{{"action", "note"}, {"photos", {1}}})).find("evidence refs"),
            std::string::npos);
  EXPECT_NE(Why(ParseTaskActionBody(json{{"action", "note"}, {"client_at", "now"}})).find("RFC 3339"),
            std::string::npos);
}

TEST(FeedbackBody, NeedsTheTokenAndAYesOrNo) {
  auto f = ParseFeedback(json{{"token", "abc"}, {"fixed", false}, {"comment", "still there"}});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->feedback.fixed);
  EXPECT_EQ(f->feedback.comment, "still there");
  EXPECT_NE(Why(ParseFeedback(json{{"fixed", true}})).find("token is required"), std::string::npos);
  EXPECT_NE(Why(ParseFeedback(json{{"token", "abc"}, {"fixed", "no"}})).find("true or false"), std::string::npos);
}

TEST(NearbyQuery, ThePublicLooksUpTo250MetresAndStaffUpTo1000) {
  auto n = ParseNearby(Q("category=pothole&lat=31.23&lon=121.47"), false);
  ASSERT_TRUE(n.ok()) << Why(n);
  EXPECT_EQ(n->radius_m, 250);
  EXPECT_EQ(n->at.lat, 31.23);
  EXPECT_NE(Why(ParseNearby(Q("category=pothole&lat=31.23&lon=121.47&radius_m=251"), false)).find("at most 250"),
            std::string::npos);
  EXPECT_EQ(ParseNearby(Q("category=pothole&lat=31.23&lon=121.47&radius_m=1000"), true)->radius_m, 1000);
  EXPECT_FALSE(ParseNearby(Q("category=pothole&lat=31.23&lon=121.47&radius_m=1001"), true).ok());
  EXPECT_NE(Why(ParseNearby(Q("lat=31.23&lon=121.47"), false)).find("category is required"), std::string::npos);
  EXPECT_NE(Why(ParseNearby(Q("category=pothole&lat=95&lon=121.47"), false)).find("[-90, 90]"), std::string::npos);
  EXPECT_NE(Why(ParseNearby(Q("category=pothole&lat=x&lon=121.47"), false)).find("lat must be a number"),
            std::string::npos);
}

TEST(StatsRange, DefaultsToTheLocalDayAndStaysWithin31Days) {
  const int offset = 480;  // UTC+8: 11:06 UTC is 19:06 local on 2026-11-18
  auto today = ParseStatsRange(Q(""), kNow, offset);
  ASSERT_TRUE(today.ok());
  EXPECT_EQ(FormatRfc3339(today->from), "2026-11-17T16:00:00.000Z");
  EXPECT_EQ(today->to - today->from, 86'400'000);
  auto given = ParseStatsRange(Q("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z"), kNow, offset);
  EXPECT_EQ(given->to - given->from, 86'400'000);
  EXPECT_NE(Why(ParseStatsRange(Q("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z"), kNow, offset))
                .find("after"),
            std::string::npos);
  EXPECT_NE(Why(ParseStatsRange(Q("from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z"), kNow, offset))
                .find("31 days"),
            std::string::npos);
}

TEST(MonthQuery, DefaultsToLastMonthInLocalTime) {
  auto last = ParseMonth(Q(""), kNow, 480);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->month, "2026-10");
  EXPECT_EQ(FormatRfc3339(last->range.from), "2026-09-30T16:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(last->range.to), "2026-10-31T16:00:00.000Z");
  EXPECT_EQ(ParseMonth(Q("month=2026-12"), kNow, 0)->range.to, *ParseRfc3339("2027-01-01T00:00:00Z"));
  for (const char* bad : {"month=2026-13", "month=26-11", "month=2026-1", "month=november"})
    EXPECT_NE(Why(ParseMonth(Q(bad), kNow, 0)).find("YYYY-MM"), std::string::npos) << bad;
}

TEST(ExplainQuery, NeedsACategoryAndAPlaceAndTakesATime) {
  auto e = ParseExplain(Q("category=noise&lat=31.23&lon=121.47&at=2026-11-18T22:00:00Z"), kNow);
  ASSERT_TRUE(e.ok()) << Why(e);
  EXPECT_EQ(e->when, *ParseRfc3339("2026-11-18T22:00:00Z"));
  EXPECT_EQ(ParseExplain(Q("category=noise&lat=31.23&lon=121.47"), kNow)->when, kNow);
  EXPECT_FALSE(ParseExplain(Q("category=noise&lat=31.23"), kNow).ok());
}

}  // namespace
}  // namespace gb::rest
