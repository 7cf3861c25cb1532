// What the hub's MQTT topics carry, and how it stores them (DESIGN §3):
//   glassbrain/<site>/events   one event in the wire format, or an array of at most
//                              max_items (the same limit as POST /api/v1/events:batch)
// Hubs subscribe through the shared subscription $share/glassbrain/…, so that the broker
// splits the messages among them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "incidents/service.h"
#include "ingest/mqtt/subscriber.h"

namespace gb {

// The topic filters a hub subscribes to.
std::vector<std::string> MqttIngestTopics();

struct MqttIngestCounts {
  std::int64_t stored = 0, duplicate = 0, rejected = 0;
};

// Stores the events of `messages` in one commit. A message that is not JSON, has the wrong
// shape, too many items, or a topic of no known kind counts as rejected: logged with its topic
// and the reason (never the payload) and done with, since sending it again cannot help. Not OK
// only when the store failed: then nothing was stored, and the messages must come again.
Result<MqttIngestCounts> IngestMqttMessages(IncidentService& incidents, const std::vector<MqttMessage>& messages,
                                            std::size_t max_items);

}  // namespace gb
