// Photos that people take (a resident's report, a crew member's task photo) on their way
// into the evidence store: decoded within the limits, faces and people blurred, metadata
// dropped and re-encoded by the anonymizer, then named by the SHA-256 of what is stored
// (unlike camera evidence, which keeps the name the edge agent gave it).
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

// The anonymizer's errors as they are: Unsupported (not a JPEG), TooLarge, Invalid.
Result<CleanPhoto> AnonymizePhoto(const Anonymizer& anonymizer, std::string_view bytes, const ImageLimits& limits);

// Writes the photo (if new) and its audit entry ("evidence.put" by `actor`, with
// `detail_json`) in `txn`. Returns true when the photo was not stored before.
Result<bool> StorePhoto(WriteTxn& txn, EvidenceStore& evidence, const CleanPhoto& photo,
                        const std::string& actor, TimeMs at, std::string detail_json);

}  // namespace gb
