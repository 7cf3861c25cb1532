// Geometry on WGS84 degrees, the same formulas as the hub's core/geo.cpp so that what the
// admin page draws while editing is what the hub will store.

const EARTH_RADIUS_M = 6371008.8;
const DEG = Math.PI / 180;

// Horizontal field of view of a lens on a sensor: 2·atan(w / 2f), in degrees.
export function fieldOfViewDeg(focalLengthMm, sensorWidthMm) {
  return (2 * Math.atan(sensorWidthMm / (2 * focalLengthMm))) / DEG;
}

// The point distanceM from [lon, lat] towards compass bearingDeg (0 = north, clockwise).
export function offset([lon, lat], bearingDeg, distanceM) {
  const north = distanceM * Math.cos(bearingDeg * DEG);
  const east = distanceM * Math.sin(bearingDeg * DEG);
  return [lon + east / (EARTH_RADIUS_M * Math.cos(lat * DEG)) / DEG, lat + north / EARTH_RADIUS_M / DEG];
}

// The ground a camera sees: a sector from `position` ([lon, lat]) of radius rangeM around
// headingDeg, opening the lens' field of view; one arc point every ≤ 5°. A closed ring,
// or null when the lens or range is not positive (the hub refuses those).
export function cameraCoverage(position, headingDeg, focalLengthMm, sensorWidthMm, rangeM) {
  if (!(focalLengthMm > 0 && sensorWidthMm > 0 && rangeM > 0)) return null;
  const fov = fieldOfViewDeg(focalLengthMm, sensorWidthMm);
  const steps = Math.max(2, Math.ceil(fov / 5));
  const ring = [position];
  for (let i = 0; i <= steps; ++i) ring.push(offset(position, headingDeg - fov / 2 + (fov * i) / steps, rangeM));
  ring.push(position);
  return ring;
}

export function distanceM([lon1, lat1], [lon2, lat2]) {
  const dlat = (lat2 - lat1) * DEG, dlon = (lon2 - lon1) * DEG;
  const a = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.sin(dlon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// The mean of a polygon's outer ring (without the closing point): where a site's dot goes.
export function ringCenter(ring) {
  const pts = ring.length > 1 && ring[0][0] === ring.at(-1)[0] && ring[0][1] === ring.at(-1)[1] ? ring.slice(0, -1) : ring;
  const sum = pts.reduce((acc, [x, y]) => [acc[0] + x, acc[1] + y], [0, 0]);
  return [sum[0] / pts.length, sum[1] / pts.length];
}

// [[minLon, minLat], [maxLon, maxLat]] of every coordinate in a FeatureCollection.
export function bounds(features) {
  let minX = 180, minY = 90, maxX = -180, maxY = -90;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else c.forEach(visit);
  };
  for (const f of features) visit(f.geometry.coordinates);
  return minX <= maxX ? [[minX, minY], [maxX, maxY]] : null;
}
