// Each role's sign-in on the desk and the crew app, the session restored after a reload,
// sign-out, and a refused password shown at the form.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, newContext, screenshot, signIn } from './support/browser.mjs';
import { startHub } from './support/hub.mjs';

let hub, browser;
before(async () => { [hub, browser] = await Promise.all([startHub(), launchBrowser()]); });
after(async () => { await browser?.close(); await hub?.stop(); });

test('a dispatcher signs in on the desk, stays signed in across a reload and signs out', async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await screenshot(page, 'desk-signed-out');
  await signIn(page, hub, 'dispatcher');
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await page.getByRole('region', { name: 'Map', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0, 'a dispatcher gets no Admin link');
  await page.reload();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  ctx.check();
  await ctx.close();
});

test('a wrong password is refused at the form and changes nothing', async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await page.getByLabel('Name').fill('dispatcher');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Incidents' }).count(), 0);
  ctx.check();
  await ctx.close();
});

test('an admin gets the Admin link, and admin opens', async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await signIn(page, hub, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.waitForURL(`${hub.url}/admin/`);
  await page.getByRole('heading', { name: 'Cameras' }).waitFor();
  ctx.check();
  await ctx.close();
});

test('crew signing in on the desk land in the crew app, and sign in there too', async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await signIn(page, hub, 'crew1');
  await page.waitForURL(`${hub.url}/crew/`);
  await page.getByRole('heading', { name: 'My tasks' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await screenshot(page, 'crew-signed-out');
  await signIn(page, hub, 'crew2');
  await page.getByRole('heading', { name: 'My tasks' }).waitFor();
  ctx.check();
  await ctx.close();
});
