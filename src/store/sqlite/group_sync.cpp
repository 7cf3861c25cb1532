#include "store/sqlite/group_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace gb::sqlite {

std::function<Status()> GroupSync::SyncFile(std::string wal_path, Env* env) {
  // The descriptor lives as long as the function; only the leader of a round calls it, so
  // calls never overlap. fdatasync on any descriptor of a file flushes all of its data,
  // including what SQLite's own descriptor wrote.
  struct File {
    std::string path;
    int fd = -1;
    ~File() {
      if (fd >= 0) ::close(fd);
    }
  };
  auto file = std::make_shared<File>();
  file->path = std::move(wal_path);
  return [file, env]() -> Status {
    if (file->fd < 0) {
      file->fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
      // No WAL yet: the commits so far wrote nothing (SQLite creates it with the first frame,
      // and never removes it while the writer is open).
      if (file->fd < 0 && errno == ENOENT) return Status::Ok();
      if (file->fd < 0) return FileError(errno, "cannot open " + file->path + " to sync it");
    }
    if (FileIoFault fault = env->CheckFileIo(FileIo{FileIo::Op::kSync, file->path, 0}); fault.error != 0)
      return FileError(fault.error, "cannot sync " + file->path + " to disk");
    if (::fdatasync(file->fd) != 0) return FileError(errno, "cannot sync " + file->path + " to disk");
    return Status::Ok();
  };
}

Status GroupSync::WaitDurable(std::uint64_t ticket) {
  std::unique_lock lock(mu_);
  if (ticket > lost_after_ && ticket <= lost_through_)
    return Status::Unavailable("a sync of the store failed before this commit was on disk; send it again");
  while (durable_ < ticket) {
    if (!failed_.ok()) return failed_;
    if (syncing_) {  // a sync is running; it may have started before our COMMIT, so look again after
      done_.wait(lock);
      continue;
    }
    syncing_ = true;
    // Every ticket handed out so far belongs to a COMMIT that has written its frames.
    const std::uint64_t covers = committed_.load(std::memory_order_acquire);
    lock.unlock();
    Status s = sync_();
    syncs_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    syncing_ = false;
    if (s.ok()) {
      durable_ = std::max(durable_, covers);
    } else if (failed_.ok()) {
      failed_ = Status::Unavailable(s.message() + "; the store refuses writes until it has recovered");
    }
    done_.notify_all();
  }
  return Status::Ok();
}

Status GroupSync::Broken() {
  std::lock_guard lock(mu_);
  return failed_;
}

void GroupSync::Restart(std::function<Status()> sync) {
  std::unique_lock lock(mu_);
  done_.wait(lock, [&] { return !syncing_; });
  sync_ = std::move(sync);
  const std::uint64_t committed = committed_.load(std::memory_order_acquire);
  lost_after_ = durable_;
  lost_through_ = committed;
  durable_ = committed;
  failed_ = Status::Ok();
  done_.notify_all();
}

}  // namespace gb::sqlite
