#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/sqlite/db.h"
#include "store/sqlite/migrations.h"

namespace gb::sqlite {
namespace {

namespace fs = std::filesystem;

// Pages per backup step: small enough for a smooth progress bar, large enough that the
// per-step overhead does not count.
constexpr int kPagesPerStep = 256;

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot fsync " + path + ": " + std::strerror(err));
  return Status::Ok();
}

// Renames `from` over `to` and makes the rename durable.
Status DurableRename(const std::string& from, const std::string& to) {
  GB_RETURN_IF_ERROR(FsyncPath(from, O_RDONLY));
  if (std::rename(from.c_str(), to.c_str()) != 0)
    return Status::Unavailable("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  std::string dir = fs::path(to).parent_path().string();
  return FsyncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

Status IntegrityCheck(Database& db, const std::string& what) {
  Query q = db.UseDynamic("PRAGMA integrity_check");
  std::string first;
  if (q.Step()) q.TextTo(0, first);
  if (!q.status().ok()) return Status::Invalid(what + " cannot be read as a SQLite database: " + q.status().message());
  if (first != "ok") return Status::Invalid(what + " fails SQLite's integrity check: " + first);
  return Status::Ok();
}

// Copies every page of `from` into `to` through the online backup API, in steps. The caller
// holds a read transaction on `from` when the copy must be one snapshot.
Status CopyPages(Database& from, Database& to, const PageProgress& progress) {
  sqlite3_backup* b = sqlite3_backup_init(to.handle(), "main", from.handle(), "main");
  if (!b) return to.Error(sqlite3_errcode(to.handle()), "cannot start the backup");
  int rc;
  do {
    rc = sqlite3_backup_step(b, kPagesPerStep);
    if (progress) {
      std::int64_t total = sqlite3_backup_pagecount(b);
      progress(total - sqlite3_backup_remaining(b), total);
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  int finished = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return StatusFromSqlite(rc, "the backup failed", sqlite3_errstr(rc));
  if (finished != SQLITE_OK) return to.Error(finished, "the backup failed");
  return Status::Ok();
}

// The schema version and evidence of a store file that passed its integrity check.
Result<BackupInfo> ReadInfo(Database& db, const std::string& path) {
  BackupInfo info;
  {
    Query q = db.UseDynamic("PRAGMA user_version");
    if (q.Step()) info.schema_version = static_cast<int>(q.Int(0));
    if (!q.status().ok()) return q.status();
  }
  if (info.schema_version == 0) return Status::Invalid(path + " is a SQLite database but not a Glassbrain store");
  if (info.schema_version > LatestSchemaVersion())
    return Status::Invalid("the backup " + path + " has schema version " + std::to_string(info.schema_version) +
                           ", newer than this build's " + std::to_string(LatestSchemaVersion()) +
                           "; restore it with a newer glassbrain");
  Query q = db.UseDynamic("SELECT hash FROM evidence ORDER BY hash");
  while (q.Step()) info.evidence_refs.push_back(q.Text(0));
  if (!q.status().ok()) return q.status();
  return info;
}

// Copies `from` into a new file `to`, checks the copy and reads what it holds; `to` is
// removed on failure.
Result<BackupInfo> CopyDatabase(const std::string& from, const std::string& to, bool snapshot,
                                const PageProgress& progress) {
  auto src = Database::Open(from, false);
  if (!src.ok()) return src.status();
  GB_RETURN_IF_ERROR((*src)->Exec("PRAGMA busy_timeout = 5000"));
  if (snapshot) {
    GB_RETURN_IF_ERROR((*src)->Exec("BEGIN"));
    Query q = (*src)->UseDynamic("SELECT count(*) FROM sqlite_schema");  // the read starts here
    q.Step();
    if (!q.status().ok()) return Status::Invalid(from + " cannot be read as a SQLite database: " + q.status().message());
  }
  std::error_code ec;
  fs::remove(to, ec);
  Status s;
  BackupInfo info;
  {
    auto dst = Database::Open(to, true);
    if (!dst.ok()) return dst.status();
    s = CopyPages(**src, **dst, progress);
    if (s.ok()) s = IntegrityCheck(**dst, "the copy " + to);
    if (s.ok()) {
      auto read = ReadInfo(**dst, to);
      if (read.ok()) info = std::move(*read);
      s = read.status();
    }
  }
  if (snapshot) (void)(*src)->Exec("COMMIT");
  if (!s.ok()) {
    fs::remove(to, ec);
    fs::remove(to + "-wal", ec);
    fs::remove(to + "-shm", ec);
    return s;
  }
  return info;
}

}  // namespace

Result<BackupInfo> BackupDatabase(const std::string& source, const std::string& dest, const PageProgress& progress) {
  std::error_code ec;
  if (fs::exists(dest, ec)) return Status::Invalid(dest + " exists; give a new file name for the backup");
  const std::string partial = dest + ".partial";
  auto info = CopyDatabase(source, partial, true, progress);
  if (!info.ok()) return info.status();
  GB_RETURN_IF_ERROR(DurableRename(partial, dest));
  return info;
}

Result<BackupInfo> InspectBackup(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::Invalid("there is no backup file " + path);
  auto db = Database::Open(path, false);
  if (!db.ok()) return db.status();
  GB_RETURN_IF_ERROR(IntegrityCheck(**db, "the backup " + path));
  return ReadInfo(**db, path);
}

Status RestoreDatabase(const std::string& backup, const std::string& dest) {
  const std::string partial = dest + ".restoring";
  GB_RETURN_IF_ERROR(CopyDatabase(backup, partial, false, nullptr).status());
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    // Fold the old store's write-ahead log into its file and end it, so that no log of the
    // old database is left to be replayed into the restored one.
    auto old = Database::Open(dest, false);
    if (old.ok()) (void)(*old)->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  fs::remove(dest + "-wal", ec);
  fs::remove(dest + "-shm", ec);
  return DurableRename(partial, dest);
}

Result<StoreHold> StoreHold::Take(const std::string& path, Mode mode) {
  const std::string lock = path + ".lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot open " + lock + ": " + std::strerror(errno));
  if (::flock(fd, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) return Status::Unavailable("cannot lock " + lock + ": " + std::strerror(err));
    return Status::Unavailable(mode == Mode::kShared
                                   ? "the store " + path + " is being restored; wait until the restore ends"
                                   : "the store " + path + " is in use by a running hub; stop the hub first");
  }
  return StoreHold(fd);
}

StoreHold::~StoreHold() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace gb::sqlite
