// A real hub for a browser test: `glassbrain demo --no-simulate` on a free loopback port in
// a temporary data directory, with the passwords and the edge token it prints once.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.GLASSBRAIN_BIN;
if (!BIN) throw new Error('GLASSBRAIN_BIN must name the glassbrain binary (ctest sets it)');
if (!existsSync(new URL('../../../web/dist/index.html', import.meta.url)))
  throw new Error('the web pages are not built: run scripts/build.sh (it bundles web/ into web/dist/)');

// A port that was free a moment ago on 127.0.0.1 (the hub binds it again right after).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts a demo hub; resolves once it serves. `restart()` starts it again on the same port
// and data (after kill or stop), as an operator would after a crash.
export async function startHub({ port, dataDir, args = [] } = {}) {
  const hub = {
    port: port ?? await freePort(),
    dataDir: dataDir ?? mkdtempSync(join(tmpdir(), 'glassbrain-e2e-')),
    ownsDir: !dataDir,
    passwords: {},
    edgeToken: '',
    proc: null,
    output: '',
  };
  hub.url = `http://127.0.0.1:${hub.port}`;
  hub.start = () => launch(hub, args);
  hub.kill = (signal = 'SIGKILL') => stopProcess(hub, signal);
  hub.stop = async () => {
    await stopProcess(hub, 'SIGTERM');
    if (hub.ownsDir) rmSync(hub.dataDir, { recursive: true, force: true });
  };
  hub.restart = async () => { await stopProcess(hub, 'SIGKILL'); await launch(hub, args); };
  // A test that dies still takes its hub with it.
  process.once('exit', () => hub.proc?.kill('SIGKILL'));
  await launch(hub, args);
  return hub;
}

function launch(hub, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['demo', '--no-simulate', '--listen', `127.0.0.1:${hub.port}`, '--data-dir', hub.dataDir, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    hub.proc = proc;
    const from = hub.output.length;  // a restart must wait for its own "Serving on", not the last run's
    const timer = setTimeout(() => reject(new Error(`the hub did not start within 60 s:\n${hub.output}`)), 60_000);
    const onData = (chunk) => {
      hub.output += chunk;
      for (const m of hub.output.matchAll(/^ {2}(\S+) \([a-z_]+\): (\S+)$/gm)) hub.passwords[m[1]] = m[2];
      const token = hub.output.match(/edge token.*: (\S+)$/m);
      if (token) hub.edgeToken = token[1];
      if (/Serving on http/.test(hub.output.slice(from))) {
        clearTimeout(timer);
        resolve(hub);
      }
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', (c) => { hub.output += c; });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${code}) before serving:\n${hub.output}`));
    });
  });
}

function stopProcess(hub, signal) {
  const proc = hub.proc;
  hub.proc = null;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

// Sends events as the demo's edge agent; returns the per-item results.
export async function ingest(hub, events) {
  const res = await fetch(`${hub.url}/api/v1/events:batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${hub.edgeToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(events),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`events:batch answered ${res.status}: ${JSON.stringify(body)}`);
  return body.results;
}

// Uploads an evidence JPEG as the edge agent does; resolves with its reference.
export async function putEvidence(hub, jpeg) {
  const { createHash } = await import('node:crypto');
  const ref = `sha256:${createHash('sha256').update(jpeg).digest('hex')}`;
  const res = await fetch(`${hub.url}/api/v1/evidence/${ref}`, {
    method: 'PUT', headers: { Authorization: `Bearer ${hub.edgeToken}`, 'Content-Type': 'image/jpeg' }, body: jpeg,
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`evidence upload answered ${res.status}: ${await res.text()}`);
  return ref;
}

let seq = 0;
// One camera observation in the demo district.
export function event({ category = 'dumped_rubbish', lat = 31.2355, lon = 121.4815, camera = 'cam-01', evidence = [],
  rule = 'dumped_object', observedAt = new Date().toISOString() } = {}) {
  seq += 1;
  return {
    idempotency_key: `${camera}/${observedAt}/${rule}/${process.pid}-${seq}`,
    source: { kind: 'camera', id: camera },
    category, rule, observed_at: observedAt,
    location: { lat, lon }, confidence: 0.9, attributes: {}, evidence,
  };
}

// A signed-in API client for checks beside the browser (cookie + CSRF token).
export async function apiAs(hub, name) {
  const res = await fetch(`${hub.url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password: hub.passwords[name] }),
  });
  if (!res.ok) throw new Error(`sign-in of ${name} answered ${res.status}`);
  const { csrf_token: csrf } = await res.json();
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const call = async (method, path, body) => {
    const r = await fetch(`${hub.url}${path}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), put: (p, b) => call('PUT', p, b) };
}

// Moves an incident through the states its next_states allow until it reaches `to`
// (dispatching to crew1 on the way when needed), as a dispatcher would.
export async function moveTo(api, id, to, path = ['dispatched', 'in_progress', 'resolved']) {
  for (;;) {
    const inc = (await api.get(`/api/v1/incidents/${id}`)).body;
    if (inc.state === to) return inc;
    const next = inc.next_states.includes(to) ? to : path.find((s) => inc.next_states.includes(s));
    if (!next) throw new Error(`incident ${id} cannot move from ${inc.state} towards ${to}`);
    const r = await api.post(`/api/v1/incidents/${id}/transitions`, { to: next, ...(next === 'dispatched' ? { assignee: 'crew1' } : {}) });
    if (r.status !== 200) throw new Error(`moving incident ${id} to ${next} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
}

// The i-th spot of a grid over the demo district, about 240 m apart: events at different
// spots never join one incident.
export function spot(i) {
  return { lat: 31.2215 + Math.floor(i / 10) * 0.0022, lon: 121.4625 + (i % 10) * 0.0024 };
}
