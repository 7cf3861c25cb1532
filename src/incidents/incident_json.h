// How an incident looks on the wire: the staff view (REST, live stream) and the public view
// (public map: no evidence, no assignee, no notes).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/model.h"

namespace gb {

// The staff view as JSON text, written directly: every change of every incident is stored
// in this form for the live stream.
std::string IncidentJsonText(const Incident& incident);
// The same document as a tree, for answers that embed it.
nlohmann::json IncidentToJson(const Incident& incident);
nlohmann::json PublicIncidentJson(const Incident& incident);
nlohmann::json EventToJson(const Event& event);

}  // namespace gb
