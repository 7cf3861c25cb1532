#include "core/data_dir.h"

#include <filesystem>
#include <system_error>

namespace gb {

namespace fs = std::filesystem;

const std::string& InstalledDataDir() {
  static const std::string dir = [] {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::string();
    const fs::path data = exe.parent_path().parent_path() / "share" / "glassbrain";
    return fs::is_directory(data, ec) ? data.string() : std::string();
  }();
  return dir;
}

std::string DataPath(const std::string& installed, const std::string& built) {
  const std::string& dir = InstalledDataDir();
  return dir.empty() ? built : dir + "/" + installed;
}

std::string ModelPath(const std::string& built) {
  return DataPath("models/" + fs::path(built).filename().string(), built);
}

std::string DataOrigin() {
  const std::string& dir = InstalledDataDir();
  return dir.empty() ? "the source tree it was built from" : "the installed data directory " + dir;
}

}  // namespace gb
