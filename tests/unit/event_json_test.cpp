// The event wire format (DESIGN.md §3): what ParseEventBatch accepts, and the message each
// malformed item gets while the rest of its batch still parses.

#include "ingest/event_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gb {
namespace {

const std::string kGood =
    R"({"idempotency_key": "cam-12/2026-11-24T10:15:02.120Z/stationary_vehicle/7",)"
    R"( "source": {"kind": "camera", "id": "cam-12"},)"
    R"( "category": "illegal_parking", "rule": "stationary_vehicle",)"
    R"( "observed_at": "2026-11-24T10:15:02.120Z",)"
    R"( "location": {"lat": 31.2304, "lon": 121.4737}, "confidence": 0.87,)"
    R"( "attributes": {"dwell_s": 312, "zone": "b", "seen": [1, 2.5, true, null]},)"
    R"( "evidence": ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]})";

TEST(EventJson, ParsesTheDocumentedExample) {
  auto batch = ParseEventBatch("[" + kGood + "]", 1000);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->events.size(), 1u);
  ASSERT_TRUE(batch->parse_errors[0].ok()) << batch->parse_errors[0].message();
  const Event& e = batch->events[0];
  EXPECT_EQ(e.idempotency_key, "cam-12/2026-11-24T10:15:02.120Z/stationary_vehicle/7");
  EXPECT_EQ(e.source_kind, SourceKind::kCamera);
  EXPECT_EQ(e.source_id, "cam-12");
  EXPECT_EQ(e.category, "illegal_parking");
  EXPECT_EQ(e.rule, "stationary_vehicle");
  EXPECT_EQ(e.observed_at, *ParseRfc3339("2026-11-24T10:15:02.120Z"));
  EXPECT_DOUBLE_EQ(e.location.lat, 31.2304);
  EXPECT_DOUBLE_EQ(e.location.lon, 121.4737);
  EXPECT_DOUBLE_EQ(e.confidence, 0.87);
  EXPECT_EQ(e.attributes_json, R"({"dwell_s":312,"zone":"b","seen":[1,2.5,true,null]})") << "minified, in the order sent";
  ASSERT_EQ(e.evidence.size(), 1u);
  EXPECT_EQ(e.evidence[0], "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST(EventJson, OptionalFieldsHaveDefaultsAndIntegersAreNumbers) {
  auto batch = ParseEventBatch(
      R"([{"idempotency_key": "k", "source": {"kind": "sensor", "id": "s-1"}, "category": "flooding",)"
      R"( "observed_at": "2026-11-24T10:15:02Z", "location": {"lat": 31, "lon": -1}}])",
      1000);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(batch->parse_errors[0].ok()) << batch->parse_errors[0].message();
  const Event& e = batch->events[0];
  EXPECT_EQ(e.source_kind, SourceKind::kSensor);
  EXPECT_EQ(e.rule, "");
  EXPECT_DOUBLE_EQ(e.location.lat, 31);
  EXPECT_DOUBLE_EQ(e.location.lon, -1);
  EXPECT_DOUBLE_EQ(e.confidence, 1);
  EXPECT_EQ(e.attributes_json, "{}");
  EXPECT_TRUE(e.evidence.empty());
}

// Replaces (or, with an empty value, removes) one top-level field of the good example.
std::string With(const std::string& field, const std::string& value) {
  std::string item = kGood;
  const std::string key = "\"" + field + "\": ";
  size_t at = item.find(key);
  EXPECT_NE(at, std::string::npos) << field;
  size_t start = at + key.size(), depth = 0, end = start;
  for (; end < item.size(); ++end) {
    char c = item[end];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ',' && depth == 0) break;
  }
  if (!value.empty()) return item.substr(0, start) + value + item.substr(end);
  if (item[end] == ',') ++end;  // drop the field and its comma
  return item.substr(0, at) + "\"unused\": 0" + (item[end - 1] == ',' ? "," : "") + item.substr(end);
}

TEST(EventJson, EachMalformedItemGetsItsOwnMessageAndTheOthersParse) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"42", "each event must be a JSON object"},
      {With("idempotency_key", ""), "idempotency_key is required"},
      {With("idempotency_key", "7"), "idempotency_key must be a string"},
      {With("source", "\"cam-12\""), "source must be an object"},
      {With("source", R"({"id": "cam-12"})"), "source.kind is required"},
      {With("source", R"({"kind": "drone", "id": "d-1"})"), "source.kind must be camera, sensor, patrol or report"},
      {With("source", R"({"kind": "camera", "id": null})"), "source.id must be a string"},
      {With("category", ""), "category is required"},
      {With("rule", "[]"), "rule must be a string"},
      {With("observed_at", "\"yesterday\""), "observed_at must be an RFC 3339 time"},
      {With("observed_at", "1732443302"), "observed_at must be a string"},
      {With("location", "[31.2, 121.4]"), "location must be an object"},
      {With("location", R"({"lat": "31.2", "lon": 121.4})"), "location.lat and location.lon must be numbers"},
      {With("location", R"({"lat": 31.2})"), "location.lat and location.lon must be numbers"},
      {With("location", R"({"lat": 91, "lon": 121.4})"), "lat in [-90, 90]"},
      {With("confidence", "\"high\""), "confidence must be a number"},
      {With("attributes", "[1]"), "attributes must be an object"},
      {With("attributes", "{\"note\": \"" + std::string(5000, 'x') + "\"}"), "attributes are larger than 4 KiB"},
      {With("evidence", "\"sha256:00\""), "evidence must be an array of at most 8 references"},
      {With("evidence", "[1,2,3,4,5,6,7,8,9]"), "evidence must be an array of at most 8 references"},
      {With("evidence", "[1]"), "evidence entries must be strings"},
  };
  std::string body = "[" + kGood;
  for (const auto& [item, message] : cases) body += "," + item;
  body += "," + kGood + "]";
  auto batch = ParseEventBatch(body, 1000);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->events.size(), cases.size() + 2);
  EXPECT_TRUE(batch->parse_errors.front().ok());
  EXPECT_TRUE(batch->parse_errors.back().ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Status& s = batch->parse_errors[i + 1];
    EXPECT_EQ(s.code(), Code::kInvalid) << cases[i].first;
    EXPECT_NE(s.message().find(cases[i].second), std::string::npos)
        << "item " << cases[i].first.substr(0, 120) << " said: " << s.message();
  }
}

// Bodies over 1 MiB are parsed by a parser of their own (see ParseEventBatch); both paths
// give the same events, one after the other on one thread.
TEST(EventJson, LargeAndSmallBodiesParseAlike) {
  const std::string padded = With("attributes", "{\"note\": \"" + std::string(2000, 'x') + "\"}");
  std::string large = "[";
  for (int i = 0; i < 600; ++i) large += (i ? "," : "") + padded;
  large += "]";
  ASSERT_GT(large.size(), 1u << 20);
  for (const std::string& body : {large, "[" + padded + "]", large}) {
    auto batch = ParseEventBatch(body, 1000);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    ASSERT_FALSE(batch->events.empty());
    for (size_t i = 0; i < batch->events.size(); ++i) {
      ASSERT_TRUE(batch->parse_errors[i].ok()) << batch->parse_errors[i].message();
      EXPECT_EQ(batch->events[i].attributes_json.size(), 2000u + 11);
      EXPECT_EQ(batch->events[i].source_id, "cam-12");
    }
  }
}

TEST(EventJson, TheBodyMustBeAnArrayOfAtMostMaxItemsAndValidJson) {
  auto not_json = ParseEventBatch("[" + kGood, 1000);
  EXPECT_EQ(not_json.status().code(), Code::kInvalid);
  EXPECT_NE(not_json.status().message().find("not valid JSON"), std::string::npos);
  auto bad_utf8 = ParseEventBatch("[\"\xff\"]", 1000);
  EXPECT_EQ(bad_utf8.status().code(), Code::kInvalid);
  auto object = ParseEventBatch("{\"events\": []}", 1000);
  EXPECT_EQ(object.status().code(), Code::kInvalid);
  EXPECT_NE(object.status().message().find("must be a JSON array"), std::string::npos);
  auto three = ParseEventBatch("[" + kGood + "," + kGood + "," + kGood + "]", 2);
  EXPECT_EQ(three.status().code(), Code::kTooLarge);
  EXPECT_NE(three.status().message().find("at most 2 events; this one has 3"), std::string::npos);
  auto deep = ParseEventBatch(std::string(100, '[') + std::string(100, ']'), 1000);
  EXPECT_EQ(deep.status().code(), Code::kInvalid);
  auto empty = ParseEventBatch("[]", 1000);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->events.empty());
}

}  // namespace
}  // namespace gb
