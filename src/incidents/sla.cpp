#include "incidents/sla.h"

namespace gb {
namespace {

constexpr TimeMs kMinute = 60'000;

// 0 when `sla` does not apply; otherwise higher for more specific SLAs.
int Specificity(const Sla& sla, std::string_view category, std::string_view department) {
  if (sla.category != "*" && sla.category != category) return 0;
  if (sla.department != "*" && sla.department != department) return 0;
  return 1 + (sla.category != "*" ? 2 : 0) + (sla.department != "*" ? 1 : 0);
}

}  // namespace

const Sla* SlaFor(const std::vector<Sla>& slas, std::string_view category, std::string_view department) {
  const Sla* best = nullptr;
  int best_score = 0;
  for (const Sla& sla : slas) {
    int score = Specificity(sla, category, department);
    if (score > best_score || (score > 0 && score == best_score && sla.id < best->id)) {
      best = &sla;
      best_score = score;
    }
  }
  return best;
}

SlaClock ClockFor(const Sla* sla, TimeMs started_at) {
  SlaClock clock;
  if (!sla) return clock;
  clock.sla_id = sla->id;
  clock.started_at = started_at;
  clock.respond_due_at = started_at + sla->respond_minutes * kMinute;
  clock.resolve_due_at = started_at + sla->resolve_minutes * kMinute;
  return clock;
}

std::string_view BreachName(SlaBreach breach) {
  switch (breach) {
    case SlaBreach::kRespond: return "respond";
    case SlaBreach::kResolve: return "resolve";
    case SlaBreach::kNone: return "";
  }
  return "";
}

SlaBreach BreachAt(const Incident& incident, TimeMs now) {
  const SlaClock& clock = incident.sla;
  if (clock.sla_id.empty() || clock.overdue_at != 0 || !IsOpen(incident.state)) return SlaBreach::kNone;
  const bool unassigned = incident.state == IncidentState::kNew || incident.state == IncidentState::kRouted;
  if (unassigned && clock.respond_due_at != 0 && now >= clock.respond_due_at) return SlaBreach::kRespond;
  if (clock.resolve_due_at != 0 && now >= clock.resolve_due_at) return SlaBreach::kResolve;
  return SlaBreach::kNone;
}

}  // namespace gb
