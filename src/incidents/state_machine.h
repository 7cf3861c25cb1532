// The incident life cycle (DESIGN.md §2):
//   new → routed → dispatched → in_progress → resolved
//   any open state → rejected (false alarm) | merged (into another incident)
//   dispatched → routed (unassigned again), in_progress → dispatched (handed back)
// Resolved, rejected and merged are final.
#pragma once

#include "core/model.h"
#include "core/status.h"

namespace gb {

bool CanTransition(IncidentState from, IncidentState to);
// OK, or Conflict naming the states and what is allowed from `from`.
Status CheckTransition(IncidentState from, IncidentState to);

}  // namespace gb
