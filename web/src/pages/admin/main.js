// Admin at /admin/: cameras (the coverage cone redrawn while editing, with the hub's
// formula), area polygons, every other kind of district setting as JSON, and the routing
// tester "Why would this go to…". Every change is a PUT or DELETE of one document; the
// hub validates the district as a whole and its 400 message shows at the form.
import '../../lib/base.css';
import './admin.css';
import { get, getAll, newIdempotencyKey, query, request } from '../../lib/api.js';
import { announce, field, fill, h, select } from '../../lib/dom.js';
import { fromLocalInput } from '../../lib/format.js';
import { cameraCoverage } from '../../lib/geo.js';
import { addDistrictLayers, createMap, maplibregl } from '../../lib/map.js';
import { currentSession, sessionBar, signInForm } from '../../lib/session.js';

const app = document.getElementById('app');
const RULES = ['stationary_vehicle', 'dumped_object', 'poster', 'no_helmet', 'crowding'];
const OTHER_KINDS = ['departments', 'services', 'routing-rules', 'slas', 'response-templates', 'evidence-purposes', 'sensors'];

function header(session) {
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, 'Glassbrain admin'), h('span', { class: 'tagline' }, 'The district: areas, cameras, departments, rules.')),
    session ? sessionBar(session, () => location.reload(), h('a', { href: '/' }, 'Desk')) : null);
}

function route(session) {
  if (!session) return fill(app, header(null), h('main', {}, signInForm(route, 'Admin sign-in')));
  if (session.role !== 'admin') return fill(app, header(session), h('main', {}, h('p', { role: 'alert' }, 'Admin is for admins.')));
  return admin(session);
}

const put = (kind, id, doc) => request('PUT', `/api/v1/${kind}/${encodeURIComponent(id)}`, { body: doc, idempotencyKey: newIdempotencyKey() });
const del = (kind, id) => request('DELETE', `/api/v1/${kind}/${encodeURIComponent(id)}`);
const num = (attrs) => h('input', { type: 'number', step: 'any', ...attrs });
// A form's action: clears the form's error, runs, and shows the hub's refusal there.
const attempt = (error, fn) => async () => {
  error.textContent = '';
  try { await fn(); } catch (e) { error.textContent = e.message; }
};

async function admin(session) {
  const mapEl = h('div', { class: 'map admin-map' });
  const clickMode = h('fieldset', { class: 'row click-mode' }, h('legend', {}, 'Clicking the map sets'),
    ['camera position', 'area point', 'routing test point'].map((m, i) =>
      h('label', {}, h('input', { type: 'radio', name: 'click', value: m, checked: i === 0 }), ` ${m}`)));
  const cameraEl = h('section', { class: 'panel', 'aria-labelledby': 'cam-title' });
  const areaEl = h('section', { class: 'panel', 'aria-labelledby': 'area-title' });
  const otherEl = h('section', { class: 'panel', 'aria-labelledby': 'other-title' });
  const testerEl = h('section', { class: 'panel', 'aria-labelledby': 'tester-title' });
  fill(app, header(session), h('main', { class: 'admin' },
    h('section', { class: 'map-region', 'aria-labelledby': 'admin-map-title' }, h('h2', { id: 'admin-map-title' }, 'District map'), clickMode, mapEl),
    cameraEl, areaEl, testerEl, otherEl));

  const publicMap = await get('/api/v1/public/map');
  const areasOnMap = publicMap.features.filter((f) => f.properties.layer === 'area');
  const map = await createMap(mapEl, { fit: areasOnMap });
  addDistrictLayers(map, publicMap);
  map.addSource('edit', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'edit-fill', type: 'fill', source: 'edit', paint: { 'fill-color': '#e65100', 'fill-opacity': 0.3 } });
  map.addLayer({ id: 'edit-line', type: 'line', source: 'edit', paint: { 'line-color': '#e65100', 'line-width': 3 } });
  const editShape = (features) => map.getSource('edit').setData({ type: 'FeatureCollection', features });
  const refreshDistrict = async () => {
    const fresh = await get('/api/v1/public/map');
    for (const [source, layer] of [['areas', 'area'], ['coverage', 'camera_coverage'], ['cameras', 'camera']])
      map.getSource(source).setData({ type: 'FeatureCollection', features: fresh.features.filter((f) => f.properties.layer === layer) });
  };
  const onClick = {};
  map.on('click', (e) => onClick[clickMode.querySelector('input:checked').value]?.([e.lngLat.lng, e.lngLat.lat]));

  await Promise.all([
    cameraEditor(cameraEl, editShape, refreshDistrict, onClick),
    areaEditor(areaEl, map, editShape, refreshDistrict, onClick),
    routingTester(testerEl, map, onClick),
    otherEditor(otherEl),
  ]);
}

// ---- cameras ----------------------------------------------------------------------------------
async function cameraEditor(el, editShape, refreshDistrict, onClick) {
  let cameras = await getAll('/api/v1/cameras');
  const pick = h('select', { name: 'camera' });
  const f = {
    id: h('input', { name: 'id', required: true }), name: h('input', { name: 'name' }),
    lat: num({ name: 'lat', min: -90, max: 90 }), lon: num({ name: 'lon', min: -180, max: 180 }),
    heading: num({ name: 'heading_deg', min: 0, max: 360 }), focal: num({ name: 'focal_length_mm', min: 0 }),
    sensor: num({ name: 'sensor_width_mm', min: 0 }), range: num({ name: 'range_m', min: 0 }), height: num({ name: 'height_m', min: 0 }),
    purpose: h('textarea', { name: 'purpose', rows: 2 }),
  };
  const rules = RULES.map((r) => h('input', { type: 'checkbox', name: 'rules', value: r }));
  const cone = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const options = () => fill(pick, h('option', { value: '' }, 'New camera…'),
    cameras.map((c) => h('option', { value: c.properties.id }, `${c.properties.id}: ${c.properties.name}`)));
  options();
  const doc = () => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [Number(f.lon.value), Number(f.lat.value)] },
    properties: { id: f.id.value.trim(), name: f.name.value, heading_deg: Number(f.heading.value), focal_length_mm: Number(f.focal.value),
      sensor_width_mm: Number(f.sensor.value), range_m: Number(f.range.value), height_m: Number(f.height.value),
      rules: rules.filter((r) => r.checked).map((r) => r.value), purpose: f.purpose.value },
  });
  // The cone as the hub will compute it, redrawn on every keystroke.
  const redraw = () => {
    const d = doc();
    const ring = cameraCoverage(d.geometry.coordinates, d.properties.heading_deg, d.properties.focal_length_mm,
      d.properties.sensor_width_mm, d.properties.range_m);
    editShape(ring ? [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { id: 'edit' } }] : []);
    cone.textContent = ring
      ? `Cone: ${Math.round(2 * Math.atan(d.properties.sensor_width_mm / (2 * d.properties.focal_length_mm)) * 180 / Math.PI)}° wide, ${d.properties.range_m} m, towards ${d.properties.heading_deg}°`
      : 'No cone: focal length, sensor width and range must be above 0.';
  };
  const load = (id) => {
    error.textContent = '';
    const c = cameras.find((x) => x.properties.id === id);
    const p = c?.properties ?? {};
    f.id.value = p.id ?? ''; f.id.disabled = Boolean(c);
    f.name.value = p.name ?? ''; f.heading.value = p.heading_deg ?? 0; f.focal.value = p.focal_length_mm ?? 4;
    f.sensor.value = p.sensor_width_mm ?? 5.6; f.range.value = p.range_m ?? 60; f.height.value = p.height_m ?? 6;
    f.purpose.value = p.purpose ?? '';
    [f.lon.value, f.lat.value] = c ? c.geometry.coordinates : ['', ''];
    for (const r of rules) r.checked = (p.rules ?? []).includes(r.value);
    redraw();
  };
  pick.addEventListener('change', () => load(pick.value));
  onClick['camera position'] = ([lon, lat]) => { f.lon.value = lon.toFixed(6); f.lat.value = lat.toFixed(6); redraw(); };
  const reloadAndShow = async (id) => {
    cameras = await getAll('/api/v1/cameras');
    options();
    pick.value = id;
    load(id);
    await refreshDistrict();
  };
  const save = attempt(error, async () => {
    const d = doc();
    await put('cameras', d.properties.id, d);
    await reloadAndShow(d.properties.id);
    announce(`Camera ${d.properties.id} saved`);
  });
  const remove = attempt(error, async () => {
    if (!pick.value) return;
    await del('cameras', pick.value);
    await reloadAndShow('');
    announce('Camera deleted');
  });
  const form = h('form', { class: 'editor' },
    field('Camera', pick),
    h('div', { class: 'row' }, field('Id', f.id), field('Name', f.name)),
    h('div', { class: 'row' }, field('Latitude', f.lat), field('Longitude', f.lon)),
    h('div', { class: 'row' }, field('Heading', f.heading, 'degrees, 0 = north'), field('Focal length', f.focal, 'mm'),
      field('Sensor width', f.sensor, 'mm'), field('Range', f.range, 'm'), field('Height', f.height, 'm')),
    field('Purpose', f.purpose),
    h('fieldset', { class: 'row' }, h('legend', {}, 'Rules'), rules.map((r) => h('label', {}, r, ` ${r.value.replace(/_/g, ' ')}`))),
    cone, error,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save camera'), h('button', { type: 'button', class: 'secondary', onclick: remove }, 'Delete camera')));
  form.addEventListener('input', redraw);
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  fill(el, h('h2', { id: 'cam-title' }, 'Cameras'), form);
  load('');
}

// ---- areas ------------------------------------------------------------------------------------
async function areaEditor(el, map, editShape, refreshDistrict, onClick) {
  let areas = await getAll('/api/v1/areas');
  const pick = h('select', { name: 'area' });
  const id = h('input', { name: 'id' }), name = h('input', { name: 'name' }), kind = h('input', { name: 'kind', list: 'area-kinds' });
  const kinds = h('datalist', { id: 'area-kinds' }, [...new Set(areas.map((a) => a.properties.kind))].map((k) => h('option', { value: k })));
  const points = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  let ring = [];  // open ring: the closing point is added on save
  let markers = [];
  const options = () => fill(pick, h('option', { value: '' }, 'New area…'), areas.map((a) => h('option', { value: a.properties.id }, `${a.properties.id}: ${a.properties.name}`)));
  options();
  const draw = () => {
    for (const m of markers) m.remove();
    markers = ring.map((p, i) => {
      const m = new maplibregl.Marker({ element: h('div', { class: 'vertex', 'aria-hidden': 'true' }), draggable: true }).setLngLat(p).addTo(map);
      m.on('drag', () => { ring[i] = m.getLngLat().toArray(); shape(); });
      return m;
    });
    shape();
  };
  const shape = () => {
    editShape(ring.length >= 3 ? [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]]] }, properties: { id: 'edit' } }] : []);
    points.textContent = `${ring.length} points${ring.length < 3 ? ' (at least 3 needed)' : ''}; drag a point to move it.`;
  };
  const load = (areaId) => {
    error.textContent = '';
    const a = areas.find((x) => x.properties.id === areaId);
    id.value = a?.properties.id ?? ''; id.disabled = Boolean(a);
    name.value = a?.properties.name ?? ''; kind.value = a?.properties.kind ?? '';
    ring = a ? a.geometry.coordinates[0].slice(0, -1) : [];
    draw();
  };
  pick.addEventListener('change', () => load(pick.value));
  onClick['area point'] = (p) => { ring.push(p); draw(); };
  const reloadAndShow = async (areaId) => {
    areas = await getAll('/api/v1/areas');
    options();
    pick.value = areaId;
    load(areaId);
    await refreshDistrict();
  };
  const save = attempt(error, async () => {
    const existing = areas.find((x) => x.properties.id === id.value.trim());
    const doc = { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]].filter(Boolean)] },
      properties: { ...(existing?.properties ?? {}), id: id.value.trim(), name: name.value, kind: kind.value } };
    await put('areas', doc.properties.id, doc);
    await reloadAndShow(doc.properties.id);
    announce(`Area ${doc.properties.id} saved`);
  });
  const remove = attempt(error, async () => {
    if (!pick.value) return;
    await del('areas', pick.value);
    await reloadAndShow('');
    announce('Area deleted');
  });
  const form = h('form', { class: 'editor' }, field('Area', pick),
    h('div', { class: 'row' }, field('Id', id), field('Name', name), field('Kind', kind), kinds), points, error,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => { ring.pop(); draw(); } }, 'Remove last point'),
      h('button', { type: 'submit' }, 'Save area'), h('button', { type: 'button', class: 'secondary', onclick: remove }, 'Delete area')));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  fill(el, h('h2', { id: 'area-title' }, 'Areas'), h('p', { class: 'hint' }, 'Choose "area point" above the map to add corners by clicking.'), form);
}

// ---- routing tester -----------------------------------------------------------------------------
async function routingTester(el, map, onClick) {
  const services = await get('/open311/v2/services.json');
  const category = select({ name: 'category' }, services.map((s) => ({ value: s.service_code, label: s.service_name })));
  const lat = num({ name: 'lat' }), lon = num({ name: 'lon' });
  const at = h('input', { type: 'datetime-local', name: 'at' });
  const out = h('div', { class: 'explain', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const marker = new maplibregl.Marker({ element: h('div', { class: 'test-point', 'aria-hidden': 'true' }) });
  onClick['routing test point'] = ([x, y]) => { lon.value = x.toFixed(6); lat.value = y.toFixed(6); marker.setLngLat([x, y]).addTo(map); };
  const form = h('form', { class: 'editor' },
    h('div', { class: 'row' }, field('Category', category), field('Latitude', lat), field('Longitude', lon), field('Time', at, 'empty: now')),
    h('button', { type: 'submit' }, 'Explain'), error, out);
  const explain = attempt(error, async () => {
    fill(out);
    const r = await get(`/api/v1/routing/explain${query({ category: category.value, lat: lat.value, lon: lon.value, at: fromLocalInput(at.value) })}`);
    fill(out, h('dl', { class: 'facts' },
      h('dt', {}, 'Department'), h('dd', {}, r.department_id || '–'),
      h('dt', {}, 'Routing rule'), h('dd', {}, r.routing_rule_id || (r.unrouted ? 'none: the fallback department' : '–')),
      h('dt', {}, 'Area'), h('dd', {}, r.area_id || '–')),
    h('p', { class: 'explanation' }, r.explanation));
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); explain(); });
  fill(el, h('h2', { id: 'tester-title' }, 'Why would this go to…'), h('p', { class: 'hint' }, 'Choose "routing test point" above the map and click where.'), form);
}

// ---- every other kind, as JSON --------------------------------------------------------------------
async function otherEditor(el) {
  const kind = select({ name: 'kind' }, OTHER_KINDS);
  const item = h('select', { name: 'item' });
  const text = h('textarea', { name: 'json', rows: 12, spellcheck: 'false', class: 'code' });
  const error = h('p', { class: 'error', role: 'alert' });
  let docs = [];
  const loadKind = async () => {
    error.textContent = '';
    try { docs = await getAll(`/api/v1/${kind.value}`); } catch (e) { docs = []; error.textContent = e.message; }
    fill(item, h('option', { value: '' }, 'New…'), docs.map((d) => h('option', { value: d.id }, d.id)));
    show();
  };
  const show = () => {
    const d = docs.find((x) => x.id === item.value);
    text.value = JSON.stringify(d ?? { id: '' }, null, 2);
  };
  kind.addEventListener('change', loadKind);
  item.addEventListener('change', show);
  const save = attempt(error, async () => {
    let doc;
    try { doc = JSON.parse(text.value); } catch (e) { throw new Error(`Not valid JSON: ${e.message}`); }
    await put(kind.value, doc.id ?? '', doc);
    await loadKind();
    item.value = doc.id;
    show();
    announce(`${kind.value} ${doc.id} saved`);
  });
  const remove = attempt(error, async () => {
    if (!item.value) return;
    await del(kind.value, item.value);
    await loadKind();
  });
  const form = h('form', { class: 'editor' }, h('div', { class: 'row' }, field('Kind', kind), field('Item', item)),
    field('JSON', text), error,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save'), h('button', { type: 'button', class: 'secondary', onclick: remove }, 'Delete')));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  fill(el, h('h2', { id: 'other-title' }, 'Departments, services, rules, SLAs, templates, purposes, sensors'), form);
  await loadKind();
}

currentSession().then(route, (e) => fill(app, header(null), h('main', {}, h('p', { role: 'alert' }, e.message))));
