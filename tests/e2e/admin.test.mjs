// Admin: the camera cone is redrawn while the heading is edited, with the hub's formula
// (what the page drew is what the hub stores), a refused change shows the hub's message at
// the form and changes nothing, and the routing tester explains a decision.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, screenshot, signIn } from './support/browser.mjs';
import { apiAs, startHub } from './support/hub.mjs';
import { cameraCoverage } from '../../web/src/lib/geo.js';

let hub, browser, ctx, page;
before(async () => {
  [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
  ctx = await newContext(browser, { viewport: { width: 1400, height: 1000 } });
  page = await ctx.newPage();
  await page.goto(`${hub.url}/admin/`);
  await signIn(page, hub, 'admin');
  await page.getByRole('heading', { name: 'Cameras' }).waitFor();
});
after(async () => { await browser?.close(); await hub?.stop(); });

const cameras = () => page.getByRole('region', { name: 'Cameras' });
const coverageOf = async (id) => (await (await fetch(`${hub.url}/api/v1/public/map`)).json()).features
  .find((f) => f.properties.layer === 'camera_coverage' && f.properties.id === id);

test('the cone follows the heading while editing, and the hub stores the same cone', async () => {
  await cameras().getByLabel('Camera', { exact: true }).selectOption('cam-01');
  const canvas = page.getByRole('region', { name: 'Map', exact: true });
  await page.waitForTimeout(300);
  const before = await canvas.screenshot();
  const heading = cameras().getByLabel('Heading');
  const h0 = Number(await heading.inputValue());
  await heading.fill(String((h0 + 120) % 360));
  await cameras().getByText(`towards ${(h0 + 120) % 360}°`).waitFor();
  await page.waitForTimeout(300);
  const afterEdit = await canvas.screenshot();
  assert.notDeepEqual(afterEdit, before, 'the map was redrawn');
  await screenshot(page, 'admin-cone');
  await cameras().getByRole('button', { name: 'Save camera' }).click();
  await page.getByText('Camera cam-01 saved').waitFor();
  const stored = await coverageOf('cam-01');
  const cam = (await (await apiAs(hub, 'admin')).get('/api/v1/cameras/cam-01')).body;
  assert.equal(cam.properties.heading_deg, (h0 + 120) % 360);
  const drawn = cameraCoverage(cam.geometry.coordinates, cam.properties.heading_deg, cam.properties.focal_length_mm,
    cam.properties.sensor_width_mm, cam.properties.range_m);
  const ring = stored.geometry.coordinates[0];
  assert.equal(ring.length, drawn.length);
  const key = (p) => `${p[0].toFixed(9)},${p[1].toFixed(9)}`;
  assert.deepEqual(new Set(ring.map(key)), new Set(drawn.map(key)), 'the same cone, point for point');
  ctx.check();
});

test('a refused camera shows the hub\'s message at the form and changes nothing', async () => {
  const before = await coverageOf('cam-02');
  await cameras().getByLabel('Camera', { exact: true }).selectOption('cam-02');
  await cameras().getByLabel('Range').fill('0');
  await cameras().getByText('No cone').waitFor();
  await cameras().getByRole('button', { name: 'Save camera' }).click();
  const alert = cameras().getByRole('alert').filter({ hasText: /range/i });
  await alert.waitFor();
  assert.deepEqual(await coverageOf('cam-02'), before);
  ctx.check();
});

test('the routing tester says why a report would go where it goes', async () => {
  const tester = page.getByRole('region', { name: 'Why would this go to…' });
  await page.getByRole('radio', { name: 'routing test point' }).check();
  const box = await page.getByRole('region', { name: 'Map', exact: true }).boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const lat = await tester.getByLabel('Latitude').inputValue();
  const lon = await tester.getByLabel('Longitude').inputValue();
  assert.ok(lat && lon, 'the clicked point fills the fields');
  await tester.getByLabel('Category').selectOption({ label: 'Dumped rubbish' });
  await tester.getByRole('button', { name: 'Explain' }).click();
  const api = await apiAs(hub, 'admin');
  const expected = (await api.get(`/api/v1/routing/explain?category=dumped_rubbish&lat=${lat}&lon=${lon}`)).body;
  await tester.getByText(expected.explanation).waitFor();
  await tester.getByText(expected.department_id, { exact: true }).waitFor();
  await screenshot(page, 'admin-routing-tester');
  ctx.check();
});
