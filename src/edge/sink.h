// EventSink: how spooled events reach a receiver. The HTTP sink (http_sink.h) posts to the
// hub; a broker sink (MQTT, QoS 1) would implement the same interface, and the Publisher
// (publisher.h) drives either one from the spool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "edge/event.h"

namespace gb::edge {

struct Delivery {
  bool accepted = false;  // stored or already there: the event leaves the spool
  std::string error;      // when !accepted: the receiver's reason; the event is dropped
};

struct SendReport {
  std::vector<Delivery> results;     // one per event, in order
  std::int64_t evidence_refused = 0;  // evidence images the receiver refused (dropped from their events)
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Sends `events` (oldest first, at most 1,000). Unavailable when the receiver cannot be
  // reached or failed (connection errors, timeouts, 5xx, authentication): nothing is
  // settled and the caller retries later. Otherwise one Delivery per event.
  // Called from one thread at a time.
  virtual Result<SendReport> Send(const std::vector<const EdgeEvent*>& events) = 0;
};

}  // namespace gb::edge
