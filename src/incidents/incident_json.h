// How an incident looks on the wire: the staff view (REST, live stream) and the public view
// (public map: no evidence, no assignee, no notes).
#pragma once

#include <nlohmann/json.hpp>

#include "core/model.h"

namespace gb {

nlohmann::json IncidentToJson(const Incident& incident);
nlohmann::json PublicIncidentJson(const Incident& incident);
nlohmann::json EventToJson(const Event& event);

}  // namespace gb
