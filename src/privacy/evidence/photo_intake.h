// The one door into the evidence store, for every image (a resident's report, a crew
// member's task photo, a camera's evidence from an edge agent): decoded within the limits,
// faces blurred and people erased, metadata dropped and re-encoded by the anonymizer, named
// by the SHA-256 of what is stored, its file written before the transaction that records
// it, and the record and its audit entry committed together.
//
// Thread-safe: free functions over the thread-safe Anonymizer and EvidenceStore.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "privacy/evidence/evidence_store.h"
#include "privacy/image/anonymizer.h"

namespace gb {

struct CleanPhoto {
  std::string ref;        // "sha256:<hex of image.jpeg>"
  AnonymizedImage image;
};

// Decodes `bytes` within the limits, anonymizes and re-encodes them, names the result by its
// SHA-256 and writes its file: outside any transaction (see EvidenceStore::WriteFile). The
// anonymizer's errors as they are: Unsupported (not a JPEG), TooLarge, Invalid.
Result<CleanPhoto> IntakePhoto(const Anonymizer& anonymizer, EvidenceStore& evidence, std::string_view bytes,
                               const ImageLimits& limits);

// Records the photo (if new), `alias` as another name for it when given (an edge agent's
// name for what it uploaded), and its audit entry ("evidence.put" by `actor`, with
// `detail_json`) in `txn`. Returns true when the photo was not stored before.
Result<bool> StorePhoto(WriteTxn& txn, EvidenceStore& evidence, const CleanPhoto& photo, const std::string& actor,
                        TimeMs at, std::string detail_json, const std::string& alias = "");

}  // namespace gb
