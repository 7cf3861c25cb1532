#include "cli/backup.h"

#include <filesystem>
#include <iostream>

#include "cli/hub.h"
#include "cli/progress.h"
#include "privacy/evidence/evidence_store.h"
#include "store/sqlite/backup.h"

namespace gb {
namespace {

namespace fs = std::filesystem;

Result<std::string> SqlitePathFor(const std::string& url, const char* command) {
  std::string path = SqlitePathOf(url);
  if (path.empty())
    return Status::Invalid(std::string(command) + " works on sqlite:PATH stores; '" + url + "' is not one");
  return path;
}

struct CopyCount {
  std::size_t copied = 0, present = 0;
  std::vector<std::string> missing;
};

// Copies the evidence files named by `refs` from one evidence directory to another, durably;
// files already there are kept (the name is the content's hash).
Result<CopyCount> CopyEvidence(const std::vector<std::string>& refs, const std::string& from_dir,
                               const std::string& to_dir) {
  Env* env = Env::Default();
  EvidenceStore from(from_dir, env), to(to_dir, env);
  CopyCount count;
  ProgressLine line("evidence");
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const std::string& ref = refs[i];
    line.Update(static_cast<std::int64_t>(i), static_cast<std::int64_t>(refs.size()), "files");
    if (!EvidenceStore::IsValidRef(ref)) {
      count.missing.push_back(ref);
      continue;
    }
    const std::string target = to.PathOf(ref);
    if (env->FileExists(target)) {
      ++count.present;
      continue;
    }
    auto bytes = env->ReadFile(from.PathOf(ref));
    if (!bytes.ok()) {
      count.missing.push_back(ref);
      continue;
    }
    GB_RETURN_IF_ERROR(env->CreateDirs(fs::path(target).parent_path().string()));
    GB_RETURN_IF_ERROR(env->WriteFileDurable(target, *bytes));
    ++count.copied;
  }
  line.Update(static_cast<std::int64_t>(refs.size()), static_cast<std::int64_t>(refs.size()), "files");
  return count;
}

void WarnMissing(const CopyCount& count, const std::string& where) {
  if (count.missing.empty()) return;
  std::cerr << "warning: " << count.missing.size() << " evidence record" << (count.missing.size() == 1 ? " has" : "s have")
            << " no file in " << where << " (a purge that ran meanwhile deletes the record too), the first: "
            << count.missing.front() << "\n";
}

}  // namespace

Status BackupStore(const std::string& store_url, const std::string& evidence_dir, const std::string& file) {
  auto path = SqlitePathFor(store_url, "backup");
  if (!path.ok()) return path.status();
  std::error_code ec;
  if (!fs::exists(*path, ec)) return Status::NotFound("there is no store at " + *path);
  const std::string evidence_copy = file + ".evidence";
  if (fs::exists(evidence_copy, ec))
    return Status::Invalid(evidence_copy + " exists; give a new file name for the backup");
  ProgressLine pages("backup of " + *path);
  auto info = sqlite::BackupDatabase(*path, file,
                                     [&](std::int64_t done, std::int64_t total) { pages.Update(done, total, "pages"); });
  pages.Done();
  if (!info.ok()) return info.status();
  auto copied = CopyEvidence(info->evidence_refs, evidence_dir.empty() ? DefaultEvidenceDir(store_url) : evidence_dir,
                             evidence_copy);
  if (!copied.ok()) {  // no backup file without its evidence
    fs::remove(file, ec);
    fs::remove_all(evidence_copy, ec);
    return copied.status();
  }
  WarnMissing(*copied, "the store's evidence directory");
  std::cout << "backed up " << *path << " to " << file << " (schema version " << info->schema_version << ") with "
            << copied->copied << " evidence file" << (copied->copied == 1 ? "" : "s") << " in " << evidence_copy
            << "\n";
  return Status::Ok();
}

Status RestoreStore(const RestoreOptions& o) {
  auto path = SqlitePathFor(o.store_url, "restore");
  if (!path.ok()) return path.status();
  auto info = sqlite::InspectBackup(o.file);
  if (!info.ok()) return info.status();
  std::error_code ec;
  if (fs::exists(*path, ec) && !o.force)
    return Status::Invalid("the store " + *path + " exists; give --force to replace it with the backup");
  if (auto parent = fs::path(*path).parent_path(); !parent.empty()) fs::create_directories(parent, ec);
  auto hold = sqlite::StoreHold::Take(*path, sqlite::StoreHold::Mode::kExclusive);
  if (!hold.ok()) return hold.status();
  // The evidence first: a restored record never lacks its file, even if the restore stops.
  auto copied = CopyEvidence(info->evidence_refs, o.file + ".evidence",
                             o.evidence_dir.empty() ? DefaultEvidenceDir(o.store_url) : o.evidence_dir);
  if (!copied.ok()) return copied.status();
  WarnMissing(*copied, o.file + ".evidence");
  GB_RETURN_IF_ERROR(sqlite::RestoreDatabase(o.file, *path));
  std::cout << "restored " << *path << " from " << o.file << " (schema version " << info->schema_version << ") with "
            << copied->copied + copied->present << " evidence file"
            << (copied->copied + copied->present == 1 ? "" : "s") << "\n";
  return Status::Ok();
}

}  // namespace gb
