#include "privacy/evidence/evidence_store.h"

#include <chrono>
#include <filesystem>

namespace gb {

bool EvidenceStore::IsValidRef(std::string_view ref) { return IsEvidenceRef(ref); }

std::string EvidenceStore::PathOf(const std::string& ref) const {
  std::string hex = ref.substr(7);
  return dir_ + "/" + hex.substr(0, 2) + "/" + hex + ".jpg";
}

Status EvidenceStore::WriteFile(const std::string& ref, std::string_view jpeg) {
  if (!IsValidRef(ref)) return Status::Invalid("evidence reference must be sha256:<64 lower-case hex digits>");
  std::string path = PathOf(ref);
  if (env_->FileExists(path)) return Status::Ok();
  GB_RETURN_IF_ERROR(env_->CreateDirs(dir_ + "/" + ref.substr(7, 2)));
  return env_->WriteFileDurable(path, jpeg);
}

Result<bool> EvidenceStore::Record(WriteTxn& txn, const std::string& ref, std::int64_t bytes) {
  if (!IsValidRef(ref)) return Status::Invalid("evidence reference must be sha256:<64 lower-case hex digits>");
  if (!env_->FileExists(PathOf(ref))) return Status::Internal("evidence is recorded only after its file is written");
  return txn.PutEvidence(EvidenceRecord{ref, bytes, env_->NowMs()});
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

namespace gb {

Result<std::size_t> EvidenceStore::SweepUnrecorded(Store& store, TimeMs before) const {
  namespace fs = std::filesystem;
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".jpg") continue;
    const std::string ref = "sha256:" + it->path().stem().string();
    if (!IsValidRef(ref) || PathOf(ref) != it->path().string()) continue;  // not a file this store wrote
    auto mtime = fs::last_write_time(it->path(), ec);
    if (ec) continue;
    const auto age = fs::file_time_type::clock::now() - mtime;
    const TimeMs written = env_->NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(age).count();
    if (written >= before) continue;
    // A record that cannot be read is not a missing one: the sweep stops rather than delete
    // a file whose record may well exist.
    auto record = store.GetEvidence(ref);
    if (!record.ok()) return record.status();
    if (*record) continue;
    GB_RETURN_IF_ERROR(env_->RemoveFile(it->path().string()));
    ++removed;
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return Status::Unavailable("cannot list the evidence directory: " + ec.message());
  return removed;
}

}  // namespace gb
