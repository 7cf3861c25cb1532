// Pictures the scene generator composes from: a real street (the background of vtest.avi from
// the Debian package opencv-doc), real people cut out of that video's frames, the video's
// parked van, and objects drawn here (bags, boxes, posters). Nothing is downloaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "support/vtest.h"

namespace gb::scenes {

inline constexpr const char* kStreetVideo = testing::kVtestVideo;
inline constexpr const char* kStreetVideoPackage = testing::kVtestPackage;

// A picture with its own transparency, drawn with its bottom centre at a point.
struct Sprite {
  cv::Mat bgr;    // CV_8UC3
  cv::Mat alpha;  // CV_32F, 0..1, same size
};

struct Assets {
  cv::Mat street;               // 640×360 BGR: vtest.avi's empty street
  std::vector<Sprite> people;   // people as the video shows them, at the street's scale
  Sprite van;                   // the video's white van, at the street's scale
};

// Loaded once from kStreetVideo (about a second); throws std::runtime_error naming the package
// when the video is missing.
const Assets& LoadAssets();

// Objects drawn from `seed`: a dark rubbish bag, a cardboard box or a suitcase (kind 0, 1, 2),
// about `width` pixels wide; a poster `width`×`height` with blocks of colour and lettering.
Sprite DrawObject(int kind, int width, std::uint32_t seed);
Sprite DrawPoster(int width, int height, std::uint32_t seed);

// Draws `s` scaled by `scale` (mirrored when `flip`) with its bottom centre at `bottom`.
void Paste(cv::Mat& frame, const Sprite& s, cv::Point2f bottom, double scale, bool flip = false);

}  // namespace gb::scenes
