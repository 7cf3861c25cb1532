#include "incidents/state_machine.h"

#include <string>

namespace gb {

bool CanTransition(IncidentState from, IncidentState to) {
  using S = IncidentState;
  if (!IsOpen(from)) return false;
  if (to == S::kRejected || to == S::kMerged) return true;
  switch (from) {
    case S::kNew: return to == S::kRouted;
    case S::kRouted: return to == S::kDispatched;
    case S::kDispatched: return to == S::kInProgress || to == S::kRouted;
    case S::kInProgress: return to == S::kResolved || to == S::kDispatched;
    default: return false;
  }
}

bool RoleMayMoveTo(Role role, IncidentState to) {
  switch (role) {
    case Role::kAdmin:
    case Role::kDispatcher: return true;
    case Role::kCrew: return to == IncidentState::kInProgress || to == IncidentState::kResolved;
    default: return false;
  }
}

std::vector<IncidentState> NextStates(IncidentState from, Role role) {
  std::vector<IncidentState> out;
  ForEachNextState(from, role, [&](IncidentState to) { out.push_back(to); });
  return out;
}

Status CheckTransition(IncidentState from, IncidentState to) {
  if (CanTransition(from, to)) return Status::Ok();
  std::string allowed;
  for (auto s : kAllIncidentStates)
    if (CanTransition(from, s)) allowed += (allowed.empty() ? "" : ", ") + std::string(StateName(s));
  return Status::Conflict("an incident cannot go from " + std::string(StateName(from)) + " to " +
                          std::string(StateName(to)) +
                          (allowed.empty() ? "; " + std::string(StateName(from)) + " is final"
                                           : "; allowed next: " + allowed));
}

}  // namespace gb
