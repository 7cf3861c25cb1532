// The admin page draws camera cones with web/src/lib/geo.js; it must be the hub's formula
// (core/geo.cpp CameraCoverage): a sector of the lens' field of view, `range` long, centred
// on the compass heading, one arc point every ≤ 5°.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cameraCoverage, distanceM, fieldOfViewDeg, offset } from '../../web/src/lib/geo.js';

const CAM = [121.482226, 31.236393];

test('the field of view is 2·atan(w / 2f)', () => {
  assert.ok(Math.abs(fieldOfViewDeg(6, 5.6) - 50.03) < 0.01);
  assert.ok(Math.abs(fieldOfViewDeg(2.8, 5.6) - 90) < 1e-9);
});

test('a cone starts and ends at the camera, and its arc is `range` away', () => {
  const ring = cameraCoverage(CAM, 193, 6, 5.6, 80);
  const steps = Math.ceil(fieldOfViewDeg(6, 5.6) / 5);
  assert.equal(ring.length, steps + 3);
  assert.deepEqual(ring[0], CAM);
  assert.deepEqual(ring.at(-1), CAM);
  for (const p of ring.slice(1, -1)) assert.ok(Math.abs(distanceM(CAM, p) - 80) < 0.5, `${distanceM(CAM, p)} m`);
});

test('the cone opens around the heading, compass-wise', () => {
  for (const heading of [0, 90, 193, 270]) {
    const ring = cameraCoverage(CAM, heading, 4, 5.6, 100);
    const arc = ring.slice(1, -1);
    const mid = arc[Math.floor(arc.length / 2)];
    const expected = offset(CAM, heading, 100);
    assert.ok(distanceM(mid, expected) < 0.5, `heading ${heading}: middle of the arc ${distanceM(mid, expected)} m off`);
  }
  const north = cameraCoverage(CAM, 0, 4, 5.6, 100);
  assert.ok(north.slice(1, -1).every((p) => p[1] > CAM[1]), 'a camera facing north sees north of itself');
});

test('a lens or range that is not positive has no cone (the hub refuses it)', () => {
  assert.equal(cameraCoverage(CAM, 10, 0, 5.6, 80), null);
  assert.equal(cameraCoverage(CAM, 10, 6, 5.6, 0), null);
  assert.equal(cameraCoverage(CAM, 10, 6, -1, 80), null);
});
