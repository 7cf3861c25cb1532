#include "store/audit_chain.h"

#include "core/sha256.h"
#include "store/store.h"

namespace gb {
namespace {

void AppendNetstring(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

}  // namespace

std::string AuditCanonicalContent(const AuditEntry& e) {
  std::string out;
  out.reserve(64 + e.actor.size() + e.action.size() + e.object.size() + e.purpose.size() + e.detail.size());
  AppendNetstring(out, std::to_string(e.at));
  for (const std::string* field : {&e.actor, &e.action, &e.object, &e.purpose, &e.detail}) AppendNetstring(out, *field);
  return out;
}

std::string AuditChainHash(std::string_view previous_hash, const AuditEntry& entry) {
  std::string input(previous_hash);
  input += AuditCanonicalContent(entry);
  return Sha256Hex(input);
}

Result<AuditVerification> VerifyAuditChain(Store& store, std::optional<std::string> expected_head) {
  auto chain = store.GetAuditChain();
  if (!chain.ok()) return chain.status();
  AuditVerification v;
  v.head_hash = chain->anchor_hash;
  v.head_found = !expected_head || *expected_head == chain->anchor_hash;
  Id previous_id = chain->anchor_id;
  Status walked = store.ScanAudit([&](const AuditEntry& e) {
    std::string want = AuditChainHash(v.head_hash, e);
    if (e.hash != want) {
      std::string why = e.id != previous_id + 1 && previous_id != 0
                            ? " (the entries between " + std::to_string(previous_id) + " and " + std::to_string(e.id) +
                                  " are missing)"
                            : "";
      return Status::Invalid("audit entry " + std::to_string(e.id) +
                             " does not match its hash: it, or an entry before it, was changed, removed or "
                             "reordered" + why);
    }
    v.head_hash = std::move(want);
    previous_id = e.id;
    ++v.checked;
    if (expected_head && *expected_head == v.head_hash) v.head_found = true;
    return Status::Ok();
  });
  GB_RETURN_IF_ERROR(walked);
  if (v.head_hash != chain->head_hash || chain->purged + v.checked != chain->entries)
    return Status::Invalid("the audit log ends at entry " + std::to_string(previous_id) + " after " +
                           std::to_string(chain->purged + v.checked) + " entries, but its recorded head is entry " +
                           std::to_string(chain->entries) + ": its newest entries were removed");
  return v;
}

}  // namespace gb
