#include "store/sqlite/env_vfs.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "store/sqlite/db.h"

namespace gb::sqlite {
namespace {

// What one registered VFS needs: its Env and the unix VFS it forwards to.
struct VfsData {
  Env* env;
  sqlite3_vfs* unix;
  std::string name;
  sqlite3_vfs vfs{};
};

// One open file: the header SQLite sees, then the unix VFS's own file object right after it
// (szOsFile is the sum of both).
struct EnvFile {
  sqlite3_file base;  // first: SQLite casts between the two
  Env* env;
  const char* path;   // SQLite keeps the name alive until xClose; "" for temporary files
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + kRealOffset); }
  static const std::size_t kRealOffset;
};
// The real file starts at the next multiple of 8 bytes.
const std::size_t EnvFile::kRealOffset = (sizeof(EnvFile) + 7) & ~std::size_t{7};

EnvFile* Cast(sqlite3_file* f) { return reinterpret_cast<EnvFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Cast(f)->real(); }

FileIoFault Ask(sqlite3_file* f, FileIo::Op op, std::size_t bytes) {
  EnvFile* file = Cast(f);
  return file->env->CheckFileIo(FileIo{op, file->path, bytes});
}

bool IsFull(int error) { return error == ENOSPC || error == EDQUOT || error == EFBIG; }

int Close(sqlite3_file* f) {
  sqlite3_file* real = Real(f);
  return real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
}

int Read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  if (Ask(f, FileIo::Op::kRead, static_cast<std::size_t>(amount)).error != 0) return SQLITE_IOERR_READ;
  sqlite3_file* real = Real(f);
  return real->pMethods->xRead(real, buf, amount, offset);
}

int Write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  sqlite3_file* real = Real(f);
  FileIoFault fault = Ask(f, FileIo::Op::kWrite, static_cast<std::size_t>(amount));
  if (fault.error == 0) return real->pMethods->xWrite(real, buf, amount, offset);
  if (fault.written > 0) {
    const int part = static_cast<int>(std::min<std::size_t>(fault.written, static_cast<std::size_t>(amount)));
    (void)real->pMethods->xWrite(real, buf, part, offset);
  }
  return IsFull(fault.error) ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (Ask(f, FileIo::Op::kTruncate, 0).error != 0) return SQLITE_IOERR_TRUNCATE;
  sqlite3_file* real = Real(f);
  return real->pMethods->xTruncate(real, size);
}

int Sync(sqlite3_file* f, int flags) {
  if (Ask(f, FileIo::Op::kSync, 0).error != 0) return SQLITE_IOERR_FSYNC;
  sqlite3_file* real = Real(f);
  return real->pMethods->xSync(real, flags);
}

// The rest forward as they are.
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return Real(f)->pMethods->xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int remove) { return Real(f)->pMethods->xShmUnmap(Real(f), remove); }
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), offset, amount, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), offset, p); }

// Version 3, as the unix VFS's files are; Open refuses a file whose methods are older.
const sqlite3_io_methods kMethods = {
    3,        Close,        Read,       Write,    Truncate, Sync,       FileSize, Lock,
    Unlock,   CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier,
    ShmUnmap, Fetch,        Unfetch,
};

VfsData* Data(sqlite3_vfs* vfs) { return static_cast<VfsData*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  VfsData* data = Data(vfs);
  EnvFile* file = Cast(f);
  file->base.pMethods = nullptr;
  file->env = data->env;
  file->path = name ? name : "";
  sqlite3_file* real = file->real();
  int rc = data->unix->xOpen(data->unix, name, real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (real->pMethods == nullptr || real->pMethods->iVersion < kMethods.iVersion) {
    if (real->pMethods) real->pMethods->xClose(real);
    return SQLITE_CANTOPEN;
  }
  file->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* v, const char* name, int sync) { return Data(v)->unix->xDelete(Data(v)->unix, name, sync); }
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Data(v)->unix->xAccess(Data(v)->unix, name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Data(v)->unix->xFullPathname(Data(v)->unix, name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Data(v)->unix->xDlOpen(Data(v)->unix, name); }
void DlError(sqlite3_vfs* v, int n, char* out) { Data(v)->unix->xDlError(Data(v)->unix, n, out); }
void (*DlSym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
  return Data(v)->unix->xDlSym(Data(v)->unix, handle, symbol);
}
void DlClose(sqlite3_vfs* v, void* handle) { Data(v)->unix->xDlClose(Data(v)->unix, handle); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Data(v)->unix->xRandomness(Data(v)->unix, n, out); }
int Sleep(sqlite3_vfs* v, int micros) { return Data(v)->unix->xSleep(Data(v)->unix, micros); }
int CurrentTime(sqlite3_vfs* v, double* out) { return Data(v)->unix->xCurrentTime(Data(v)->unix, out); }
int GetLastError(sqlite3_vfs* v, int n, char* out) { return Data(v)->unix->xGetLastError(Data(v)->unix, n, out); }
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return Data(v)->unix->xCurrentTimeInt64(Data(v)->unix, out);
}

}  // namespace

Result<std::string> VfsFor(Env* env) {
  static std::mutex mu;
  static std::map<Env*, std::unique_ptr<VfsData>> registered;
  std::lock_guard lock(mu);
  ConfigureSqlite();  // before sqlite3_vfs_find initialises SQLite
  if (auto it = registered.find(env); it != registered.end()) return it->second->name;
  sqlite3_vfs* unix = sqlite3_vfs_find("unix");
  if (unix == nullptr || unix->iVersion < 2) return Status::Unavailable("SQLite has no unix VFS to wrap");
  auto data = std::make_unique<VfsData>();
  data->env = env;
  data->unix = unix;
  char name[48];
  std::snprintf(name, sizeof name, "glassbrain-env-%p", static_cast<void*>(env));
  data->name = name;
  sqlite3_vfs& v = data->vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(EnvFile::kRealOffset) + unix->szOsFile;
  v.mxPathname = unix->mxPathname;
  v.zName = data->name.c_str();
  v.pAppData = data.get();
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (int rc = sqlite3_vfs_register(&v, 0); rc != SQLITE_OK)
    return Status::Unavailable(std::string("cannot register the store's SQLite VFS: ") + sqlite3_errstr(rc));
  std::string out = data->name;
  registered.emplace(env, std::move(data));
  return out;
}

}  // namespace gb::sqlite
