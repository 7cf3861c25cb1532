// What the agent's process tests share: the scripted agent binary, test videos, configs and
// checks of what the agent wrote.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.h"

namespace gb::edge::testing {

inline constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";        // 768×576, 10 fps, 79.5 s
inline constexpr const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";  // 720×528, 24 fps, 11.3 s

// edge_agent_scripted, built next to the test binaries.
std::string ScriptedAgentBinary();

// A clip of ffmpeg's moving test pattern (320×240, 10 fps, `seconds` long, MPEG-4 in AVI),
// made at `path` with the ffmpeg command; "" when ffmpeg failed, else `path`.
std::string MakeTestClip(const std::string& path, int seconds);

// An hour before now, whole seconds, RFC 3339: an epoch the hub accepts (not in the future).
std::string RecentEpoch();

struct ZoneSpec {
  std::string id, rule, category;
  double every_s;  // the scripted analyzer fires every min_stay_s seconds
};

// One [[camera]] table (with its zones) for a config file.
std::string CameraToml(const std::string& id, const std::string& source, const std::vector<ZoneSpec>& zones,
                       const std::string& epoch = "", const std::string& extra = "");

// The lines of events.jsonl, parsed.
std::vector<nlohmann::json> ReadEvents(const std::string& jsonl_path);

// Every regular file under `dir`, as paths relative to it.
std::set<std::string> FilesUnder(const std::string& dir);

std::string Sha256Hex(const std::string& bytes);

}  // namespace gb::edge::testing
