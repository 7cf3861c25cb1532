// The crew app offline: a task started and resolved with a note and a photo while there
// is no network (and no hub), the app reloaded offline with its outbox intact, then synced
// on reconnect to exactly one of each step in the incident's history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, screenshot, signIn } from './support/browser.mjs';
import { apiAs, event, ingest, moveTo, spot, startHub } from './support/hub.mjs';

const PHOTO = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';
let hub, browser;
before(async () => { [hub, browser] = await Promise.all([startHub(), launchBrowser()]); });
after(async () => { await browser?.close(); await hub?.stop(); });

test('a crew member works a task offline, reloads offline, and it syncs once on reconnect', async () => {
  const [a, b] = await ingest(hub, [event({ category: 'dumped_rubbish', ...spot(11) }), event({ category: 'illegal_parking', rule: 'stationary_vehicle', ...spot(15) })]);
  const dispatcher = await apiAs(hub, 'dispatcher');
  await moveTo(dispatcher, a.incident_id, 'dispatched');
  await moveTo(dispatcher, b.incident_id, 'dispatched');

  const ctx = await newContext(browser, { viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/crew/`);
  await signIn(page, hub, 'crew1');
  const tasks = page.getByRole('region', { name: 'My tasks' });
  const task = (id) => tasks.getByRole('listitem').filter({ has: page.getByRole('button', { name: new RegExp(`^#${id} `) }) });
  await task(a.incident_id).waitFor();
  await task(b.incident_id).waitFor();
  await page.getByText('ready offline').waitFor();

  // The crew member's own order, kept by the hub.
  const firstId = async () => Number((await tasks.getByRole('listitem').first().getByRole('button').first().textContent()).match(/\d+/)[0]);
  const top = await firstId();
  await tasks.getByRole('listitem').first().getByRole('button', { name: 'Move down' }).click();
  await page.waitForFunction((id) => !document.querySelector('.tasks li button').textContent.startsWith(`#${id} `), top);
  const order = (await (await apiAs(hub, 'crew1')).get('/api/v1/tasks')).body.items.map((t) => t.id);
  assert.notEqual(order[0], top, 'the new order is stored');
  await screenshot(page, 'crew-tasks');

  // No network and no hub.
  await ctx.setOffline(true);
  await hub.kill('SIGTERM');
  await task(a.incident_id).getByRole('button', { name: new RegExp(`^#${a.incident_id} `) }).click();
  const detail = page.getByRole('region', { name: new RegExp(`Task #${a.incident_id}`) });
  await detail.getByRole('button', { name: 'On my way' }).click();
  await page.getByText('Pending: 1').waitFor();
  await detail.getByRole('button', { name: 'Start' }).click();
  await page.getByText('Pending: 2').waitFor();
  await detail.getByLabel('Note').fill('Cleared; two bags left for collection');
  await detail.getByLabel('Photo').setInputFiles(PHOTO);
  await detail.getByRole('button', { name: 'Resolve' }).click();
  await page.getByText('Pending: 3').waitFor();
  await screenshot(page, 'crew-offline-pending');

  await page.reload();
  await page.getByText('Pending: 3').waitFor();
  await task(b.incident_id).waitFor();
  assert.equal(await task(a.incident_id).count(), 0, 'the resolved task waits in the outbox, not in the list');
  await screenshot(page, 'crew-offline-reloaded');

  await hub.start();
  await ctx.setOffline(false);
  await page.getByText('All sent').waitFor({ timeout: 30_000 });
  const history = (await dispatcher.get(`/api/v1/incidents/${a.incident_id}/history`)).body;
  const items = history.items;
  const count = (pred) => items.filter(pred).length;
  assert.equal(count((h) => h.to === 'in_progress'), 1, 'one start');
  assert.equal(count((h) => h.to === 'resolved'), 1, 'one resolve');
  assert.equal(count((h) => /on_my_way|en_route/.test(h.type ?? '')), 1, 'one "on my way"');
  const inc = (await dispatcher.get(`/api/v1/incidents/${a.incident_id}`)).body;
  assert.equal(inc.state, 'resolved');
  assert.ok(inc.en_route_at, 'en route time kept');
  assert.equal(inc.views.length, 1, 'the photo became the incident\'s evidence view');
  ctx.check();
  await ctx.close();
});
