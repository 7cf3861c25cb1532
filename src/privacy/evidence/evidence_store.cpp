#include "privacy/evidence/evidence_store.h"

namespace gb {

bool EvidenceStore::IsValidRef(std::string_view ref) { return IsEvidenceRef(ref); }

std::string EvidenceStore::PathOf(const std::string& ref) const {
  std::string hex = ref.substr(7);
  return dir_ + "/" + hex.substr(0, 2) + "/" + hex + ".jpg";
}

Result<bool> EvidenceStore::Put(WriteTxn& txn, const std::string& ref, std::string_view jpeg) {
  if (!IsValidRef(ref)) return Status::Invalid("evidence reference must be sha256:<64 lower-case hex digits>");
  std::string path = PathOf(ref);
  if (!env_->FileExists(path)) {
    GB_RETURN_IF_ERROR(env_->CreateDirs(dir_ + "/" + ref.substr(7, 2)));
    GB_RETURN_IF_ERROR(env_->WriteFileDurable(path, jpeg));
  }
  return txn.PutEvidence(EvidenceRecord{ref, static_cast<std::int64_t>(jpeg.size()), env_->NowMs()});
}

Result<std::string> EvidenceStore::Read(const std::string& ref) const {
  if (!IsValidRef(ref)) return Status::Invalid("evidence reference must be sha256:<64 lower-case hex digits>");
  return env_->ReadFile(PathOf(ref));
}

Status EvidenceStore::Remove(const std::string& ref) const {
  if (!IsValidRef(ref)) return Status::Invalid("bad evidence reference");
  return env_->RemoveFile(PathOf(ref));
}

}  // namespace gb
