// The audit log as a hash chain, so that a rewrite of it can be found (as Certificate
// Transparency makes a rewrite of its log visible). Each entry stores
//
//   hash = hex(SHA-256(previous hash ‖ canonical content))
//
// where the first entry's previous hash is 64 zeros (kAuditGenesis), or, once a purge has cut
// the oldest entries, the hash of the last entry it removed (the anchor, kept by the store).
// The canonical content is each of at, actor, action, object, purpose and detail as a
// netstring: its length in decimal bytes, ':', the bytes, ',' ("7:example,"); `at` is written
// as decimal milliseconds. An edit, a deletion or a reordering of stored entries changes a
// hash the next entry depends on; a rewrite of every later hash as well is found by comparing
// a published head (GET /api/v1/public/audit-head) with the chain.
//
// Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace gb {

class Store;

inline constexpr std::string_view kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::string AuditCanonicalContent(const AuditEntry& entry);
std::string AuditChainHash(std::string_view previous_hash, const AuditEntry& entry);

struct AuditVerification {
  std::int64_t checked = 0;      // stored entries whose hash was recomputed
  std::string head_hash;         // the chain's head as recomputed
  bool head_found = true;        // the expected head (if any) is the anchor or an entry's hash
};
// Walks the stored chain from its anchor. Invalid naming the first entry that does not match
// (or the head the store records, when the newest entries were removed). With
// `expected_head`, also reports whether that hash, noted earlier, is part of the chain.
Result<AuditVerification> VerifyAuditChain(Store& store, std::optional<std::string> expected_head = std::nullopt);

}  // namespace gb
