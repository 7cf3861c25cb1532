// HttpSink: delivery to the hub over its HTTP API (DESIGN.md §3). Evidence first: each
// image is PUT to /api/v1/evidence/sha256:<hex> (201 new, 200 already there); an image the
// hub refuses (4xx) is dropped from its event and counted. Then one POST of the batch to
// /api/v1/events:batch; "stored" and "duplicate" are accepted, "rejected" carries the hub's
// error. 5xx, 401/403/408/429, timeouts and connection errors are Unavailable (retried).
#pragma once

#include <set>
#include <string>

#include "edge/hub_client.h"
#include "edge/sink.h"

namespace gb::edge {

class HttpSink : public EventSink {
 public:
  explicit HttpSink(const HubClient& hub) : hub_(hub) {}
  Result<SendReport> Send(const std::vector<const EdgeEvent*>& events) override;

 private:
  // OK with true when the hub holds the image now, OK with false when it refused it.
  Result<bool> PutEvidence(const Evidence& evidence);

  const HubClient& hub_;
  std::set<std::string> uploaded_;  // refs the hub acknowledged in this process
};

}  // namespace gb::edge
