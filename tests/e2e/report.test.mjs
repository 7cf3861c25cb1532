// The residents' report page and the follow page, as a resident on a phone would use them:
// a report with a photo, following it, saying "No" once it is closed (it opens again),
// open reports nearby, the pin by keyboard alone, German, errors beside the form with the
// input kept, 320 px, and axe-core finding nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { assertAccessible, launchBrowser, newContext, screenshot } from './support/browser.mjs';
import { apiAs, moveTo, startHub } from './support/hub.mjs';

const PHOTO = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';
const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };
let hub, browser;
before(async () => {
  const config = join(tmpdir(), `glassbrain-e2e-report-${process.pid}.toml`);
  writeFileSync(config, '[open311]\nposts_per_minute = 3\n');
  [hub, browser] = await Promise.all([startHub({ args: ['--config', config] }), launchBrowser()]);
});
after(async () => { await browser?.close(); await hub?.stop(); });

async function fillReport(page, { category = 'Dumped rubbish', lat = '31.2300', lon = '121.4700', description }) {
  await page.getByLabel('Category').selectOption({ label: category });
  await page.getByLabel('Latitude').fill(lat);
  await page.getByLabel('Longitude').fill(lon);
  if (description) await page.getByLabel('Description').fill(description);
}

test('a resident reports with a photo, follows it, and says "No" when it is closed: it opens again', async () => {
  const ctx = await newContext(browser, PHONE);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/report/`);
  await page.getByRole('region', { name: 'Map', exact: true }).waitFor();
  await screenshot(page, 'report-phone');
  await fillReport(page, { description: 'Three mattresses beside the bins' });
  await page.getByLabel('Photo').setInputFiles(PHOTO);
  await page.getByLabel('Email').fill('resident@example.org');
  await page.getByRole('button', { name: 'Send report' }).click();
  const heading = page.getByRole('heading', { name: /^Request \d+$/ });
  await heading.waitFor();
  const id = (await heading.textContent()).match(/\d+/)[0];
  const [stored] = await (await fetch(`${hub.url}/open311/v2/requests/${id}.json`)).json();
  assert.equal(stored.description, 'Three mattresses beside the bins');
  assert.ok(stored.media_url, 'the photo was stored with the report');
  await screenshot(page, 'report-sent');

  await page.getByRole('link', { name: 'Follow this request' }).click();
  await page.getByRole('heading', { name: `Request ${id}` }).waitFor();
  await page.getByText('open', { exact: true }).waitFor();
  await page.getByRole('img', { name: /Photo sent with the report/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'No' }).count(), 0, 'no feedback while open');

  const dispatcher = await apiAs(hub, 'dispatcher');
  const incidentId = (await dispatcher.get('/api/v1/incidents?limit=100')).body.items
    .find((i) => i.latest_report?.service_request_id === id).id;
  await moveTo(dispatcher, incidentId, 'resolved');
  await page.reload();
  await page.getByRole('heading', { name: 'Was it fixed?' }).waitFor();
  await screenshot(page, 'follow-closed');
  await page.getByLabel('Comment (optional)').fill('Still there this morning');
  await page.getByRole('button', { name: 'No', exact: true }).click();
  await page.getByRole('main').getByText('The request is open again').waitFor();
  await page.getByText('open', { exact: true }).waitFor();
  const [after] = await (await fetch(`${hub.url}/open311/v2/requests/${id}.json`)).json();
  assert.equal(after.status, 'open');
  assert.equal((await dispatcher.get(`/api/v1/incidents/${incidentId}`)).body.state, 'routed');
  assert.equal(await page.getByRole('button', { name: 'No', exact: true }).count(), 0, 'asked once only');
  await assertAccessible(page, 'follow page');
  ctx.check();
  await ctx.close();
});

test('open reports of the category nearby are listed, with a way to follow them instead', async () => {
  const ctx = await newContext(browser, PHONE);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/report/`);
  await fillReport(page, { lat: '31.23005', lon: '121.47005' });  // a few metres from the first test's report
  const nearby = page.getByRole('region', { name: 'Already reported nearby' });
  const follow = nearby.getByRole('link', { name: 'Follow this instead' });
  await follow.first().waitFor();
  await nearby.getByText('Three mattresses beside the bins').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Send report' }).isEnabled(), true, 'the form stays usable');
  await page.getByLabel('Category').selectOption({ label: 'Illegal parking' });
  await nearby.getByText('Nothing of this kind is open within 250 m.').waitFor();
  await page.getByLabel('Category').selectOption({ label: 'Dumped rubbish' });
  await follow.first().click();
  await page.getByRole('heading', { name: /^(Request|Incident) \d+$/ }).waitFor();
  ctx.check();
  await ctx.close();
});

test('the pin moves by keyboard alone and the report is sent without a mouse', async () => {
  const ctx = await newContext(browser, { viewport: { width: 1024, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/report/`);
  await page.getByRole('region', { name: 'Map', exact: true }).waitFor();
  const lat0 = Number(await page.getByLabel('Latitude').inputValue());
  const lon0 = Number(await page.getByLabel('Longitude').inputValue());
  // Tab from the page's start to the category, choose with the keyboard, on to the map.
  for (let i = 0; i < 30 && !(await page.getByLabel('Category').evaluate((el) => el === document.activeElement)); ++i) await page.keyboard.press('Tab');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  assert.equal(await page.getByRole('region', { name: 'Map', exact: true }).evaluate((el) => el === document.activeElement), true, 'the map takes focus');
  await page.keyboard.press('Shift+ArrowUp');
  await page.keyboard.press('ArrowRight');
  const lat1 = Number(await page.getByLabel('Latitude').inputValue());
  const lon1 = Number(await page.getByLabel('Longitude').inputValue());
  assert.ok(lat1 > lat0 + 0.0004 && lat1 < lat0 + 0.0005, `50 m north: ${lat0} → ${lat1}`);
  assert.ok(lon1 > lon0, `5 m east: ${lon0} → ${lon1}`);
  const focusVisible = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(focusVisible, 'none', 'the focused map shows its focus');
  await page.getByLabel('Description').focus();
  await page.keyboard.type('Broken bench');
  await page.getByRole('button', { name: 'Send report' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /^Request \d+$/ }).waitFor();
  ctx.check();
  await ctx.close();
});

test('German, at 320 px, with the hub\'s refusal beside the form and the input kept', async () => {
  const ctx = await newContext(browser, { ...PHONE, viewport: { width: 320, height: 700 } });
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/report/`);
  await page.getByRole('link', { name: 'Deutsch' }).click();
  await page.getByRole('button', { name: 'Meldung senden' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'nothing wider than 320 px');
  await screenshot(page, 'report-de-320');
  await assertAccessible(page, 'report page (de)');
  // posts_per_minute = 3: sending on, the hub soon refuses, and says so beside the form.
  const refused = page.getByRole('alert').filter({ hasText: 'zu viele Meldungen' });
  for (let i = 0; i < 4 && !(await refused.count()); ++i) {
    await page.getByLabel('Kategorie').selectOption({ label: 'Dumped rubbish' });
    await page.getByLabel('Breitengrad').fill('31.2250');
    await page.getByLabel('Längengrad').fill('121.4650');
    await page.getByLabel('Beschreibung').fill('Noch mehr Sperrmüll');
    await page.getByRole('button', { name: 'Meldung senden' }).click();
    await page.getByRole('button', { name: 'Meldung senden' }).waitFor();  // the answer is in
  }
  await refused.waitFor({ timeout: 2000 });
  assert.equal(await page.getByLabel('Beschreibung').inputValue(), 'Noch mehr Sperrmüll', 'the input is kept');
  await screenshot(page, 'report-de-refused');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Send report' }).waitFor();
  await assertAccessible(page, 'report page (en)');
  ctx.check();
  await ctx.close();
});
