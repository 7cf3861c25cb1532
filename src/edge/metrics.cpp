#include "edge/metrics.h"

#include <cstdio>

#include "api/metrics.h"

namespace gb::edge {
namespace {

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP glassbrain_edge_") + name + " " + help + "\n# TYPE glassbrain_edge_" + name + " " + type +
         "\n";
}

void PerCamera(std::string& out, const char* name, const char* type, const char* help,
               const std::map<std::string, std::int64_t>& series) {
  Header(out, name, type, help);
  for (const auto& [camera, v] : series)
    out += std::string("glassbrain_edge_") + name + "{camera=\"" + PromLabel(camera) + "\"} " + std::to_string(v) + "\n";
}

}  // namespace

void EdgeMetrics::EventRaised(const std::string& camera, const std::string& rule) {
  std::lock_guard lock(mu_);
  ++events_[{camera, rule}];
}

void EdgeMetrics::ObserveStage(const std::string& stage, double seconds) {
  std::lock_guard lock(mu_);
  auto& h = stages_[stage];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void EdgeMetrics::SetSpoolGauges(std::function<std::pair<std::int64_t, std::int64_t>()> events_and_bytes) {
  std::lock_guard lock(mu_);
  spool_ = std::move(events_and_bytes);
}

std::int64_t EdgeMetrics::Value(const std::string& name, const std::string& camera) const {
  std::lock_guard lock(mu_);
  const Series* s = name == "frames_decoded_total"    ? &decoded_
                    : name == "frames_analyzed_total" ? &analyzed_
                    : name == "frames_dropped_total"  ? &dropped_
                    : name == "source_up"             ? &source_up_
                                                      : &counters_;
  auto it = s->find(s == &counters_ ? name : camera);
  return it == s->end() ? 0 : it->second;
}

std::string EdgeMetrics::Render() const {
  std::string out;
  std::function<std::pair<std::int64_t, std::int64_t>()> spool;
  {
    std::lock_guard lock(mu_);
    PerCamera(out, "frames_decoded_total", "counter", "Frames decoded, by camera.", decoded_);
    PerCamera(out, "frames_analyzed_total", "counter", "Frames picked for analysis, by camera.", analyzed_);
    PerCamera(out, "frames_dropped_total", "counter",
              "Analysis slots of a stream missed because the camera thread was behind, by camera.", dropped_);
    PerCamera(out, "source_up", "gauge", "1 while the camera's source delivers frames, else 0.", source_up_);
    Header(out, "events_total", "counter", "Events raised (kept in the spool, or written by a dry run).");
    for (const auto& [key, n] : events_)
      out += "glassbrain_edge_events_total{camera=\"" + PromLabel(key.first) + "\",rule=\"" + PromLabel(key.second) +
             "\"} " + std::to_string(n) + "\n";
    Header(out, "stage_seconds", "histogram", "Seconds per frame (or per image) of each pipeline stage.");
    char num[64];
    for (const auto& [stage, h] : stages_) {
      const std::string labels = "stage=\"" + PromLabel(stage) + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        std::snprintf(num, sizeof num, "%g", kBuckets[i]);
        out += "glassbrain_edge_stage_seconds_bucket{" + labels + ",le=\"" + num + "\"} " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += "glassbrain_edge_stage_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      std::snprintf(num, sizeof num, "%.9g", h.sum);
      out += "glassbrain_edge_stage_seconds_sum{" + labels + "} " + num + "\n";
      out += "glassbrain_edge_stage_seconds_count{" + labels + "} " + std::to_string(h.count) + "\n";
    }
    struct Counter {
      const char* name;
      const char* help;
    };
    for (const Counter& c : {Counter{"spool_dropped_total", "Events dropped from a full spool, oldest first."},
                             Counter{"delivered_total", "Events the hub acknowledged (stored or duplicate)."},
                             Counter{"rejected_total", "Events the hub rejected; logged with its error and dropped."},
                             Counter{"send_errors_total", "Failed attempts to reach the hub (retried)."},
                             Counter{"evidence_refused_total", "Evidence images the hub refused; dropped from their event."}}) {
      Header(out, c.name, "counter", c.help);
      auto it = counters_.find(c.name);
      out += std::string("glassbrain_edge_") + c.name + " " + std::to_string(it == counters_.end() ? 0 : it->second) +
             "\n";
    }
    spool = spool_;
  }
  auto [events, bytes] = spool ? spool() : std::pair<std::int64_t, std::int64_t>{0, 0};
  Header(out, "spool_events", "gauge", "Events waiting in the spool.");
  out += "glassbrain_edge_spool_events " + std::to_string(events) + "\n";
  Header(out, "spool_bytes", "gauge", "Bytes of the spool's records.");
  out += "glassbrain_edge_spool_bytes " + std::to_string(bytes) + "\n";
  return out;
}

}  // namespace gb::edge
