// Dispatcher desk at "/": the live map, the queue "Incidents", one incident's detail with
// its actions, and the live figures. Signed out it shows the sign-in; crew go to /crew/.
import '../../lib/base.css';
import './desk.css';
import { get, getAll, getAllInWorker } from '../../lib/api.js';
import { fill, h } from '../../lib/dom.js';
import { addDistrictLayers, addIncidentLayer, createMap, layerPanel, setIncidents, setSites } from '../../lib/map.js';
import { currentSession, sessionBar, signInForm } from '../../lib/session.js';
import { openStream } from '../../lib/stream.js';
import { Detail } from './detail.js';
import { Figures } from './figures.js';
import { FIRST_FILTER, Queue, incidentsPath } from './queue.js';

const app = document.getElementById('app');
const DESK_ROLES = ['dispatcher', 'admin'];

function header(session) {
  const links = session?.role === 'admin' ? [h('a', { href: '/admin/' }, 'Admin')] : [];
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, 'Glassbrain dispatcher desk'),
      h('span', { class: 'tagline' }, 'Situations, never people.')),
    session ? sessionBar(session, () => location.reload(), ...links) : null);
}

function showSignIn() {
  fill(app, header(null), h('main', {}, signInForm(route)));
}

function route(session) {
  if (!session) return showSignIn();
  if (session.role === 'crew') return location.replace('/crew/');
  if (!DESK_ROLES.includes(session.role)) {
    return fill(app, header(session), h('main', {}, h('p', { role: 'alert' },
      `The desk is for dispatchers and admins; you are signed in as ${session.role.replace('_', ' ')}.`)));
  }
  return desk(session);
}

async function desk(session) {
  const mapEl = h('div', { class: 'map' });
  const queueEl = h('section', { class: 'queue panel', 'aria-labelledby': 'queue-title' });
  const detailEl = h('section', { class: 'detail panel', 'aria-labelledby': 'detail-title' });
  const figuresEl = h('section', { class: 'figures panel', 'aria-labelledby': 'figures-title' });
  const streamState = h('span', { class: 'muted', role: 'status' }, 'Connecting…');
  const mapSection = h('section', { class: 'map-region', 'aria-labelledby': 'map-title' },
    h('div', { class: 'region-head' }, h('h2', { id: 'map-title' }, 'District map'), streamState), mapEl);
  fill(app, header(session), h('main', { class: 'desk' }, mapSection, queueEl, detailEl, figuresEl));

  // The stream first, then the list: once the stream has answered, the hub has fixed where
  // it starts, so whatever changes while the list loads arrives through the stream too, and
  // upserts by id keep every incident once. Both start now, beside the district's requests,
  // and the list loads in a worker, so that a map busy drawing the district does not hold
  // its pages back; messages that come before the queue exists wait for it.
  let streamLive;
  const live = new Promise((resolve) => { streamLive = resolve; });
  const early = [];
  let deliver = (message) => early.push(message);
  openStream('/api/v1/stream', {
    onState: (s) => {
      streamState.textContent = s === 'live' ? 'Live' : 'Reconnecting…';
      if (s === 'live') streamLive();
    },
    onEvent: (message) => deliver(message),
  });
  const firstList = getAllInWorker(incidentsPath(FIRST_FILTER), live);
  firstList.catch(() => {});  // the queue shows the error once it exists

  const [publicMap, services, departments] = await Promise.all([
    get('/api/v1/public/map'), get('/open311/v2/services.json'), getAll('/api/v1/departments')]);
  document.title = `Glassbrain — ${publicMap.name} desk`;
  const areas = publicMap.features.filter((f) => f.properties.layer === 'area');
  const lists = {
    categories: services.map((s) => ({ value: s.service_code, label: s.service_name })),
    departments: departments.map((d) => ({ value: d.id, label: d.name })),
    areas: areas.map((a) => ({ value: a.properties.id, label: a.properties.name })),
  };

  // The map starts drawing the district while the list loads, with whatever the queue holds
  // by then; the queue's changes reach it once it is ready.
  let map = null, latest = [];
  let justChanged = new Set();
  // Each live change drawn in the queue and on the map gets a mark, so that the time from a
  // change to the screen can be measured ("incident-<id>-rendered").
  const markChanged = () => {
    const changed = justChanged;
    justChanged = new Set();
    if (changed.size) map.once('idle', () => { for (const id of changed) performance.mark(`incident-${id}-rendered`); });
  };
  const mapReady = createMap(mapEl, { fit: areas }).then((m) => {
    map = m;
    addDistrictLayers(map, publicMap, { incidents: latest });
    addIncidentLayer(map, latest);
    mapSection.append(layerPanel(map));
    map.on('click', 'incidents', (e) => detail.show(e.features[0].properties.id));
    markChanged();
    return map;
  });

  const figures = new Figures(figuresEl, lists);
  const detail = new Detail(detailEl, lists, (inc) => queue.upsert(inc));
  const queue = new Queue(queueEl, lists, {
    onOpen: (inc) => detail.show(inc.id),
    onChange: (all) => {
      latest = all;
      if (!map) return;
      setIncidents(map, latest);
      setSites(map, areas, latest);
      markChanged();
    },
  });

  Promise.all([queue.reload(firstList), mapReady]).then(() => {
    map.once('idle', () => performance.mark('incidents-rendered'));
    map.triggerRepaint();
    figures.load();
  });
  deliver = ({ data }) => {
    if (!data || typeof data.id !== 'number') return;
    justChanged.add(data.id);
    queue.upsert(data, { live: true });
    detail.changed(data);
    figures.soon();
  };
  for (const message of early.splice(0)) deliver(message);
}

currentSession().then(route, (e) => fill(app, header(null), h('main', {}, h('p', { role: 'alert' }, e.message))));
