// SLA deadlines of incidents (DESIGN.md §2, "SLA"): which SLA applies to an incident, where
// its clock's deadlines fall, and whether it has missed one.
//
// An SLA applies to an incident when its category is the incident's or "*" and its
// department is the incident's or "*". The most specific one wins: an exact category beats
// "*", then an exact department beats "*"; the lowest id decides the rest.
//
// "Respond" means dispatched to a crew: an incident still new or routed at respond_due_at
// has missed it (one handed back to routed can miss it again). "Resolve" means closed: an
// incident still open at resolve_due_at has missed it. Overdue is flagged once per clock.
//
// Thread-safety: pure functions over values.
#pragma once

#include <string_view>
#include <vector>

#include "core/model.h"

namespace gb {

const Sla* SlaFor(const std::vector<Sla>& slas, std::string_view category, std::string_view department);

// A clock started at `started_at` under `sla`: its deadlines, not overdue, never escalated.
// An empty clock when `sla` is null.
SlaClock ClockFor(const Sla* sla, TimeMs started_at);

enum class SlaBreach { kNone, kRespond, kResolve };
std::string_view BreachName(SlaBreach breach);  // "respond", "resolve", "" for kNone

// The deadline `incident` has missed at `now` and not been flagged for yet: kNone when it
// has no clock, is already overdue, or is on time. Respond is reported before resolve.
SlaBreach BreachAt(const Incident& incident, TimeMs now);

}  // namespace gb
