#include "core/geo.h"

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/is_valid.hpp>
#include <cmath>
#include <numbers>

namespace gb {
namespace {
constexpr double kEarthRadiusM = 6371008.8;
constexpr double kDeg = std::numbers::pi / 180.0;
}  // namespace

bool ValidLatLon(double lat, double lon) {
  return std::isfinite(lat) && std::isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

double DistanceMeters(LatLon a, LatLon b) {
  double dlat = (b.lat - a.lat) * kDeg, dlon = (b.lon - a.lon) * kDeg;
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(a.lat * kDeg) * std::cos(b.lat * kDeg) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

double FieldOfViewDeg(double focal_length_mm, double sensor_width_mm) {
  return 2 * std::atan(sensor_width_mm / (2 * focal_length_mm)) / kDeg;
}

LatLon Offset(LatLon origin, double bearing_deg, double distance_m) {
  double north = distance_m * std::cos(bearing_deg * kDeg), east = distance_m * std::sin(bearing_deg * kDeg);
  return {origin.lat + north / kEarthRadiusM / kDeg,
          origin.lon + east / (kEarthRadiusM * std::cos(origin.lat * kDeg)) / kDeg};
}

GeoPolygon CameraCoverage(LatLon position, double heading_deg, double focal_length_mm, double sensor_width_mm,
                          double range_m) {
  double fov = FieldOfViewDeg(focal_length_mm, sensor_width_mm);
  // One arc point every ≤ 5 degrees keeps the sector smooth on the map and small on the wire.
  int steps = std::max(2, static_cast<int>(std::ceil(fov / 5.0)));
  GeoPolygon poly;
  auto& ring = poly.outer();
  ring.push_back(ToPoint(position));
  for (int i = 0; i <= steps; ++i) ring.push_back(ToPoint(Offset(position, heading_deg - fov / 2 + fov * i / steps, range_m)));
  ring.push_back(ToPoint(position));
  boost::geometry::correct(poly);
  return poly;
}

Status NormalizePolygon(GeoPolygon& polygon) {
  for (const auto& p : polygon.outer())
    if (!ValidLatLon(p.y(), p.x())) return Status::Invalid("polygon has a coordinate out of range");
  if (polygon.outer().size() < 3) return Status::Invalid("polygon needs at least 3 points");
  boost::geometry::correct(polygon);
  std::string reason;
  if (!boost::geometry::is_valid(polygon, reason)) return Status::Invalid("invalid polygon: " + reason);
  return Status::Ok();
}

}  // namespace gb
