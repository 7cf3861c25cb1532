#include <gtest/gtest.h>

#include <boost/geometry/algorithms/within.hpp>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/geo.h"
#include "core/json_depth.h"
#include "core/json_writer.h"
#include "core/model.h"
#include "core/time.h"

namespace gb {
namespace {

TEST(Time, ParsesAndFormatsRfc3339) {
  auto t = ParseRfc3339("2026-11-24T10:15:02.120Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1795515302120);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-24T10:15:02.120Z");
  EXPECT_EQ(FormatRfc3339(*t, false), "2026-11-24T10:15:02Z");
  EXPECT_EQ(ParseRfc3339("2026-11-24T18:15:02.120+08:00"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-24T10:15:02Z"), *t - 120);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59.500Z"), -500);
  EXPECT_EQ(FormatRfc3339(-500), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-02-29T23:59:59.999Z")), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("0099-01-02T03:04:05.006Z"), false), "0099-01-02T03:04:05Z");
  // Beyond four-digit years (never parsed, but a TimeMs can hold them) the text stays whole.
  EXPECT_EQ(FormatRfc3339(400'000'000'000'000 + 7), "14645-06-30T15:06:40.007Z");
}

TEST(Time, RejectsMalformedAndImpossibleDates) {
  for (const char* bad : {"", "2026-11-24", "2026-11-24T10:15:02", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-24T24:00:00Z", "2026-11-24T10:15:02.Z", "2026-11-24T10:15:02Zjunk",
                          "2026-11-24T10:15:02+0800", "abcd-11-24T10:15:02Z"})
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
}

TEST(Time, LocalClockAppliesOffsetAndWeekday) {
  // 2026-11-24 is a Tuesday; 10:15 UTC is 18:15 at +08:00.
  auto c = ToLocalClock(*ParseRfc3339("2026-11-24T10:15:00Z"), 480);
  EXPECT_EQ(c.weekday, 1);
  EXPECT_EQ(c.minute, 18 * 60 + 15);
  // 20:00 UTC Tuesday is 04:00 Wednesday at +08:00.
  c = ToLocalClock(*ParseRfc3339("2026-11-24T20:00:00Z"), 480);
  EXPECT_EQ(c.weekday, 2);
  EXPECT_EQ(c.minute, 240);
}

TEST(Geo, DistanceMatchesKnownValues) {
  // One degree of latitude is about 111.2 km.
  EXPECT_NEAR(DistanceMeters({31, 121}, {32, 121}), 111195, 50);
  EXPECT_NEAR(DistanceMeters({31.2304, 121.4737}, {31.2304, 121.4737}), 0, 1e-9);
  LatLon o{31.2304, 121.4737};
  EXPECT_NEAR(DistanceMeters(o, Offset(o, 90, 250)), 250, 0.5);
}

TEST(Geo, CameraCoverageIsASectorAlongTheHeading) {
  LatLon cam{31.2304, 121.4737};
  // 4 mm lens on a 5.6 mm sensor: about 70 degrees.
  EXPECT_NEAR(FieldOfViewDeg(4, 5.6), 69.98, 0.05);
  auto cov = CameraCoverage(cam, 90, 4, 5.6, 60);  // looking east
  EXPECT_TRUE(boost::geometry::within(ToPoint(Offset(cam, 90, 40)), cov));
  EXPECT_TRUE(boost::geometry::within(ToPoint(Offset(cam, 110, 40)), cov));
  EXPECT_FALSE(boost::geometry::within(ToPoint(Offset(cam, 140, 40)), cov));  // outside the FOV
  EXPECT_FALSE(boost::geometry::within(ToPoint(Offset(cam, 90, 70)), cov));   // beyond range
  EXPECT_FALSE(boost::geometry::within(ToPoint(Offset(cam, 270, 40)), cov));  // behind
  GeoPolygon copy = cov;
  EXPECT_TRUE(NormalizePolygon(copy).ok());
}

TEST(Geo, RejectsInvalidPolygons) {
  GeoPolygon bowtie;
  for (auto [x, y] : {std::pair{0.0, 0.0}, {1.0, 1.0}, {1.0, 0.0}, {0.0, 1.0}, {0.0, 0.0}})
    bowtie.outer().push_back(GeoPoint(x, y));
  Status s = NormalizePolygon(bowtie);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("invalid polygon"), std::string::npos);
  GeoPolygon out_of_range;
  for (auto [x, y] : {std::pair{0.0, 0.0}, {200.0, 0.0}, {0.0, 1.0}, {0.0, 0.0}})
    out_of_range.outer().push_back(GeoPoint(x, y));
  EXPECT_FALSE(NormalizePolygon(out_of_range).ok());
  EXPECT_FALSE(ValidLatLon(91, 0));
  EXPECT_FALSE(ValidLatLon(0, std::nan("")));
}

TEST(Model, NamesRoundTrip) {
  for (auto s : kAllIncidentStates) EXPECT_EQ(ParseState(StateName(s)), s);
  EXPECT_EQ(ParseRole("privacy_officer"), Role::kPrivacyOfficer);
  EXPECT_FALSE(ParseRole("root"));
  EXPECT_EQ(ParseSourceKind("sensor"), SourceKind::kSensor);
  EXPECT_TRUE(IsOpen(IncidentState::kDispatched));
  EXPECT_FALSE(IsOpen(IncidentState::kMerged));
}

TEST(JsonWriter, WritesNestedDocumentsThatParseBack) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id").Int(-42);
  w.Key("text").String("quote \" backslash \\ newline \n tab \t bell \x07 café ✓");
  w.Key("list").BeginArray().Int(1).Double(0.1).Bool(true).Null().BeginObject().EndObject().BeginArray().EndArray();
  w.EndArray();
  w.Key("nan").Double(std::nan(""));
  w.Key("big").Int(INT64_MAX);
  w.EndObject();
  auto j = nlohmann::json::parse(out);  // throws on malformed text
  EXPECT_EQ(j["id"], -42);
  EXPECT_EQ(j["text"], "quote \" backslash \\ newline \n tab \t bell \x07 café ✓");
  EXPECT_EQ(j["list"].dump(), "[1,0.1,true,null,{},[]]");
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_EQ(j["big"].get<std::int64_t>(), INT64_MAX);
  EXPECT_NE(out.find("\\u0007"), std::string::npos);
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

TEST(JsonWriter, DoublesReadBackExactly) {
  for (double v : {31.230412345678, 121.4737, 1e-7, 0.87, 1.0, -0.0, 6.02214076e23}) {
    std::string out;
    JsonWriter(out).BeginArray().Double(v).EndArray();
    EXPECT_EQ(nlohmann::json::parse(out)[0].get<double>(), v) << out;
  }
}

TEST(JsonDepth, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(JsonNestingWithin("[]", 1));
  EXPECT_FALSE(JsonNestingWithin("[[]]", 1));
  EXPECT_TRUE(JsonNestingWithin(R"({"a": [1, {"b": 2}], "c": {}})", 3));
  EXPECT_FALSE(JsonNestingWithin(R"({"a": [1, {"b": 2}], "c": {}})", 2));
  EXPECT_TRUE(JsonNestingWithin(R"(["[[[[", "\"[[[", "\\"])", 1)) << "brackets in strings, escaped quotes";
  EXPECT_TRUE(JsonNestingWithin(std::string(32, '[') + std::string(32, ']')));
  EXPECT_FALSE(JsonNestingWithin(std::string(33, '[') + std::string(33, ']')));
  EXPECT_FALSE(JsonNestingWithin(std::string(1'000'000, '[')));
}

}  // namespace
}  // namespace gb
