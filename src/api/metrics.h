// Metrics in the Prometheus text format (version 0.0.4): request counts and latency
// histograms per route template, ingest counts by outcome, and whatever gauges the hub adds
// at scrape time (incidents by state). Names follow DESIGN.md §7.
//
// Thread-safe: observations take a short lock; labels are low-cardinality by construction.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace gb {

class Metrics {
 public:
  // One HTTP response: `route` is the router's template (never a raw path).
  void ObserveRequest(const std::string& route, const std::string& method, int status, double seconds);
  // Ingested items by source path ("http", "mqtt", "open311") and outcome.
  void CountIngest(const std::string& path, const std::string& outcome, std::int64_t n);
  // A callback that writes more samples at scrape time (e.g. incidents by state).
  void AddCollector(std::function<void(std::string& out)> collector);

  // The whole exposition.
  std::string Render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1,    5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  std::map<std::pair<std::string, std::string>, std::int64_t> ingest_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// Escapes a label value for the text format.
std::string PromLabel(std::string_view value);

}  // namespace gb
