// The crew app at /crew/: "My tasks" in the crew member's own order, a map, and a task's
// detail with "On my way", "Start", "Resolve", a note and photos. It works offline: the
// service worker keeps the app and the last tasks, and actions wait in the outbox
// ("Pending: N") until the hub has them.
import '../../lib/base.css';
import './crew.css';
import { ApiError, get, newIdempotencyKey, request } from '../../lib/api.js';
import { announce, field, fill, h } from '../../lib/dom.js';
import { stateLabel, when } from '../../lib/format.js';
import { addDistrictLayers, addIncidentLayer, createMap, fitTo, setIncidents } from '../../lib/map.js';
import { downscaleJpeg } from '../../lib/photo.js';
import { currentSession, sessionBar, signInForm } from '../../lib/session.js';
import * as outbox from './outbox.js';

const app = document.getElementById('app');
const DATA_CACHE = 'crew-data';

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/crew/sw.js', { scope: '/crew/' }).catch(() => {});

// Resolves once the service worker controls this page and holds what an offline start
// needs: the session, the tasks and the map, fetched through it (it keeps the answers).
async function readyOffline() {
  if (!('serviceWorker' in navigator)) return false;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
  await Promise.all(['/api/v1/session', '/api/v1/tasks', '/api/v1/public/map'].map((p) => get(p)));
  return true;
}

function header(session, pending) {
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, 'Glassbrain crew'), h('span', { class: 'tagline' }, 'Situations, never people.')),
    pending, session ? sessionBar(session, signedOut) : null);
}

async function signedOut() {
  await caches.delete(DATA_CACHE).catch(() => {});  // the next person on this device sees nothing of ours
  location.reload();
}

async function route(session) {
  if (!session) return fill(app, header(null), h('main', {}, signInForm(route, 'Crew sign-in')));
  if (session.role !== 'crew') {
    return fill(app, header(session), h('main', {}, h('p', {}, 'This app is for crew members. ',
      h('a', { href: '/' }, 'Go to the dispatcher desk'))));
  }
  return new CrewApp(session).start();
}

// What an action does to a task, so that the list shows it at once, before the hub has it.
function applyPending(task, item) {
  const t = { ...task };
  if (item.action === 'on_my_way') t.en_route_at = t.en_route_at || item.client_at;
  if (item.action === 'start') t.state = 'in_progress';
  if (item.action === 'resolve') t.state = 'resolved';
  t.pending = (t.pending ?? 0) + 1;
  return t;
}

class CrewApp {
  constructor(session) {
    this.session = session;
    this.tasks = [];
    this.order = [];
    this.selected = null;
    this.flushing = false;
    this.pending = h('p', { class: 'pending', role: 'status', 'aria-live': 'polite' });
    this.network = h('span', { class: 'network' });
    this.list = h('ol', { class: 'tasks' });
    this.detail = h('section', { class: 'task-detail panel', 'aria-labelledby': 'task-title' });
    this.error = h('p', { class: 'error', role: 'alert' });
    this.mapEl = h('div', { class: 'map crew-map' });
  }

  async start() {
    fill(app, header(this.session, h('div', { class: 'status-line' }, this.pending, this.network)),
      h('main', { class: 'crew' },
        h('section', { class: 'my-tasks', 'aria-labelledby': 'tasks-title' },
          h('h2', { id: 'tasks-title' }, 'My tasks'), this.error, this.list),
        this.detail,
        h('section', { class: 'crew-map-region', 'aria-labelledby': 'crew-map-title' },
          h('h2', { id: 'crew-map-title' }, 'Task map'), this.mapEl)));
    fill(this.detail, h('h2', { id: 'task-title' }, 'Task'), h('p', { class: 'muted' }, 'Choose a task.'));
    let offlineReady = false;
    const online = () => {
      this.network.textContent = `${navigator.onLine ? 'Online' : 'Offline'}${offlineReady ? ', ready offline' : ''}`;
      if (navigator.onLine) this.flush();
    };
    addEventListener('online', online);
    addEventListener('offline', online);
    online();
    readyOffline().then((ready) => { offlineReady = ready; online(); }, () => {});
    await this.load();
    setInterval(() => this.flush().then(() => this.load()), 15_000);
    this.flush();
    this.map().catch(() => {});  // the list works without the map
  }

  async map() {
    const publicMap = await get('/api/v1/public/map');
    const areas = publicMap.features.filter((f) => f.properties.layer === 'area');
    this.mapView = await createMap(this.mapEl, { fit: areas });
    addDistrictLayers(this.mapView, publicMap);
    addIncidentLayer(this.mapView);
    this.mapView.on('click', 'incidents', (e) => this.select(e.features[0].properties.id));
    this.render();
  }

  // Tasks from the hub (or the service worker's last copy), with what still waits in the
  // outbox applied on top.
  async load() {
    try {
      const page = await get('/api/v1/tasks');
      this.tasks = page.items;
      this.error.textContent = '';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return signedOut();
      this.error.textContent = this.tasks.length ? '' : `Tasks could not be loaded: ${e.message}`;
    }
    await this.render();
  }

  async view() {
    const waiting = (await outbox.all()).filter((i) => i.user === this.session.name);
    const tasks = this.tasks.map((t) => waiting.filter((i) => i.taskId === t.id).reduce(applyPending, t));
    return { waiting, tasks };
  }

  async render() {
    const { waiting, tasks } = await this.view();
    this.pending.textContent = waiting.length ? `Pending: ${waiting.length}` : 'All sent';
    this.pending.classList.toggle('has-pending', waiting.length > 0);
    const shown = tasks.filter((t) => t.state !== 'resolved');
    fill(this.list, shown.length ? shown.map((t, i) => h('li', { class: t.id === this.selected ? 'selected' : '' },
      h('button', { type: 'button', class: 'task-title', 'aria-current': t.id === this.selected ? 'true' : null, onclick: () => this.select(t.id) },
        `#${t.id} ${t.category.replace(/_/g, ' ')}`),
      h('span', { class: 'muted' }, ` ${stateLabel(t.state)}${t.en_route_at && t.state === 'dispatched' ? ', on my way' : ''}${t.pending ? ' (waiting to send)' : ''}`),
      t.latest_report?.description ? h('p', { class: 'desc' }, t.latest_report.description) : null,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', disabled: i === 0, onclick: () => this.move(t.id, -1) }, 'Move up'),
        h('button', { type: 'button', class: 'secondary', disabled: i === shown.length - 1, onclick: () => this.move(t.id, 1) }, 'Move down'))))
      : [h('li', { class: 'muted' }, 'No open tasks.')]);
    if (this.mapView) setIncidents(this.mapView, shown);
    const current = tasks.find((t) => t.id === this.selected);
    if (current) this.renderDetail(current);
  }

  select(id) {
    this.selected = id;
    this.render();
    if (this.mapView) {
      const t = this.tasks.find((x) => x.id === id);
      if (t) this.mapView.easeTo({ center: [t.location.lon, t.location.lat], duration: 0 });
    }
  }

  // The crew member's own order of their tasks, kept by the hub.
  async move(id, by) {
    const { tasks } = await this.view();
    const ids = tasks.filter((t) => t.state !== 'resolved').map((t) => t.id);
    const i = ids.indexOf(id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    const byId = new Map(this.tasks.map((t) => [t.id, t]));
    this.tasks = [...ids.map((x) => byId.get(x)), ...this.tasks.filter((t) => !ids.includes(t.id))];
    await this.render();
    try {
      await request('PUT', '/api/v1/tasks/order', { body: { ids }, idempotencyKey: newIdempotencyKey() });
      announce(`Task ${id} moved ${by < 0 ? 'up' : 'down'}`);
    } catch (e) {
      this.error.textContent = `The new order could not be saved: ${e.message}`;
    }
  }

  renderDetail(t) {
    if (this.detailFor === t.id && this.detailState === `${t.state}/${t.en_route_at}/${t.pending}`) return;  // keep what is typed
    this.detailFor = t.id;
    this.detailState = `${t.state}/${t.en_route_at}/${t.pending}`;
    const note = h('textarea', { name: 'note', rows: 3 });
    const photo = h('input', { type: 'file', name: 'photo', accept: 'image/jpeg', capture: 'environment', multiple: true });
    const act = (action, label) => h('button', { type: 'button', onclick: () => this.act(t, action, note, photo, label) }, label);
    // The crew's steps in their order; the hub refuses one already passed (409).
    const buttons = [];
    if (t.state === 'dispatched' && !t.en_route_at) buttons.push(act('on_my_way', 'On my way'));
    if (t.state === 'dispatched') buttons.push(act('start', 'Start'));
    if (t.state === 'in_progress') buttons.push(act('resolve', 'Resolve'));
    fill(this.detail,
      h('h2', { id: 'task-title' }, `Task #${t.id}: ${t.category.replace(/_/g, ' ')}`),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, stateLabel(t.state)),
        h('dt', {}, 'Opened'), h('dd', {}, when(t.opened_at)),
        h('dt', {}, 'Where'), h('dd', {}, `${t.location.lat.toFixed(5)}, ${t.location.lon.toFixed(5)}`),
        t.latest_report ? [h('dt', {}, 'Report'), h('dd', {}, t.latest_report.description || '(no description)')] : null,
        t.note ? [h('dt', {}, 'Dispatcher note'), h('dd', {}, t.note)] : null),
      h('p', { class: 'explanation' }, t.explanation),
      field('Note', note), field('Photo', photo, 'Faces and people are blurred before a photo is stored.'),
      h('div', { class: 'row' }, buttons, act('note', 'Save note')));
  }

  // Takes the action now: it goes into the outbox with its key and is sent when possible.
  async act(task, action, noteEl, photoEl, label) {
    this.error.textContent = '';
    try {
      const photos = [];
      for (const f of photoEl.files) photos.push(await downscaleJpeg(f));
      if (action === 'note' && !noteEl.value.trim() && !photos.length) {
        this.error.textContent = 'Write a note or add a photo first.';
        return;
      }
      await outbox.add({ user: this.session.name, taskId: task.id, action, note: noteEl.value.trim(), photos,
        photoKeys: photos.map(() => newIdempotencyKey()), key: newIdempotencyKey(), client_at: new Date().toISOString() });
      this.detailFor = null;
      announce(`${label}: saved${navigator.onLine ? '' : ', will be sent when online'}`);
      await this.render();
      await this.flush();
    } catch (e) {
      this.error.textContent = e.message;
    }
  }

  // Sends what waits, oldest first. Stops at the first item the network or hub cannot take
  // now; a step the hub already has (409) counts as sent.
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    let sent = 0;
    try {
      for (const item of (await outbox.all()).filter((i) => i.user === this.session.name)) {
        try {
          if (!item.photoRefs) {
            item.photoRefs = [];
            for (let i = 0; i < item.photos.length; ++i) {
              const r = await request('POST', `/api/v1/tasks/${item.taskId}/photos`,
                { body: item.photos[i], headers: { 'Content-Type': 'image/jpeg' }, idempotencyKey: item.photoKeys[i] });
              item.photoRefs.push(r.evidence);
            }
            await outbox.update(item);
          }
          await request('POST', `/api/v1/tasks/${item.taskId}/actions`, { idempotencyKey: item.key,
            body: { action: item.action, note: item.note, photos: item.photoRefs, client_at: item.client_at } });
        } catch (e) {
          if (!(e instanceof ApiError) || e.status >= 500 || e.status === 401 || e.status === 429) break;  // later
          if (e.status !== 409) this.error.textContent = `Task ${item.taskId}: “${item.action.replace(/_/g, ' ')}” was refused: ${e.message}`;
        }
        await outbox.remove(item.seq);
        sent += 1;
      }
    } finally {
      this.flushing = false;
    }
    if (sent) {
      await this.load();
      const left = (await this.view()).waiting.length;
      announce(left ? `Sent ${sent}; pending: ${left}` : 'Everything is sent');
    }
  }
}

currentSession().then(route, (e) => fill(app, header(null), h('main', {}, h('p', { role: 'alert' }, e.message))));
