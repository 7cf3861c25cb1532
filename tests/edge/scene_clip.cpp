#include "scene_clip.h"

#include <cstdio>

namespace gb::edge::testing {

bool MakeSceneClip(const scenes::Scene& scene, const std::string& path, double fps, double seconds, cv::Size size) {
  scenes::Scene sized = scene;
  if (!size.empty()) sized.size = size;
  const std::string cmd = "ffmpeg -y -loglevel error -f rawvideo -pix_fmt bgr24 -s " +
                          std::to_string(sized.size.width) + "x" + std::to_string(sized.size.height) + " -r " +
                          std::to_string(fps) + " -i - -c:v libx264 -preset veryfast -pix_fmt yuv420p '" + path + "'";
  FILE* pipe = popen(cmd.c_str(), "w");
  if (!pipe) return false;
  const int frames = static_cast<int>((seconds > 0 ? seconds : scene.duration_s) * fps);
  for (int i = 0; i < frames; ++i) {
    const cv::Mat f = sized.Render(i / fps);
    std::fwrite(f.data, 1, f.total() * f.elemSize(), pipe);
  }
  return pclose(pipe) == 0;
}

}  // namespace gb::edge::testing
