// How an incident looks on the wire: the staff view (REST, live stream) and the public view
// (public map: no evidence, no assignee, no notes).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/model.h"

namespace gb {

// The staff view as JSON text, written directly: every change of every incident is stored
// in this form for the live stream. Besides the incident's own fields it has
//   "latest_report": {"service_request_id", "description", "requested_at", "has_photo"} | null
//   "next_states":   the states `viewer` may move it to (state_machine.h's NextStates)
//   "sla":           {"id", "respond_due_at", "resolve_due_at", "overdue", "escalated_from"} | null
//   "en_route_at":   when the crew set off | null
// The stream is read by the desk, so its records carry the dispatcher's next_states.
std::string IncidentJsonText(const Incident& incident, Role viewer = Role::kDispatcher);
// The same document as a tree, for answers that embed it.
nlohmann::json IncidentToJson(const Incident& incident, Role viewer = Role::kDispatcher);
nlohmann::json PublicIncidentJson(const Incident& incident);
nlohmann::json EventToJson(const Event& event);

}  // namespace gb
