// The incident life cycle (DESIGN.md §2):
//   new → routed → dispatched → in_progress → resolved
//   any open state → rejected (false alarm) | merged (into another incident)
//   dispatched → routed (unassigned again), in_progress → dispatched (handed back)
// Resolved, rejected and merged are final for every transition request. The one way back
// is a resident's answer that a resolved incident is not fixed: it reopens (resolved →
// routed) through IncidentService::Feedback alone.
#pragma once

#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace gb {

bool CanTransition(IncidentState from, IncidentState to);
// Who may move incidents where: the desk (admin, dispatcher) anywhere the life cycle allows;
// crew members only to in_progress and resolved (and only their own tasks, which the caller
// checks); nobody else.
bool RoleMayMoveTo(Role role, IncidentState to);
// The states `role` may move an incident in `from` to, in the order of kAllIncidentStates
// (merged means through the merge endpoint).
std::vector<IncidentState> NextStates(IncidentState from, Role role);
// Calls fn(state) for each state NextStates lists, in order, without making the list (for
// the incident document, written on every ingested batch).
template <typename Fn>
void ForEachNextState(IncidentState from, Role role, Fn&& fn) {
  for (IncidentState to : kAllIncidentStates)
    if (CanTransition(from, to) && RoleMayMoveTo(role, to)) fn(to);
}
// OK, or Conflict naming the states and what is allowed from `from`.
Status CheckTransition(IncidentState from, IncidentState to);

}  // namespace gb
