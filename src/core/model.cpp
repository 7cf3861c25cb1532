#include "core/model.h"

namespace gb {
namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [e, name] : table)
    if (name == s) return e;
  return std::nullopt;
}
template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, name] : table)
    if (v == e) return name;
  return "unknown";
}

constexpr std::array<std::pair<Role, std::string_view>, 7> kRoles{{{Role::kAdmin, "admin"},
                                                                    {Role::kDispatcher, "dispatcher"},
                                                                    {Role::kCrew, "crew"},
                                                                    {Role::kPrivacyOfficer, "privacy_officer"},
                                                                    {Role::kAuditor, "auditor"},
                                                                    {Role::kEdge, "edge"},
                                                                    {Role::kIntegration, "integration"}}};
constexpr std::array<std::pair<IncidentState, std::string_view>, 7> kStates{{{IncidentState::kNew, "new"},
                                                                              {IncidentState::kRouted, "routed"},
                                                                              {IncidentState::kDispatched, "dispatched"},
                                                                              {IncidentState::kInProgress, "in_progress"},
                                                                              {IncidentState::kResolved, "resolved"},
                                                                              {IncidentState::kRejected, "rejected"},
                                                                              {IncidentState::kMerged, "merged"}}};
constexpr std::array<std::pair<SourceKind, std::string_view>, 4> kSources{{{SourceKind::kCamera, "camera"},
                                                                            {SourceKind::kSensor, "sensor"},
                                                                            {SourceKind::kPatrol, "patrol"},
                                                                            {SourceKind::kReport, "report"}}};
}  // namespace

std::string_view RoleName(Role r) { return NameOf(kRoles, r); }
std::optional<Role> ParseRole(std::string_view s) { return Lookup(kRoles, s); }
bool IsHumanRole(Role r) { return r != Role::kEdge && r != Role::kIntegration; }

std::string_view StateName(IncidentState s) { return NameOf(kStates, s); }
std::optional<IncidentState> ParseState(std::string_view s) { return Lookup(kStates, s); }
bool IsOpen(IncidentState s) {
  return s != IncidentState::kResolved && s != IncidentState::kRejected && s != IncidentState::kMerged;
}

std::string_view SourceKindName(SourceKind k) { return NameOf(kSources, k); }
std::optional<SourceKind> ParseSourceKind(std::string_view s) { return Lookup(kSources, s); }

bool IsEvidenceRef(std::string_view ref) {
  return ref.size() == 71 && ref.starts_with("sha256:") &&
         ref.find_first_not_of("0123456789abcdef", 7) == std::string_view::npos;
}

}  // namespace gb
