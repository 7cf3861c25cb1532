// Headless Debian Chromium driven by playwright-core, with the flags that keep it from
// calling out on a closed network, a guard that fails the test for any request leaving
// 127.0.0.1, and screenshots kept as artifacts.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// playwright-core and axe-core are the web package's test dependencies (web/node_modules).
const require = createRequire(new URL('../../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
export const axeSource = require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const ARTIFACTS = process.env.GLASSBRAIN_E2E_ARTIFACTS ?? join(process.cwd(), 'e2e-artifacts');

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.GLASSBRAIN_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
}

// A fresh context (own cookies, storage and service workers) whose every request is
// checked: anything not for 127.0.0.1 (or blob:/data:) is refused and remembered, and so
// are page errors and CSP violations. check() asserts none happened.
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const problems = [];
  await context.route((url) => !['127.0.0.1'].includes(url.hostname) && !['blob:', 'data:'].includes(url.protocol),
    (route) => { problems.push(`request left 127.0.0.1: ${route.request().url()}`); return route.abort(); });
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
  };
  context.on('page', watch);
  context.check = () => assert.deepEqual(problems, [], problems.join('\n'));
  context.problems = problems;
  return context;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Runs axe-core on the page; asserts no WCAG 2.1 A/AA violation.
export async function assertAccessible(page, what) {
  // Evaluated through the DevTools protocol: the page's CSP rightly refuses inline scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const lines = result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(lines, [], `${what}: accessibility violations\n${lines.join('\n')}`);
}

// Signs in on the page shown (desk or crew) by the accessible names of the form.
export async function signIn(page, hub, name) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(hub.passwords[name]);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
