#include "api/metrics.h"

#include <cstdio>

namespace gb {

std::string PromLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[{route, method}];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::CountIngest(const std::string& path, const std::string& outcome, std::int64_t n) {
  std::lock_guard lock(mu_);
  ingest_[{path, outcome}] += n;
}

void Metrics::AddCollector(std::function<void(std::string&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::string out;
  char num[64];
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mu_);
    out += "# HELP glassbrain_http_requests_total HTTP responses by route template, method and status.\n";
    out += "# TYPE glassbrain_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [route, method, status] = key;
      out += "glassbrain_http_requests_total{route=\"" + PromLabel(route) + "\",method=\"" + method +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP glassbrain_http_request_duration_seconds Time to handle a request, by route template.\n";
    out += "# TYPE glassbrain_http_request_duration_seconds histogram\n";
    for (const auto& [key, h] : latency_) {
      std::string labels = "route=\"" + PromLabel(key.first) + "\",method=\"" + key.second + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        std::snprintf(num, sizeof num, "%g", kBuckets[i]);
        out += "glassbrain_http_request_duration_seconds_bucket{" + labels + ",le=\"" + num + "\"} " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += "glassbrain_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      std::snprintf(num, sizeof num, "%.9g", h.sum);
      out += "glassbrain_http_request_duration_seconds_sum{" + labels + "} " + num + "\n";
      out += "glassbrain_http_request_duration_seconds_count{" + labels + "} " + std::to_string(h.count) + "\n";
    }
    out += "# HELP glassbrain_ingested_items_total Observations received, by path and outcome.\n";
    out += "# TYPE glassbrain_ingested_items_total counter\n";
    for (const auto& [key, n] : ingest_)
      out += "glassbrain_ingested_items_total{path=\"" + PromLabel(key.first) + "\",outcome=\"" +
             PromLabel(key.second) + "\"} " + std::to_string(n) + "\n";
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(out);
  return out;
}

}  // namespace gb
