#include "incidents/views.h"

#include <algorithm>
#include <string>

namespace gb {

std::vector<EvidenceView> SelectViews(std::vector<EvidenceView> candidates) {
  auto more_confident = [](const EvidenceView& a, const EvidenceView& b) { return a.confidence > b.confidence; };
  std::stable_sort(candidates.begin(), candidates.end(), more_confident);
  // At most kMaxViews are chosen, so looking through them beats any set (this runs for
  // every ingested event that carries evidence).
  std::vector<EvidenceView> chosen;
  chosen.reserve(kMaxViews);
  auto chosen_has = [&](auto member, const std::string& value) {
    return std::any_of(chosen.begin(), chosen.end(), [&](const EvidenceView& c) { return c.*member == value; });
  };
  for (const auto& v : candidates) {  // pass 1: one per distinct source
    if (chosen.size() == kMaxViews) break;
    if (chosen_has(&EvidenceView::source_id, v.source_id) || chosen_has(&EvidenceView::evidence, v.evidence)) continue;
    chosen.push_back(v);
  }
  for (const auto& v : candidates) {  // pass 2: fill with the next most confident
    if (chosen.size() == kMaxViews) break;
    if (chosen_has(&EvidenceView::evidence, v.evidence)) continue;
    chosen.push_back(v);
  }
  std::stable_sort(chosen.begin(), chosen.end(), more_confident);
  return chosen;
}

}  // namespace gb
