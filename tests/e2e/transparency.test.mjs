// The public transparency page lists every camera of the public map with its purpose,
// rules and reach, shows them on the map, publishes the audit log's head, says what the
// system cannot do, reads in German, and passes axe-core.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertAccessible, launchBrowser, newContext, screenshot } from './support/browser.mjs';
import { startHub } from './support/hub.mjs';

let hub, browser;
before(async () => { [hub, browser] = await Promise.all([startHub(), launchBrowser()]); });
after(async () => { await browser?.close(); await hub?.stop(); });

test('every camera of the public map is in the table "Cameras" and on the map', async () => {
  const map = await (await fetch(`${hub.url}/api/v1/public/map`)).json();
  const cameras = map.features.filter((f) => f.properties.layer === 'camera');
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/transparency/`);
  const table = page.getByRole('table', { name: 'Cameras' });
  await table.waitFor();
  assert.equal(await table.getByRole('row').count(), cameras.length + 1);
  for (const c of cameras) {
    const row = table.getByRole('row').filter({ has: page.getByRole('cell', { name: c.properties.id, exact: true }) });
    assert.equal(await row.count(), 1, c.properties.id);
    assert.match(await row.textContent(), new RegExp(`${Math.round(c.properties.range_m)} m`));
  }
  await page.getByRole('heading', { name: 'What this system cannot do' }).waitFor();
  await page.getByText(/Faces and people are blurred before any image is stored/).waitFor();
  await page.waitForFunction((n) => new RegExp(`Cameras \\(${n} shown\\)`).test(document.querySelector('.layers')?.textContent ?? ''), cameras.length);
  // The audit log's head, as the hub publishes it, for anyone to note.
  await page.getByRole('heading', { name: 'The audit log cannot be rewritten unseen' }).waitFor();
  const head = await (await fetch(`${hub.url}/api/v1/public/audit-head`)).json();
  assert.match(head.hash, /^[0-9a-f]{64}$/);
  assert.equal(await page.locator('code.audit-head').textContent(), head.hash);
  await page.getByText(new RegExp(`after ${head.entries} entries`)).waitFor();
  await screenshot(page, 'transparency');
  await assertAccessible(page, 'transparency page');
  await page.getByRole('link', { name: 'Deutsch' }).click();
  await page.getByRole('heading', { name: 'Was dieses System nicht kann' }).waitFor();
  await page.getByRole('table', { name: 'Kameras' }).waitFor();
  await screenshot(page, 'transparency-de');
  await assertAccessible(page, 'transparency page (de)');
  ctx.check();
  await ctx.close();
});

test('the transparency page fits a 320 px phone', async () => {
  const ctx = await newContext(browser, { viewport: { width: 320, height: 700 }, isMobile: true });
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/transparency/`);
  await page.getByRole('table', { name: 'Cameras' }).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'nothing wider than 320 px');
  await screenshot(page, 'transparency-320');
  ctx.check();
  await ctx.close();
});
