// Geometry on WGS84 degrees. Points are (x = longitude, y = latitude). At district scale
// (a few km) planar operations on degrees are exact enough for containment tests; distances
// use the haversine formula in metres.
#pragma once

#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <string>

#include "core/status.h"

namespace gb {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

using GeoPoint = boost::geometry::model::d2::point_xy<double>;  // x = lon, y = lat
using GeoPolygon = boost::geometry::model::polygon<GeoPoint>;   // clockwise outer ring, closed
using GeoBox = boost::geometry::model::box<GeoPoint>;

inline GeoPoint ToPoint(LatLon p) { return GeoPoint(p.lon, p.lat); }

// True when lat ∈ [-90, 90], lon ∈ [-180, 180] and both are finite.
bool ValidLatLon(double lat, double lon);

// Great-circle distance in metres.
double DistanceMeters(LatLon a, LatLon b);

// Horizontal field of view in degrees of a lens on a sensor: 2·atan(w / 2f).
double FieldOfViewDeg(double focal_length_mm, double sensor_width_mm);

// The ground area a camera sees: a circular sector from `position` with radius `range_m`,
// centred on compass `heading_deg` (0 = north, clockwise) and opening the lens' field of view.
// REQUIRES: focal_length_mm > 0, sensor_width_mm > 0, range_m > 0.
GeoPolygon CameraCoverage(LatLon position, double heading_deg, double focal_length_mm, double sensor_width_mm,
                          double range_m);

// Fixes ring orientation and closure, then checks validity (no self-intersection, ≥ 3
// distinct points, coordinates in range). Returns a message naming the problem.
Status NormalizePolygon(GeoPolygon& polygon);

// The point `distance_m` from `origin` towards compass `bearing_deg` (small-distance approximation).
LatLon Offset(LatLon origin, double bearing_deg, double distance_m);

}  // namespace gb
