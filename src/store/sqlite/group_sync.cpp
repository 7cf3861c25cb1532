#include "store/sqlite/group_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace gb::sqlite {

std::function<Status()> GroupSync::SyncFile(std::string wal_path) {
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
  return [file]() -> Status {
    if (file->fd < 0) {
      file->fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
      // No WAL yet: the commits so far wrote nothing (SQLite creates it with the first frame,
      // and never removes it while the writer is open).
      if (file->fd < 0 && errno == ENOENT) return Status::Ok();
      if (file->fd < 0)
        return Status::Unavailable("cannot open " + file->path + " to sync it: " + std::strerror(errno));
    }
    if (::fdatasync(file->fd) != 0)
      return Status::Unavailable("cannot sync " + file->path + " to disk: " + std::strerror(errno));
    return Status::Ok();
  };
}

Status GroupSync::WaitDurable(std::uint64_t ticket) {
  std::unique_lock lock(mu_);
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
      failed_ = Status::Unavailable(s.message() + "; the store refuses writes until the hub restarts");
    }
    done_.notify_all();
  }
  return Status::Ok();
}

Status GroupSync::Broken() {
  std::lock_guard lock(mu_);
  return failed_;
}

}  // namespace gb::sqlite
