#include "agent_files.h"

#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "edge_testing.h"

namespace gb::edge::testing {

namespace fs = std::filesystem;

std::string ScriptedAgentBinary() {
  return (fs::read_symlink("/proc/self/exe").parent_path() / "edge_agent_scripted").string();
}

std::string MakeTestClip(const std::string& path, int seconds) {
  auto r = Run({"/usr/bin/ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                "testsrc2=size=320x240:rate=10", "-t", std::to_string(seconds), "-c:v", "mpeg4", "-q:v", "5", path},
               path + ".ffmpeg");
  return r.exit == 0 && fs::exists(path) ? path : "";
}

std::string RecentEpoch() {
  using namespace std::chrono;
  TimeMs now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return FormatRfc3339((now - 3'600'000) / 1000 * 1000, false);
}

std::string CameraToml(const std::string& id, const std::string& source, const std::vector<ZoneSpec>& zones,
                       const std::string& epoch, const std::string& extra) {
  std::ostringstream t;
  t << "[[camera]]\nid = \"" << id << "\"\nsource = \"" << source << "\"\nlocation = [121.4797, 31.2366]\n";
  if (!epoch.empty()) t << "epoch = \"" << epoch << "\"\n";
  t << extra;
  for (const auto& z : zones)
    t << "[[camera.zone]]\nid = \"" << z.id << "\"\nrule = \"" << z.rule << "\"\ncategory = \"" << z.category
      << "\"\npolygon = [[0,0],[1,0],[1,1],[0,1]]\nmin_stay_s = " << z.every_s << "\nmin_count = 3\n";
  return t.str();
}

std::vector<nlohmann::json> ReadEvents(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it)
    if (!it->is_directory()) out.insert(fs::relative(it->path(), dir).string());
  return out;
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : hash) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

}  // namespace gb::edge::testing
