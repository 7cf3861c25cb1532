// The scenes the accuracy test runs: at least ten per rule (situations above and below each
// rule's minimum time, and the look-alikes each rule must ignore) and ten control scenes where
// nothing is to be reported, under every condition (noise, drift, sudden light changes, rain,
// shake, darkness, cloud shadows), each from its own seed.
//
// Every scene shows the same street with the same four zones: a parking strip
// (stationary_vehicle), a kerb (dumped_object), a building's facade (poster) and a square
// (crowding), so that each scene also checks the other three rules stay silent.
#pragma once

#include <cstdint>
#include <vector>

#include "scenes/scene.h"

namespace gb::scenes {

enum class SceneKind { kStationaryVehicle, kDumpedObject, kPoster, kCrowding, kControl };

// Scene `index` (0…) of `kind`; the seed is derived from both.
Scene MakeScene(SceneKind kind, int index);

// `per_kind` scenes of every kind.
std::vector<Scene> Catalogue(int per_kind = 12);

// The zones every scene has (min times: dwell 20 s, stay 15 s, crowd of 4 for 10 s).
edge::CameraConfig StreetCamera();

}  // namespace gb::scenes
