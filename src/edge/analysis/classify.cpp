#include "edge/analysis/classify.h"

#include <algorithm>

namespace gb::edge {
namespace {

// Overlap that makes a detection the track's own: IoU, or the share of the detection inside the
// track's box when the detection fills a good part of it (one person of a group's blob).
constexpr double kMinIoU = 0.3;
constexpr double kMinInside = 0.7;
constexpr double kMinFill = 0.25;
// A thing at rest the detector called nothing is looked at again this often, this many times
// in all.
constexpr std::int64_t kRetryRestMs = 4000;
constexpr int kRestLooks = 3;
// A moving track is looked at again when its area has changed by this factor either way, at
// most this often, this many times in all.
constexpr double kResized = 1.5;
constexpr std::int64_t kRetryMovingMs = 1000;
constexpr int kMovingLooks = 3;

// People and vehicles first: a person carrying a bag is a person.
int Rank(track::Kind k) {
  switch (k) {
    case track::Kind::kPerson:
    case track::Kind::kVehicle: return 2;
    case track::Kind::kBicycle: return 1;
    default: return 0;
  }
}

bool Known(const track::Track& t) { return t.ever_person || t.ever_vehicle; }

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

bool ClassificationDue(const track::Track& t, std::int64_t now_ms) {
  if (t.background) return false;
  if (t.classified_ms < 0) return true;
  const std::int64_t since = now_ms - t.classified_ms;
  if (t.at_rest) {
    if (Known(t)) return false;
    if (!t.classified_at_rest) return true;
    return t.kind != track::Kind::kPerson && t.rest_classifications < kRestLooks && since >= kRetryRestMs;
  }
  const double ratio = static_cast<double>(t.box.area()) / std::max(1, t.classified_box.area());
  const bool resized = ratio >= kResized || ratio <= 1 / kResized;
  if (!resized || since < kRetryMovingMs) return false;
  return !Known(t) && t.moving_classifications < kMovingLooks;
}

void ApplyDetections(track::Track& t, const std::vector<vision::Detection>& detections, std::int64_t now_ms) {
  const cv::Rect reach(t.box.x - t.box.width / 8, t.box.y - t.box.height / 8, t.box.width * 5 / 4, t.box.height * 5 / 4);
  const vision::Detection* best = nullptr;
  t.people.clear();
  for (const vision::Detection& d : detections) {
    const track::Kind k = KindOf(d.cls);
    const bool inside = track::FractionInside(d.box, reach) >= kMinInside;
    const bool own = track::IoU(d.box, t.box) >= kMinIoU || (inside && d.box.area() >= kMinFill * t.box.area()) ||
                     (!t.at_rest && k == track::Kind::kPerson && track::FractionInside(t.box, d.box) >= kMinInside);
    if (k == track::Kind::kPerson && (own || inside)) t.people.push_back(d.box);
    if (!own) continue;
    if (best == nullptr || Rank(k) > Rank(KindOf(best->cls)) ||
        (Rank(k) == Rank(KindOf(best->cls)) && d.score > best->score)) {
      best = &d;
    }
  }
  t.kind = best != nullptr ? KindOf(best->cls) : track::Kind::kNothing;
  t.score = best != nullptr ? best->score : 0;
  t.ever_person = t.ever_person || t.kind == track::Kind::kPerson;
  t.ever_vehicle = t.ever_vehicle || t.kind == track::Kind::kVehicle;
  t.classified_ms = now_ms;
  t.classified_box = t.box;
  if (t.at_rest) {
    t.classified_at_rest = true;
    ++t.rest_classifications;
  } else {
    ++t.moving_classifications;
  }
}

std::vector<cv::Rect> JoinRegions(std::vector<cv::Rect> regions, int max_side) {
  // Greedily, the pair with the smallest union first, until no pair fits.
  while (regions.size() > 1) {
    size_t best_i = 0, best_j = 0;
    double best_area = -1;
    for (size_t i = 0; i < regions.size(); ++i) {
      for (size_t j = i + 1; j < regions.size(); ++j) {
        const cv::Rect u = regions[i] | regions[j];
        if (u.width > max_side || u.height > max_side) continue;
        if (best_area < 0 || u.area() < best_area) {
          best_area = u.area();
          best_i = i;
          best_j = j;
        }
      }
    }
    if (best_area < 0) break;
    regions[best_i] |= regions[best_j];
    regions.erase(regions.begin() + static_cast<std::ptrdiff_t>(best_j));
  }
  return regions;
}

}  // namespace gb::edge
