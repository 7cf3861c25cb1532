// SensorMonitor: a reading at or over the threshold raises one event; the sensor then stays
// quiet until a reading at or under `clear` (hysteresis), whatever it reads between.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ingest/sensor_monitor.h"

namespace gb {
namespace {

constexpr TimeMs kT0 = 1'795'000'000'000;

Sensor Bin(std::string id) {
  Sensor s;
  s.id = std::move(id);
  s.kind = "bin_fill";
  s.category = "overflowing_bin";
  s.position = {31.2304, 121.4737};
  s.unit = "%";
  s.threshold = 90;
  s.clear = 40;
  return s;
}

TEST(SensorMonitor, RaisesOnceAtTheThresholdAndAgainOnlyAfterClearing) {
  SensorMonitor monitor;
  const Sensor bin = Bin("bin-7");
  auto feed = [&](double value, TimeMs at) {
    auto r = monitor.Feed(bin, value, at);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_FALSE(feed(89.9, kT0));
  auto raised = feed(90, kT0 + 1000);
  ASSERT_TRUE(raised);
  EXPECT_EQ(raised->category, "overflowing_bin");
  EXPECT_EQ(raised->source_kind, SourceKind::kSensor);
  EXPECT_EQ(raised->source_id, "bin-7");
  EXPECT_EQ(raised->observed_at, kT0 + 1000);
  EXPECT_EQ(raised->location.lat, bin.position.lat);
  EXPECT_NE(raised->attributes_json.find("\"value\":90"), std::string::npos) << raised->attributes_json;
  EXPECT_FALSE(raised->idempotency_key.empty());
  for (double v : {99.0, 95.0, 60.0, 40.1, 91.0}) EXPECT_FALSE(feed(v, kT0 + 2000)) << v << ": still raised";
  EXPECT_FALSE(feed(40, kT0 + 3000)) << "clearing raises nothing";
  EXPECT_FALSE(feed(89, kT0 + 4000));
  auto again = feed(93, kT0 + 5000);
  ASSERT_TRUE(again);
  EXPECT_NE(again->idempotency_key, raised->idempotency_key) << "a new crossing is a new observation";
}

TEST(SensorMonitor, SensorsAreIndependentAndNonFiniteValuesAreRefused) {
  SensorMonitor monitor;
  ASSERT_TRUE(*monitor.Feed(Bin("a"), 95, kT0));
  EXPECT_TRUE(*monitor.Feed(Bin("b"), 95, kT0)) << "another sensor's alarm does not silence this one";
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto r = monitor.Feed(Bin("c"), bad, kT0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalid);
  }
  EXPECT_TRUE(*monitor.Feed(Bin("c"), 95, kT0)) << "a refused reading changed nothing";
}

}  // namespace
}  // namespace gb
