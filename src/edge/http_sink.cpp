#include "edge/http_sink.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace gb::edge {
namespace {

// Worth trying again later: the hub is down, overloaded, or does not (yet) accept our token.
bool Retryable(int status) { return status >= 500 || status == 401 || status == 403 || status == 408 || status == 429; }

std::string HubError(const HubReply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
      j["error"]["message"].is_string())
    return j["error"]["message"];
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

Result<bool> HttpSink::PutEvidence(const Evidence& evidence) {
  if (uploaded_.count(evidence.ref)) return true;
  auto r = hub_.Request("PUT", "/api/v1/evidence/" + evidence.ref, "image/jpeg", evidence.jpeg);
  if (!r.ok()) return r.status();
  if (r->status == 200 || r->status == 201) {
    if (uploaded_.size() > 10'000) uploaded_.clear();  // a bound; forgetting only costs a re-send
    uploaded_.insert(evidence.ref);
    return true;
  }
  if (Retryable(r->status)) return Status::Unavailable("evidence upload: " + HubError(*r));
  spdlog::warn("event=evidence_refused ref={} status={} error=\"{}\"", evidence.ref, r->status, HubError(*r));
  return false;
}

Result<SendReport> HttpSink::Send(const std::vector<const EdgeEvent*>& events) {
  SendReport report;
  std::string body = "[";
  for (const EdgeEvent* e : events) {
    std::vector<std::string> kept;
    for (const auto& ev : e->evidence) {
      auto held = PutEvidence(ev);
      if (!held.ok()) return held.status();
      if (*held)
        kept.push_back(ev.ref);
      else
        ++report.evidence_refused;
    }
    if (body.size() > 1) body += ",";
    body += kept.size() == e->evidence.size() ? e->json : EventJsonWithEvidence(*e, kept);
  }
  body += "]";
  auto r = hub_.Request("POST", "/api/v1/events:batch", "application/json", body);
  if (!r.ok()) return r.status();
  if (Retryable(r->status)) return Status::Unavailable("event batch: " + HubError(*r));
  if (r->status != 200) {  // the hub refused the whole batch: every event carries its reason
    report.results.assign(events.size(), Delivery{false, HubError(*r)});
    return report;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array() || j["results"].size() != events.size())
    return Status::Unavailable("event batch: the hub's answer does not list one result per event");
  for (const auto& item : j["results"]) {
    std::string status = item.value("status", "");
    if (status == "stored" || status == "duplicate")
      report.results.push_back({true, ""});
    else
      report.results.push_back({false, item.value("error", "rejected without a reason")});
  }
  return report;
}

}  // namespace gb::edge
