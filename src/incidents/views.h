// Evidence views of an incident: at most three images, chosen so that a dispatcher sees
// the situation from as many different cameras as possible, the most confident first.
#pragma once

#include <vector>

#include "core/model.h"

namespace gb {

inline constexpr size_t kMaxViews = 3;

// Picks up to kMaxViews from `candidates`: the most confident view of each distinct source
// first (in order of confidence), then the next most confident views to fill free slots.
// A hash appears at most once.
std::vector<EvidenceView> SelectViews(std::vector<EvidenceView> candidates);

}  // namespace gb
