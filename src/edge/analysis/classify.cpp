#include "edge/analysis/classify.h"

namespace gb::edge {
namespace {

// Overlap that makes a detection the track's own: IoU, or the share of the detection inside the
// track's box when the detection fills a good part of it (one person of a group's blob).
constexpr double kMinIoU = 0.3;
constexpr double kMinInside = 0.7;
constexpr double kMinFill = 0.25;

// People and vehicles first: a person carrying a bag is a person.
int Rank(track::Kind k) {
  switch (k) {
    case track::Kind::kPerson:
    case track::Kind::kVehicle: return 2;
    case track::Kind::kBicycle: return 1;
    default: return 0;
  }
}

}  // namespace

track::Kind KindOf(vision::ObjectClass c) {
  using vision::ObjectClass;
  switch (c) {
    case ObjectClass::kPerson: return track::Kind::kPerson;
    case ObjectClass::kBicycle: return track::Kind::kBicycle;
    case ObjectClass::kCar:
    case ObjectClass::kMotorcycle:
    case ObjectClass::kBus:
    case ObjectClass::kTruck: return track::Kind::kVehicle;
    case ObjectClass::kBackpack:
    case ObjectClass::kHandbag:
    case ObjectClass::kSuitcase: return track::Kind::kBag;
  }
  return track::Kind::kNothing;
}

void ApplyDetections(track::Track& t, const std::vector<vision::Detection>& detections, std::int64_t now_ms) {
  const cv::Rect reach(t.box.x - t.box.width / 8, t.box.y - t.box.height / 8, t.box.width * 5 / 4, t.box.height * 5 / 4);
  const vision::Detection* best = nullptr;
  int people = 0;
  for (const vision::Detection& d : detections) {
    const bool own = track::IoU(d.box, t.box) >= kMinIoU ||
                     (track::FractionInside(d.box, reach) >= kMinInside && d.box.area() >= kMinFill * t.box.area());
    if (!own) continue;
    const track::Kind k = KindOf(d.cls);
    if (k == track::Kind::kPerson) ++people;
    if (best == nullptr || Rank(k) > Rank(KindOf(best->cls)) ||
        (Rank(k) == Rank(KindOf(best->cls)) && d.score > best->score)) {
      best = &d;
    }
  }
  t.kind = best != nullptr ? KindOf(best->cls) : track::Kind::kNothing;
  t.score = best != nullptr ? best->score : 0;
  t.people = people;
  t.ever_person = t.ever_person || t.kind == track::Kind::kPerson;
  t.ever_vehicle = t.ever_vehicle || t.kind == track::Kind::kVehicle;
  t.classified_ms = now_ms;
  if (t.at_rest) {
    t.classified_at_rest = true;
    ++t.rest_classifications;
  } else {
    ++t.moving_classifications;
  }
}

}  // namespace gb::edge
