#include "incidents/views.h"

#include <algorithm>
#include <set>
#include <string>

namespace gb {

std::vector<EvidenceView> SelectViews(std::vector<EvidenceView> candidates) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const EvidenceView& a, const EvidenceView& b) { return a.confidence > b.confidence; });
  std::vector<EvidenceView> chosen;
  std::set<std::string> sources, hashes;
  for (const auto& v : candidates) {  // pass 1: one per distinct source
    if (chosen.size() == kMaxViews) break;
    if (sources.count(v.source_id) || hashes.count(v.evidence)) continue;
    sources.insert(v.source_id);
    hashes.insert(v.evidence);
    chosen.push_back(v);
  }
  for (const auto& v : candidates) {  // pass 2: fill with the next most confident
    if (chosen.size() == kMaxViews) break;
    if (hashes.count(v.evidence)) continue;
    hashes.insert(v.evidence);
    chosen.push_back(v);
  }
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const EvidenceView& a, const EvidenceView& b) { return a.confidence > b.confidence; });
  return chosen;
}

}  // namespace gb
