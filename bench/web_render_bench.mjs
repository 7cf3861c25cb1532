// web_render_bench: how long the dispatcher desk takes from navigation to 2,000 open
// incidents drawn in the queue and on the map (performance.mark('incidents-rendered')),
// against the same desk with no incidents measured in the same run (the ratio, and the
// increment: the empty desk is mostly MapLibre drawing the district), and how much
// JavaScript the desk itself sends (gzipped), apart from MapLibre.
// Budgets: ≤ 1 s for 2,000 incidents, ≤ 400 KB of the desk's own JavaScript.
// GLASSBRAIN_BENCH_SHORT=1 loads each desk once instead of five times.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchBrowser, newContext, signIn } from '../tests/e2e/support/browser.mjs';
import { event, ingest, startHub } from '../tests/e2e/support/hub.mjs';

const short = process.env.GLASSBRAIN_BENCH_SHORT === '1';
const runs = short ? 1 : 5;
const INCIDENTS = 2000;
const CATEGORIES = ['dumped_rubbish', 'illegal_parking', 'unauthorized_poster', 'pothole'];
const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist', 'assets');

// The desk's own script, every chunk it imports and every worker script it starts, gzipped
// one by one as they are sent.
function deskJavaScript() {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(assets, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*"\.\/([\w-]+\.js)"|"\/assets\/([\w-]+\.js)"/g)) visit(m[1] ?? m[2]);
  };
  visit('desk.js');
  const gz = (f) => gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
  return { files: [...seen], bytes: [...seen].reduce((n, f) => n + gz(f), 0), maplibre: gz('maplibre-gl.mjs') + gz('maplibre-gl-worker.mjs') };
}

async function timeDesk(browser, hub) {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${hub.url}/`);
  await signIn(page, hub, 'dispatcher');
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  const times = [];
  for (let i = 0; i < runs; ++i) {
    await page.goto(`${hub.url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('incidents-rendered').length > 0, null, { timeout: 60_000 });
    times.push(await page.evaluate(() => performance.getEntriesByName('incidents-rendered')[0].startTime));
  }
  const shown = await page.getByRole('region', { name: 'Incidents' }).getByText(/\d+ shown/).textContent();
  ctx.check();
  await ctx.close();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], shown };
}

const [hub, browser] = await Promise.all([startHub(), launchBrowser()]);
try {
  const empty = await timeDesk(browser, hub);
  const events = Array.from({ length: INCIDENTS }, (_, i) => {
    const cell = Math.floor(i / CATEGORIES.length);
    return event({ category: CATEGORIES[i % CATEGORIES.length], lat: 31.2215 + Math.floor(cell / 25) * 0.0009,
      lon: 121.4615 + (cell % 25) * 0.001 });
  });
  for (let i = 0; i < events.length; i += 1000) {
    const results = await ingest(hub, events.slice(i, i + 1000));
    const stored = results.filter((r) => r.status === 'stored').length;
    if (stored !== Math.min(1000, events.length - i)) throw new Error(`only ${stored} events stored`);
  }
  const full = await timeDesk(browser, hub);
  const js = deskJavaScript();
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(`web_render_bench (${runs} load${runs > 1 ? 's' : ''} each, median)`);
  console.log(`  empty desk (baseline):        ${empty.ms.toFixed(0)} ms to incidents-rendered (${empty.shown})`);
  console.log(`  desk with ${INCIDENTS} incidents:    ${full.ms.toFixed(0)} ms to incidents-rendered (${full.shown})  budget ≤ 1000 ms: ${full.ms <= 1000 ? 'within' : 'OVER'}`);
  console.log(`  ratio 2,000 / empty:          ${(full.ms / empty.ms).toFixed(2)}`);
  console.log(`  increment 2,000 − empty:      ${(full.ms - empty.ms).toFixed(0)} ms, what the incidents themselves cost`);
  console.log(`  desk's own JavaScript:        ${kb(js.bytes)} KB gzipped in ${js.files.length} files  budget ≤ 400 KB: ${js.bytes <= 400 * 1024 ? 'within' : 'OVER'}`);
  console.log(`  MapLibre (page + worker):     ${kb(js.maplibre)} KB gzipped, apart`);
  if (!full.shown.startsWith(`${INCIDENTS} shown`)) throw new Error(`the desk showed ${full.shown}, not ${INCIDENTS}`);
} finally {
  await browser.close();
  await hub.stop();
}
