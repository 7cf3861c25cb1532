// EnvVfs: a SQLite VFS that wraps the default "unix" VFS and asks an Env (core/env.h,
// CheckFileIo) before every read, write, sync and truncation of the files SQLite opens
// through it: the database and its WAL. Everything else (locks, the shared-memory index,
// names, randomness, time) goes to the unix VFS untouched. This is the shape of SQLite's
// own test VFS: the real I/O stays SQLite's, and a test Env fails any operation it picks.
//
// A failed write reports SQLITE_FULL for ENOSPC, EDQUOT and EFBIG, SQLITE_IOERR_WRITE for
// any other error; reads, syncs and truncations report their SQLITE_IOERR_* code.
//
// Cost on the production path: one extra indirect call and one virtual call per operation,
// nothing next to the system call behind it.
//
// Thread-safety: VfsFor may be called from any thread. One VFS is registered per Env, the
// first time a store opens with it, and stays registered for the life of the process
// (SQLite holds VFSes by pointer), so REQUIRED: the Env outlives every connection opened
// with it.
#pragma once

#include <string>

#include "core/env.h"
#include "core/status.h"

namespace gb::sqlite {

// The name to open a database with (sqlite3_open_v2's zVfs) so that its I/O goes through
// `env`. Unavailable when SQLite has no "unix" VFS to wrap.
Result<std::string> VfsFor(Env* env);

}  // namespace gb::sqlite
