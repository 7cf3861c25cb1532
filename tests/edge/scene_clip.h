// A generated street scene (tests/scenes) as an H.264 video file, encoded by the ffmpeg
// command: for the agent's end-to-end tests and edge_bench. Link gb_edge_scene_clip.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "scenes/scene.h"

namespace gb::edge::testing {

// The first `seconds` of `scene` (all of it when `seconds` <= 0) at `fps`, rendered at `size`
// (the scene's own when empty), written to `path`. False when ffmpeg failed.
bool MakeSceneClip(const scenes::Scene& scene, const std::string& path, double fps, double seconds = 0,
                   cv::Size size = {});

}  // namespace gb::edge::testing
