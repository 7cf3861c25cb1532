// The edge agent's configuration: one TOML file (docs/edge.md), parsed and checked whole.
// Plain data; ParseEdgeConfig (config.cpp) fills it and lists every problem it finds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/geo.h"
#include "core/time.h"

namespace gb::edge {

enum class RuleKind { kStationaryVehicle, kDumpedObject, kPoster, kCrowding, kNoHelmet };

// "stationary_vehicle", …: the rule's name in the config and on the wire.
std::string_view RuleKindName(RuleKind rule);
std::optional<RuleKind> ParseRuleKind(std::string_view name);

struct ZoneConfig {
  std::string id;
  RuleKind rule = RuleKind::kStationaryVehicle;
  std::string category;                           // the hub's service code
  std::vector<std::pair<double, double>> polygon;  // [x, y] in 0..1 of the frame, origin top left
  LatLon location;                                 // default: the camera's
  double min_area = 0, max_area = 1;               // object box / frame area; defaults per rule
  double min_dwell_s = 60;                         // stationary_vehicle
  double min_stay_s = 30;                          // dumped_object, poster
  int min_count = 10;                              // crowding: this many people …
  double min_s = 30;                               // … for this long
  std::string model, classes;                      // no_helmet: ONNX file and its class names
};

struct CameraConfig {
  std::string id;      // the hub's camera id (the event's source.id)
  std::string source;  // RTSP/HTTP URL or file
  LatLon location;
  double analysis_fps = 5;
  int analysis_width = 640;
  bool realtime = false;             // file: paced or as fast as possible
  bool loop = false;                 // file: restart at its end
  std::optional<TimeMs> epoch;       // file: time of its first frame; nullopt = when opened
  std::vector<ZoneConfig> zones;
};

// The [agent] table: what the process as a whole does.
struct AgentConfig {
  std::string spool_dir = "edge-spool";          // absolute once parsed (relative: from the file)
  std::int64_t spool_max_bytes = 1LL << 30;      // full: oldest events dropped, counted, logged
  std::string metrics_listen = "127.0.0.1:9464";  // HOST:PORT of /metrics and /healthz; "" = off
  std::vector<std::string> keep_plates_for;      // categories whose evidence keeps plates readable
};

// The [hub] table: where live mode delivers.
struct HubConfig {
  std::string url;            // "http://host:port" (a path prefix is allowed)
  std::string token;          // the edge token, from `token` or read from `token_file`
  double max_backoff_s = 30;  // retry delay: 1 s doubling to this, jittered
};

struct EdgeConfig {
  std::string path;  // the file it was read from
  AgentConfig agent;
  std::optional<HubConfig> hub;  // absent: --check and --dry-run still work
  std::vector<CameraConfig> cameras;
};

// True when `source` names a stream (rtsp://, rtsps://, http://, https://) rather than a file.
bool IsStreamSource(std::string_view source);

// Parses `text` (the contents of the file `path`) into `out`. Returns every problem found, in
// the order of their lines, one line each, "PATH:LINE: where: what", e.g.
// "edge.toml:12: camera 0 (cam-04) zone 1 (bus-stop): min_dwell_s must be > 0, got -5".
// Unknown keys and wrong types are problems; relative paths (spool_dir, token_file, file
// sources, model, classes) are made absolute from the file's directory. `out` is usable only
// when the list is empty.
std::vector<std::string> ParseEdgeConfig(std::string_view text, const std::string& path, EdgeConfig& out);

// Reads the file, then ParseEdgeConfig.
std::vector<std::string> LoadEdgeConfig(const std::string& path, EdgeConfig& out);

// The zones of all cameras.
int CountZones(const EdgeConfig& config);

}  // namespace gb::edge
