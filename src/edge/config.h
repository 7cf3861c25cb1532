// The edge agent's configuration: one TOML file (docs/edge.md), parsed and checked whole.
// Plain data; ParseEdgeConfig (config.cpp) fills it and lists every problem it finds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/geo.h"
#include "core/time.h"

namespace gb::edge {

enum class RuleKind { kStationaryVehicle, kDumpedObject, kPoster, kCrowding, kNoHelmet };

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

}  // namespace gb::edge
