#include "privacy/retention/retention.h"

#include <spdlog/spdlog.h>

#include "privacy/evidence/evidence_store.h"

namespace gb {

Result<PurgeResult> PurgeExpired(Store& store, const District& d, const std::string& evidence_dir, Env* env,
                                 TimeMs now) {
  constexpr TimeMs kDay = 86'400'000;
  RetentionCutoffs c;
  c.events_before = now - d.retention.events_days * kDay;
  c.evidence_before = now - d.retention.evidence_days * kDay;
  c.incidents_before = now - d.retention.incidents_days * kDay;
  c.audit_before = now - d.retention.audit_days * kDay;
  c.now = now;
  for (const auto& s : d.services) c.category_events_before.emplace_back(s.code, now - s.retention_days * kDay);
  auto result = store.Purge(c);
  if (!result.ok()) return result;
  EvidenceStore files(evidence_dir, env);
  for (const auto& ref : result->evidence_hashes) {
    Status s = files.Remove(ref);
    if (!s.ok()) spdlog::warn("event=purge_file_failed ref={} reason=\"{}\"", ref, s.message());
  }
  // Files are written before the transaction that records them: one whose transaction
  // rolled back has no record. An hour is far longer than any write waits for its commit.
  constexpr TimeMs kHour = 3'600'000;
  auto swept = files.SweepUnrecorded(store, now - kHour);
  if (swept.ok()) result->unrecorded_files = *swept;
  else spdlog::warn("event=evidence_sweep_failed reason=\"{}\"", swept.status().message());
  return result;
}

}  // namespace gb
