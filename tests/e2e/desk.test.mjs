// The dispatcher desk against a live hub: an ingested incident appears in the queue and on
// the map within a second without a reload, every layer draws its features, evidence opens
// only after a purpose (and that look is audited), dispatch, and the live stream resumes
// after the hub is killed and restarted, missing nothing and doubling nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, screenshot, signIn } from './support/browser.mjs';
import { apiAs, event, ingest, putEvidence, spot, startHub } from './support/hub.mjs';
import { ringCenter } from '../../web/src/lib/geo.js';

let hub, browser, ctx, page;
before(async () => {
  [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
  ctx = await newContext(browser);
  page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await signIn(page, hub, 'dispatcher');
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  await deskDrawn();
});
after(async () => { await browser?.close(); await hub?.stop(); });

// The desk marks when its first list is in the queue and on the map.
const deskDrawn = () => page.waitForFunction(() => performance.getEntriesByName('incidents-rendered').length > 0, null, { timeout: 30_000 });
const queue = () => page.getByRole('region', { name: 'Incidents' });
const row = (id) => queue().getByRole('row').filter({ has: page.getByRole('button', { name: `#${id}`, exact: true }) });
// The number of features the map says it draws for a layer group ("Cameras (48 shown)").
const layerToggle = (label) => page.getByRole('region', { name: 'Layers' }).getByRole('checkbox', { name: new RegExp(`^${label} \\(`) });
const layerCount = async (label) => Number((await layerToggle(label).locator('..').textContent()).match(/\((\d+) shown\)/)?.[1]);
async function waitForCount(label, n, timeout) {
  const end = Date.now() + timeout;
  while (await layerCount(label) !== n) {
    if (Date.now() > end) assert.equal(await layerCount(label), n, `${label} on the map`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('an ingested incident is in the queue and on the map within a second, without a reload', async () => {
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  const before = await layerCount('Incidents');
  // At a waste point, so that the site gets its red dot too.
  const map = await (await fetch(`${hub.url}/api/v1/public/map`)).json();
  const site = map.features.find((f) => f.properties.layer === 'area' && f.properties.kind === 'waste_point');
  const [lon, lat] = ringCenter(site.geometry.coordinates[0]);
  const sentAt = Date.now();
  const [result] = await ingest(hub, [event({ category: 'dumped_rubbish', lat, lon })]);
  assert.equal(result.status, 'stored');
  await row(result.incident_id).waitFor({ timeout: 5000 });
  await waitForCount('Incidents', before + 1, 5000);
  // When the page had it in the queue and drawn on the map (its own clock, not the
  // test driver's polling, which a busy software-rendered page slows down).
  const shownAt = await page.evaluate(async (name) => {
    while (!performance.getEntriesByName(name).length) await new Promise((r) => setTimeout(r, 20));
    return performance.timeOrigin + performance.getEntriesByName(name)[0].startTime;
  }, `incident-${result.incident_id}-rendered`);
  assert.ok(shownAt - sentAt <= 1000, `shown ${Math.round(shownAt - sentAt)} ms after it was sent`);
  assert.match(await row(result.incident_id).textContent(), /Dumped rubbish/);
  assert.equal(navigations, 0, 'the page did not reload');
  await screenshot(page, 'desk-live');
  ctx.check();
});

test('every layer draws what the public map holds', async () => {
  const map = await (await fetch(`${hub.url}/api/v1/public/map`)).json();
  const count = (layer) => map.features.filter((f) => f.properties.layer === layer).length;
  await page.waitForTimeout(200);
  assert.equal(await layerCount('Areas'), count('area'));
  assert.equal(await layerCount('Cameras'), count('camera'));
  assert.equal(await layerCount('Camera coverage'), count('camera_coverage'));
  assert.equal(await layerCount('Incidents'), count('incident'));
  assert.equal(await layerCount('Sites with open incidents'), 1, 'the waste point with the open incident has its red dot');
  // Switching a layer off hides its features.
  await layerToggle('Cameras').uncheck();
  await waitForCount('Cameras', 0, 2000);
  await layerToggle('Cameras').check();
  await waitForCount('Cameras', count('camera'), 2000);
});

test('evidence opens only after a purpose, and the look is audited with it', async () => {
  const jpeg = readFileSync('/usr/share/doc/opencv-doc/examples/data/messi5.jpg');
  const ref = await putEvidence(hub, jpeg);
  const [r] = await ingest(hub, [event({ category: 'illegal_parking', rule: 'stationary_vehicle', evidence: [ref], ...spot(2) })]);
  await row(r.incident_id).getByRole('button').click();
  const detail = page.getByRole('region', { name: new RegExp(`Incident #${r.incident_id}`) });
  await detail.getByRole('button', { name: 'Show 1 image' }).click();
  await detail.getByRole('alert').filter({ hasText: 'Choose why' }).waitFor();
  assert.equal(await detail.getByRole('img').count(), 0, 'no image without a purpose');
  const purposes = await (await fetch(`${hub.url}/api/v1/public/purposes`)).json();
  const purpose = purposes.items.find((p) => p.code !== 'other') ?? purposes.items[0];
  await detail.getByLabel('Purpose').selectOption(purpose.code);
  await detail.getByRole('button', { name: 'Show 1 image' }).click();
  const img = detail.getByRole('img', { name: /View 1 of incident/ });
  await img.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  await screenshot(page, 'desk-evidence');
  const privacy = await apiAs(hub, 'privacy');
  const audit = await privacy.get(`/api/v1/audit?action=evidence.read&object=${encodeURIComponent(`evidence/${ref}`)}`);
  assert.equal(audit.status, 200);
  assert.equal(audit.body.items.length, 1, 'one audited look');
  assert.match(audit.body.items[0].purpose, new RegExp(purpose.label));
  assert.equal(audit.body.items[0].actor, 'dispatcher');
  ctx.check();
});

test('a dispatcher dispatches an incident to a crew member', async () => {
  const [r] = await ingest(hub, [event({ category: 'dumped_rubbish', ...spot(3) })]);
  await row(r.incident_id).getByRole('button').click();
  const detail = page.getByRole('region', { name: new RegExp(`Incident #${r.incident_id}`) });
  await detail.getByLabel('Crew').selectOption('crew1');
  await detail.getByLabel('Note').fill('Bring the small van');
  await detail.getByRole('button', { name: 'Dispatch' }).click();
  await row(r.incident_id).getByText('dispatched').waitFor();
  const api = await apiAs(hub, 'dispatcher');
  const inc = await api.get(`/api/v1/incidents/${r.incident_id}`);
  assert.equal(inc.body.state, 'dispatched');
  assert.equal(inc.body.assignee, 'crew1');
  const history = await api.get(`/api/v1/incidents/${r.incident_id}/history`);
  const moves = history.body.items.filter((h) => h.to === 'dispatched');
  assert.equal(moves.length, 1, 'one transition to dispatched');
  await screenshot(page, 'desk-dispatched');
  ctx.check();
});

test('the live stream resumes after the hub is killed and restarted: nothing missed, nothing doubled', async () => {
  const [first] = await ingest(hub, [event({ category: 'dumped_rubbish', ...spot(4) })]);
  await row(first.incident_id).waitFor({ timeout: 2000 });
  await hub.kill('SIGKILL');
  await page.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor();
  await hub.start();
  // Changed while the desk is still away: it must arrive through Last-Event-ID on reconnect.
  const [missed] = await ingest(hub, [event({ category: 'illegal_parking', rule: 'stationary_vehicle', ...spot(5) })]);
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
  await row(missed.incident_id).waitFor({ timeout: 2000 });
  const [later] = await ingest(hub, [event({ category: 'dumped_rubbish', ...spot(6) })]);
  await row(later.incident_id).waitFor({ timeout: 1000 });
  for (const id of [first.incident_id, missed.incident_id, later.incident_id])
    assert.equal(await row(id).count(), 1, `incident ${id} is in the queue once`);
  ctx.check();
});

test('a long queue lists the newest hundred and shows more on request, every one counted', async () => {
  const events = Array.from({ length: 120 }, (_, i) => event({ category: 'illegal_parking', ...spot(300 + i) }));
  const results = await ingest(hub, events);
  assert.equal(results.filter((r) => r.status === 'stored').length, 120);
  // Counted once the stream has brought every one of them: as many as the hub holds open.
  const api = await apiAs(hub, 'dispatcher');
  const total = (await api.get('/api/v1/incidents?state=new,routed,dispatched,in_progress&limit=1000')).body.items.length;
  assert.ok(total >= 120, `${total} open`);
  const count = queue().getByText(/\d+ shown/);
  await queue().getByText(`${total} shown, newest 100 listed`).waitFor();
  const bodyRows = () => queue().locator('tbody').getByRole('row').count();
  assert.equal(await bodyRows(), 100);
  // The newest change is first, so the last one ingested is listed.
  await row(results.at(-1).incident_id).waitFor();
  // By keyboard: a click scrolls the button into view, which shows more by itself (the list
  // grows when scrolled to its end), and the rows that come move the button from under it.
  const more = queue().getByRole('button', { name: /^Show \d+ more of \d+$/ });
  await more.focus();
  await page.keyboard.press('Enter');
  await queue().getByText(total > 200 ? `${total} shown, newest 200 listed` : `${total} shown`, { exact: true }).waitFor();
  assert.equal(await bodyRows(), Math.min(total, 200));
  if (total <= 200) {
    assert.equal(await count.textContent(), `${total} shown`);
    assert.equal(await more.isVisible(), false, 'no "Show more" once every one is listed');
  }
  ctx.check();
});

test('incidents that arrive while the desk loads are each listed once, none missed', async () => {
  // Events keep coming while the page loads: some before its stream starts (they are in the
  // list), some between the stream's start and the list (in both), some after the hub took
  // the list but before the page has it (stream only). The hub's list answers are held back
  // a while, as a slow link would, so that the last kind is sure to happen.
  let held = 0;
  const hold = async (route) => {
    const response = await route.fetch();
    held += 1;
    await new Promise((resolve) => setTimeout(resolve, 400));
    await route.fulfill({ response });
  };
  await ctx.route(/\/api\/v1\/incidents\?/, hold);
  const ids = [];
  let loading = true;
  const burst = (async () => {
    for (let i = 0; loading && i < 60; ++i) {
      const [r] = await ingest(hub, [event({ category: 'dumped_rubbish', ...spot(200 + i) })]);
      assert.equal(r.status, 'stored');
      ids.push(r.incident_id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await page.goto(`${hub.url}/`);
  await deskDrawn();
  loading = false;
  await burst;
  await ctx.unroute(/\/api\/v1\/incidents\?/, hold);
  assert.ok(held >= 1, 'the list was held back');
  assert.ok(ids.length >= 5, `${ids.length} incidents arrived while the desk loaded`);
  const api = await apiAs(hub, 'dispatcher');
  const open = await api.get('/api/v1/incidents?state=new,routed,dispatched,in_progress&limit=1000');
  await queue().getByText(new RegExp(`^${open.body.items.length} shown`)).waitFor({ timeout: 2000 });
  for (const id of ids) {
    await row(id).waitFor({ timeout: 2000 });
    assert.equal(await row(id).count(), 1, `incident ${id} is in the queue once`);
  }
  ctx.check();
});
