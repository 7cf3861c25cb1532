// render_scene KIND INDEX OUT_DIR [FPS]: writes scene INDEX of KIND (stationary_vehicle,
// dumped_object, poster, crowding, control) as OUT_DIR/<ms>.png frames and OUT_DIR/truth.json.
// render_scene KIND INDEX - [FPS] [WIDTHxHEIGHT]: raw BGR frames to standard output instead, for
// `ffmpeg -f rawvideo -pix_fmt bgr24 -s WxH -r FPS -i - …`.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "scenes/catalogue.h"

int main(int argc, char** argv) {
  using gb::scenes::SceneKind;
  const std::map<std::string, SceneKind> kinds = {{"stationary_vehicle", SceneKind::kStationaryVehicle},
                                                  {"dumped_object", SceneKind::kDumpedObject},
                                                  {"poster", SceneKind::kPoster},
                                                  {"crowding", SceneKind::kCrowding},
                                                  {"control", SceneKind::kControl}};
  if (argc < 4 || kinds.count(argv[1]) == 0) {
    std::cerr << "usage: render_scene KIND INDEX OUT_DIR|- [FPS] [WIDTHxHEIGHT]\n";
    return 2;
  }
  gb::scenes::Scene scene = gb::scenes::MakeScene(kinds.at(argv[1]), std::atoi(argv[2]));
  const double fps = argc > 4 ? std::atof(argv[4]) : 5;
  int w = 0, h = 0;
  if (argc > 5 && std::sscanf(argv[5], "%dx%d", &w, &h) == 2 && w > 0 && h > 0) scene.size = {w, h};
  const std::string out = argv[3];
  const int frames = static_cast<int>(scene.duration_s * fps);
  for (int i = 0; i < frames; ++i) {
    const cv::Mat f = scene.Render(i / fps);
    if (out == "-") {
      std::fwrite(f.data, 1, f.total() * f.elemSize(), stdout);
    } else {
      cv::imwrite(out + "/" + std::to_string(static_cast<long>(i * 1000 / fps)) + ".png", f);
    }
  }
  if (out != "-") std::ofstream(out + "/truth.json") << scene.TruthJson() << "\n";
  return 0;
}
