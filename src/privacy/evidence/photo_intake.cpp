#include "privacy/evidence/photo_intake.h"

namespace gb {

Result<CleanPhoto> AnonymizePhoto(const Anonymizer& anonymizer, std::string_view bytes, const ImageLimits& limits) {
  auto clean = anonymizer.Process(bytes, limits);
  if (!clean.ok()) return clean.status();
  CleanPhoto photo{"sha256:" + clean->sha256_hex, std::move(*clean)};
  if (!EvidenceStore::IsValidRef(photo.ref)) return Status::Internal("the anonymizer gave a malformed content hash");
  return photo;
}

Result<bool> StorePhoto(WriteTxn& txn, EvidenceStore& evidence, const CleanPhoto& photo,
                        const std::string& actor, TimeMs at, std::string detail_json) {
  auto put = evidence.Put(txn, photo.ref, photo.image.jpeg);
  if (!put.ok()) return put.status();
  AuditEntry entry{0, at, actor, "evidence.put", "evidence/" + photo.ref, "", std::move(detail_json)};
  GB_RETURN_IF_ERROR(txn.AppendAudit(entry));
  return *put;
}

}  // namespace gb
