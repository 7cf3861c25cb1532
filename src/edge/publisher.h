// Publisher: the delivery thread. Takes the oldest spooled events in batches (at most 1,000
// and about 4 MiB of JSON), hands them to the sink, and settles each: accepted events leave
// the spool (delivered_total); rejected ones are logged with the receiver's error, counted
// (rejected_total) and dropped. When the sink is unavailable the batch stays and the next
// try waits 1 s, doubling up to max_backoff, each wait jittered to between half and all of
// it so that agents do not return to a recovered hub in step.
#pragma once

#include <chrono>

#include "edge/metrics.h"
#include "edge/sink.h"
#include "edge/spool.h"
#include "edge/stop_signal.h"

namespace gb::edge {

struct PublisherOptions {
  std::chrono::milliseconds max_backoff{30'000};
  std::size_t max_batch_events = 1000;
  std::size_t max_batch_json_bytes = 4u << 20;
};

// Runs until `stop` is set. Spool, sink, metrics and stop must outlive the call.
void RunPublisher(Spool& spool, EventSink& sink, EdgeMetrics& metrics, StopSignal& stop,
                  const PublisherOptions& options);

}  // namespace gb::edge
