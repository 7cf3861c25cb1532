// Correlation must also keep apart what is apart: an observation just past
// join_distance_m, or just past join_window_minutes since the incident was last seen, or of
// another category, opens an incident of its own; one just inside joins.
#include <gtest/gtest.h>

#include "district/district.h"
#include "incidents/catalog.h"
#include "incidents/service.h"
#include "test_store.h"

namespace gb {
namespace {

constexpr TimeMs kNow = 1'795'000'000'000;
constexpr TimeMs kMinute = 60'000;
constexpr double kMetresPerDegreeLat = 111'195;  // on the sphere the district's geometry uses

class CorrelationTest : public ::testing::Test {
 protected:
  CorrelationTest() {
    auto district = LoadDistrictDir(std::string(GLASSBRAIN_SOURCE_DIR) + "/data/demo");
    if (!district.ok()) throw std::runtime_error(district.status().message());
    auto catalog = Catalog::Build(std::move(*district));
    if (!catalog.ok()) throw std::runtime_error(catalog.status().message());
    holder_ = std::make_unique<CatalogHolder>(*catalog);
    service_ = std::make_unique<IncidentService>(store_.store(), *holder_, &env_);
  }

  // The incident an observation of `category` at `north_m` metres north of `origin` went to.
  Id Observe(const std::string& key, const std::string& category, LatLon origin, double north_m) {
    Event e;
    e.idempotency_key = key;
    e.source_id = "cam-01";
    e.category = category;
    e.observed_at = env_.NowMs();
    e.location = {origin.lat + north_m / kMetresPerDegreeLat, origin.lon};
    e.confidence = 0.9;
    auto out = service_->Ingest({e}, Actor{"edge-1", Role::kEdge, false});
    EXPECT_TRUE(out.ok() && (*out)[0].kind == IngestOutcome::Kind::kStored) << key;
    return out.ok() ? (*out)[0].incident_id : 0;
  }

  test::TempStore store_;
  FakeClockEnv env_{kNow};
  std::unique_ptr<CatalogHolder> holder_;
  std::unique_ptr<IncidentService> service_;
};

TEST_F(CorrelationTest, JustInsideTheDistanceJoinsAndJustPastItOpensANewIncident) {
  const LatLon a{31.2304, 121.4737};
  Id first = Observe("d/1", "illegal_parking", a, 0);
  EXPECT_EQ(Observe("d/2", "illegal_parking", a, 48), first);
  const LatLon b{31.2404, 121.4737};  // a place of its own, a kilometre away
  Id other = Observe("d/3", "illegal_parking", b, 0);
  EXPECT_NE(other, first);
  EXPECT_NE(Observe("d/4", "illegal_parking", b, 52), other) << "52 m is past join_distance_m (50)";
}

TEST_F(CorrelationTest, JustInsideTheWindowJoinsAndJustPastItOpensANewIncident) {
  const LatLon a{31.2304, 121.4737};
  Id first = Observe("w/1", "dumped_rubbish", a, 0);
  env_.Advance(29 * kMinute);
  EXPECT_EQ(Observe("w/2", "dumped_rubbish", a, 0), first) << "seen 29 minutes ago";
  env_.Advance(30 * kMinute + 1);
  EXPECT_NE(Observe("w/3", "dumped_rubbish", a, 0), first) << "last seen just over 30 minutes ago";
}

TEST_F(CorrelationTest, AnotherCategoryAtTheSamePlaceIsAnotherIncident) {
  const LatLon a{31.2304, 121.4737};
  Id parking = Observe("c/1", "illegal_parking", a, 0);
  EXPECT_NE(Observe("c/2", "graffiti", a, 0), parking);
}

}  // namespace
}  // namespace gb
