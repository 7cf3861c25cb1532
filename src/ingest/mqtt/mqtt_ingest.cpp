#include "ingest/mqtt/mqtt_ingest.h"

#include <spdlog/spdlog.h>

#include "ingest/event_json.h"

namespace gb {
namespace {

// "glassbrain/<site>/events" → true; <site> is one non-empty level.
bool IsEventsTopic(std::string_view topic) {
  constexpr std::string_view kPrefix = "glassbrain/", kSuffix = "/events";
  if (!topic.starts_with(kPrefix) || !topic.ends_with(kSuffix)) return false;
  std::string_view site = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  return !site.empty() && site.find('/') == std::string_view::npos;
}

void LogRejected(const std::string& topic, std::string_view reason) {
  spdlog::warn("event=mqtt_rejected topic=\"{}\" reason=\"{}\"", topic, reason);
}

}  // namespace

std::vector<std::string> MqttIngestTopics() { return {"$share/glassbrain/glassbrain/+/events"}; }

Result<MqttIngestCounts> IngestMqttMessages(IncidentService& incidents, const std::vector<MqttMessage>& messages,
                                            std::size_t max_items) {
  MqttIngestCounts counts;
  std::vector<Event> events;
  std::vector<const std::string*> topic_of;  // per event, for the log of its rejection
  for (const MqttMessage& m : messages) {
    if (!IsEventsTopic(m.topic)) {
      ++counts.rejected;
      LogRejected(m.topic, "not a topic of the form glassbrain/<site>/events");
      continue;
    }
    if (m.too_large) {
      ++counts.rejected;
      LogRejected(m.topic, "the message is larger than the batch limit");
      continue;
    }
    // One event, or an array of them: the array parser reads both.
    const std::size_t first = m.payload.find_first_not_of(" \t\r\n");
    const bool single = first != std::string::npos && m.payload[first] == '{';
    auto parsed = single ? ParseEventBatch("[" + m.payload + "]", 1) : ParseEventBatch(m.payload, max_items);
    if (!parsed.ok()) {
      ++counts.rejected;
      LogRejected(m.topic, parsed.status().message());
      continue;
    }
    for (std::size_t i = 0; i < parsed->events.size(); ++i) {
      if (!parsed->parse_errors[i].ok()) {
        ++counts.rejected;
        LogRejected(m.topic, parsed->parse_errors[i].message());
        continue;
      }
      events.push_back(std::move(parsed->events[i]));
      topic_of.push_back(&m.topic);
    }
  }
  if (events.empty()) return counts;
  auto outcomes = incidents.Ingest(std::move(events), Actor{"mqtt", Role::kEdge, false});
  if (!outcomes.ok()) return outcomes.status();
  for (std::size_t i = 0; i < outcomes->size(); ++i) {
    const IngestOutcome& o = (*outcomes)[i];
    switch (o.kind) {
      case IngestOutcome::Kind::kStored: ++counts.stored; break;
      case IngestOutcome::Kind::kDuplicate: ++counts.duplicate; break;
      case IngestOutcome::Kind::kRejected:
        ++counts.rejected;
        LogRejected(*topic_of[i], o.error);
        break;
    }
  }
  return counts;
}

}  // namespace gb
