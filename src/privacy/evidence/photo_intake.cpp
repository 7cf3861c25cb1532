#include "privacy/evidence/photo_intake.h"

namespace gb {

Result<CleanPhoto> IntakePhoto(const Anonymizer& anonymizer, EvidenceStore& evidence, std::string_view bytes,
                               const ImageLimits& limits) {
  auto clean = anonymizer.Process(bytes, limits);
  if (!clean.ok()) return clean.status();
  CleanPhoto photo{"sha256:" + clean->sha256_hex, std::move(*clean)};
  if (!EvidenceStore::IsValidRef(photo.ref)) return Status::Internal("the anonymizer gave a malformed content hash");
  GB_RETURN_IF_ERROR(evidence.WriteFile(photo.ref, photo.image.jpeg));
  return photo;
}

Result<bool> StorePhoto(WriteTxn& txn, EvidenceStore& evidence, const CleanPhoto& photo, const std::string& actor,
                        TimeMs at, std::string detail_json, const std::string& alias) {
  auto put = evidence.Record(txn, photo.ref, static_cast<std::int64_t>(photo.image.jpeg.size()));
  if (!put.ok()) return put.status();
  if (!alias.empty() && alias != photo.ref) GB_RETURN_IF_ERROR(txn.PutEvidenceAlias(alias, photo.ref));
  AuditEntry entry{0, at, actor, "evidence.put", "evidence/" + photo.ref, "", std::move(detail_json)};
  GB_RETURN_IF_ERROR(txn.AppendAudit(entry));
  return *put;
}

}  // namespace gb
