#include "edge/publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace gb::edge {

void RunPublisher(Spool& spool, EventSink& sink, EdgeMetrics& metrics, StopSignal& stop,
                  const PublisherOptions& options) {
  std::mt19937_64 random(std::random_device{}());
  const std::chrono::milliseconds first{1000};
  std::chrono::milliseconds backoff = first;
  while (!stop.stopped()) {
    if (!spool.WaitForEvents(std::chrono::milliseconds(200))) continue;
    auto batch = spool.Oldest(options.max_batch_events, options.max_batch_json_bytes);
    if (batch.empty()) continue;
    std::vector<const EdgeEvent*> events;
    for (const auto& s : batch) events.push_back(&s.event);
    auto report = sink.Send(events);
    if (!report.ok()) {
      metrics.SendError();
      auto wait = std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(
          backoff.count() / 2, backoff.count())(random));
      spdlog::warn("event=send_failed events={} retry_ms={} error=\"{}\"", batch.size(), wait.count(),
                   report.status().message());
      if (stop.WaitFor(wait)) return;
      backoff = std::min(backoff * 2, std::max(first, options.max_backoff));
      continue;
    }
    backoff = first;
    metrics.EvidenceRefused(report->evidence_refused);
    std::int64_t delivered = 0, rejected = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const Delivery& d = report->results[i];
      if (d.accepted) {
        ++delivered;
      } else {
        ++rejected;
        spdlog::error("event=rejected key={} error=\"{}\"", batch[i].event.idempotency_key, d.error);
      }
      Status s = spool.Remove(batch[i].seq);
      if (!s.ok()) spdlog::error("event=spool_remove_failed error=\"{}\"", s.message());
    }
    metrics.Delivered(delivered);
    metrics.Rejected(rejected);
  }
}

}  // namespace gb::edge
