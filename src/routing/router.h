// The router: which department acts on an event of a category, at a place, at a time, and why.
//
// A Router is built once from the areas, routing rules and departments (validated as a whole)
// and is immutable afterwards. Every const member is safe to call from any number of threads
// at once. Copies are cheap and share the same immutable state; pointers returned by FindArea,
// AreasAt, FindDepartment, … stay valid while any copy of the Router that returned them lives.
//
// Matching (DESIGN.md §2, "routing rule"): a rule matches an event when
//   - its category equals the event's category or is "*",
//   - its area is "*", or the id of an area containing the point, or "kind:<K>" with some
//     area of kind K containing the point (points on a boundary count as inside),
//   - its schedule contains the local time of the event (fixed UTC offset given at build).
// The winner has the highest priority; ties go to the more specific rule: an exact category
// beats "*"; an area id beats "kind:", which beats "*"; a smaller matched area beats a larger
// one; the lowest rule id (byte order) decides the rest, so decisions are deterministic.
// When nothing matches, the decision goes to the fallback department, flagged `unrouted`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo.h"
#include "core/model.h"
#include "core/status.h"
#include "core/time.h"
#include "routing/schedule.h"

namespace gb {

struct RoutingDecision {
  std::string department_id;
  std::string rule_id;   // "" when unrouted
  std::string area_id;   // the area the winning rule matched, else the most specific area; "" if none
  int priority = 0;      // the winning rule's priority; 0 when unrouted
  bool unrouted = false; // no rule matched: sent to the fallback department
  std::string explanation;  // one sentence, for staff and the audit trail
};

class Router {
 public:
  // Validates and indexes. Returns Invalid naming the offending item when:
  //   - an area id is empty or repeated, or an area polygon is invalid (rings are closed and
  //     oriented as a side effect: the stored polygons are normalised);
  //   - a department id is empty or repeated, or `fallback_department` is not a department;
  //   - a rule id is empty or repeated, its category is empty, its department is unknown, its
  //     area is not "*", an area id, or "kind:<K>" for a kind that some area has, or its
  //     days/hours do not parse.
  // REQUIRES: -1440 < utc_offset_minutes < 1440 (checked).
  static Result<Router> Build(std::vector<Area> areas, std::vector<RoutingRule> rules,
                              std::vector<Department> departments, std::string fallback_department,
                              int utc_offset_minutes);

  // Every area containing p, most specific (smallest) first; ties by id.
  std::vector<const Area*> AreasAt(LatLon p) const;
  // The smallest area containing p, or nullptr.
  const Area* MostSpecificAreaAt(LatLon p) const;

  // The routing decision for an event. Never fails: without a matching rule the fallback
  // department gets it. Allocates little: the strings of the returned decision (and a small
  // buffer only when more than 16 areas contain the point).
  RoutingDecision Decide(std::string_view category, LatLon p, TimeMs at) const;

  const Department* FindDepartment(std::string_view id) const;
  const Area* FindArea(std::string_view id) const;
  // The parsed schedule of a rule, or nullptr for an unknown rule id.
  const Schedule* FindSchedule(std::string_view rule_id) const;

  const std::vector<Area>& areas() const;
  const std::vector<RoutingRule>& rules() const;
  const std::vector<Department>& departments() const;
  const std::string& fallback_department() const;
  int utc_offset_minutes() const;

 private:
  struct Impl;
  explicit Router(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // never null
};

}  // namespace gb
