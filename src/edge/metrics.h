// EdgeMetrics: the agent's counters and gauges, rendered in the Prometheus text format with
// the glassbrain_edge_ prefix (docs/edge.md lists them). Labels are the configured camera
// ids, rule names and stage names only.
//
// Thread-safe: every camera thread and the delivery thread update it; a short lock each.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace gb::edge {

class EdgeMetrics {
 public:
  void FrameDecoded(const std::string& camera) { Add(decoded_, camera, 1); }
  void FrameAnalyzed(const std::string& camera) { Add(analyzed_, camera, 1); }
  void FramesDropped(const std::string& camera, std::int64_t n) { Add(dropped_, camera, n); }
  void SourceUp(const std::string& camera, bool up) { Set(source_up_, camera, up ? 1 : 0); }
  void EventRaised(const std::string& camera, const std::string& rule);
  // CPU or wall seconds of one stage ("decode", "motion", "detect", "track", "rules", "evidence").
  void ObserveStage(const std::string& stage, double seconds);
  void SpoolDropped(std::int64_t n) { Add(counters_, "spool_dropped_total", n); }
  void Delivered(std::int64_t n) { Add(counters_, "delivered_total", n); }
  void Rejected(std::int64_t n) { Add(counters_, "rejected_total", n); }
  void SendError() { Add(counters_, "send_errors_total", 1); }
  void EvidenceRefused(std::int64_t n) { Add(counters_, "evidence_refused_total", n); }
  // Gauges read at scrape time (the spool's size).
  void SetSpoolGauges(std::function<std::pair<std::int64_t, std::int64_t>()> events_and_bytes);

  // The value of a counter or per-camera series by its name without the prefix, e.g.
  // Value("delivered_total") or Value("frames_decoded_total", "cam-1"); 0 when unseen.
  std::int64_t Value(const std::string& name, const std::string& camera = "") const;

  std::string Render() const;

  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

 private:
  using Series = std::map<std::string, std::int64_t>;
  void Add(Series& s, const std::string& key, std::int64_t n) {
    std::lock_guard lock(mu_);
    s[key] += n;
  }
  void Set(Series& s, const std::string& key, std::int64_t v) {
    std::lock_guard lock(mu_);
    s[key] = v;
  }
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  Series decoded_, analyzed_, dropped_, source_up_, counters_;
  std::map<std::pair<std::string, std::string>, std::int64_t> events_;
  std::map<std::string, Histogram> stages_;
  std::function<std::pair<std::int64_t, std::int64_t>()> spool_;
};

}  // namespace gb::edge
