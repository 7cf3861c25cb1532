// SelectViews: at most three evidence views, one per camera first (most confident first),
// then the next most confident to fill free places; an image never twice.
#include <gtest/gtest.h>

#include "incidents/views.h"

namespace gb {
namespace {

std::vector<std::string> Hashes(const std::vector<EvidenceView>& views) {
  std::vector<std::string> out;
  for (const auto& v : views) out.push_back(v.evidence);
  return out;
}

TEST(SelectViews, OneViewPerCameraFirstThenTheMostConfident) {
  std::vector<EvidenceView> candidates = {{"a1", "cam-a", 0.95}, {"a2", "cam-a", 0.94}, {"a3", "cam-a", 0.93},
                                          {"b1", "cam-b", 0.40}, {"c1", "cam-c", 0.60}, {"d1", "cam-d", 0.30}};
  EXPECT_EQ(Hashes(SelectViews(candidates)), (std::vector<std::string>{"a1", "c1", "b1"}))
      << "three cameras beat the three best views of one";
  EXPECT_EQ(Hashes(SelectViews({{"a1", "cam-a", 0.9}, {"a2", "cam-a", 0.8}, {"b1", "cam-b", 0.5}, {"a3", "cam-a", 0.7}})),
            (std::vector<std::string>{"a1", "a2", "b1"}))
      << "free places go to the next most confident, whatever their camera";
}

TEST(SelectViews, AnImageIsChosenOnceAndFewCandidatesAreKeptAsTheyAre) {
  EXPECT_EQ(Hashes(SelectViews({{"x", "cam-a", 0.9}, {"x", "cam-b", 0.8}, {"y", "cam-b", 0.7}})),
            (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(SelectViews({}).empty());
  EXPECT_EQ(Hashes(SelectViews({{"only", "cam-a", 0.1}})), std::vector<std::string>{"only"});
  EXPECT_EQ(SelectViews({{"a", "c1", 1}, {"b", "c2", 1}, {"c", "c3", 1}, {"d", "c4", 1}}).size(), kMaxViews);
}

}  // namespace
}  // namespace gb
