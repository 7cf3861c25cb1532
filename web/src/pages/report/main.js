// The residents' report page at /report/: category, a pin on the map (mouse, touch or
// keyboard) kept in sync with "Latitude"/"Longitude", an optional photo and email, and the
// open reports of the same kind nearby. English and German.
import '../../lib/base.css';
import './report.css';
import { ApiError, get, query, request } from '../../lib/api.js';
import { announce, field, fill, h, select } from '../../lib/dom.js';
import { when } from '../../lib/format.js';
import { loadI18n, languageLinks } from '../../lib/i18n.js';
import { addDistrictLayers, createMap, maplibregl } from '../../lib/map.js';
import { downscaleJpeg } from '../../lib/photo.js';
import { bounds, offset } from '../../lib/geo.js';
import { rememberToken } from '../../lib/requests.js';
import { publicHeader } from '../../lib/public.js';

const app = document.getElementById('app');

async function main() {
  const t = await loadI18n();
  document.title = `Glassbrain — ${t('report.title')}`;
  const [services, publicMap] = await Promise.all([get('/open311/v2/services.json'), get('/api/v1/public/map')]);
  const areas = publicMap.features.filter((f) => f.properties.layer === 'area');
  const b = bounds(areas);
  const start = b ? [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] : [0, 0];

  const category = select({ name: 'service_code', required: true, 'aria-describedby': 'nearby-title' },
    [{ value: '', label: t('report.choose') }, ...services.map((s) => ({ value: s.service_code, label: s.service_name }))]);
  const lat = h('input', { name: 'lat', type: 'number', step: 'any', min: -90, max: 90, required: true, inputmode: 'decimal' });
  const lon = h('input', { name: 'long', type: 'number', step: 'any', min: -180, max: 180, required: true, inputmode: 'decimal' });
  const locate = h('button', { type: 'button', class: 'secondary' }, t('report.use_location'));
  const locateStatus = h('p', { class: 'hint', role: 'status' });
  const description = h('textarea', { name: 'description', rows: 4, maxlength: 4000 });
  const photo = h('input', { name: 'media', type: 'file', accept: 'image/jpeg,image/png,image/webp' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email' });
  const send = h('button', { type: 'submit' }, t('report.send'));
  const error = h('div', { class: 'error', role: 'alert', id: 'form-error' });
  const result = h('div', { class: 'result', role: 'status' });
  const mapEl = h('div', { class: 'map report-map' });
  const nearby = h('div', { class: 'nearby-list' });

  const form = h('form', { class: 'report-form', 'aria-labelledby': 'form-title', novalidate: true },
    h('h2', { id: 'form-title' }, t('report.form')),
    field(t('report.category'), category),
    h('fieldset', {}, h('legend', {}, t('report.where')),
      h('p', { class: 'hint', id: 'pin-help' }, t('report.pin_help')), mapEl,
      h('div', { class: 'row' }, field(t('report.latitude'), lat), field(t('report.longitude'), lon), locate), locateStatus),
    field(t('report.description'), description),
    field(t('report.photo'), photo, t('report.photo_help')),
    field(t('report.email'), email, t('report.email_help')),
    error, send);

  fill(app, publicHeader(t, t('report.title'), languageLinks(t.lang)),
    h('main', { class: 'report-page' },
      h('p', { class: 'intro' }, t('report.intro')),
      h('div', { class: 'report-grid' }, h('div', {}, form, result),
        h('section', { class: 'panel nearby', 'aria-labelledby': 'nearby-title' },
          h('h2', { id: 'nearby-title' }, t('nearby.title')), nearby))));

  let nearbyTimer = null, nearbyAsked = 0;  // see lookNearby below

  // ---- the pin ----------------------------------------------------------------------------
  const map = await createMap(mapEl, { label: t('map.label'), keyboard: false, fit: areas });
  addDistrictLayers(map, publicMap, { only: ['areas'] });
  const canvas = map.getCanvas();
  canvas.setAttribute('aria-describedby', 'pin-help');
  const pin = new maplibregl.Marker({ element: h('div', { class: 'pin-wrap', 'aria-hidden': 'true' }, h('div', { class: 'pin' })), draggable: true, anchor: 'bottom' })
    .setLngLat(start).addTo(map);
  const setPin = (p, { fromFields = false } = {}) => {
    pin.setLngLat(p);
    if (!fromFields) {
      lat.value = p[1].toFixed(6);
      lon.value = p[0].toFixed(6);
    }
    if (!map.getBounds().contains(p)) map.panTo(p, { duration: 0 });
    lookNearby();
  };
  pin.on('dragend', () => { const { lng, lat: la } = pin.getLngLat(); setPin([lng, la]); });
  map.on('click', (e) => setPin([e.lngLat.lng, e.lngLat.lat]));
  canvas.addEventListener('keydown', (e) => {
    const bearing = { ArrowUp: 0, ArrowRight: 90, ArrowDown: 180, ArrowLeft: 270 }[e.key];
    if (bearing === undefined) return;
    e.preventDefault();
    const { lng, lat: la } = pin.getLngLat();
    setPin(offset([lng, la], bearing, e.shiftKey ? 50 : 5));
  });
  const fromFields = () => {
    const la = Number(lat.value), lo = Number(lon.value);
    if (lat.value !== '' && lon.value !== '' && Math.abs(la) <= 90 && Math.abs(lo) <= 180) setPin([lo, la], { fromFields: true });
  };
  lat.addEventListener('input', fromFields);
  lon.addEventListener('input', fromFields);
  locate.addEventListener('click', () => {
    locateStatus.textContent = t('report.locating');
    navigator.geolocation.getCurrentPosition((pos) => {
      locateStatus.textContent = '';
      setPin([pos.coords.longitude, pos.coords.latitude]);
      map.jumpTo({ center: [pos.coords.longitude, pos.coords.latitude] });
    }, (err) => { locateStatus.textContent = t('report.no_location', { reason: err.message }); }, { timeout: 10_000 });
  });
  category.addEventListener('change', () => lookNearby());
  setPin(start);

  // ---- open reports nearby ------------------------------------------------------------------
  function lookNearby() {
    clearTimeout(nearbyTimer);
    nearbyTimer = setTimeout(async () => {
      if (!category.value) return fill(nearby, h('p', { class: 'muted' }, t('nearby.choose')));
      const asked = ++nearbyAsked;
      try {
        const r = await get(`/api/v1/public/nearby${query({ category: category.value, lat: lat.value, lon: lon.value, radius_m: 250 })}`);
        if (asked !== nearbyAsked) return;
        if (!r.items.length) return fill(nearby, h('p', { class: 'muted' }, t('nearby.none')));
        fill(nearby, h('ul', {}, r.items.map((i) => h('li', {},
          h('p', {}, i.description || `#${i.id}`),
          h('p', { class: 'muted' }, t('nearby.item', { state: t(`state.${i.state}`), distance: Math.round(i.distance_m), date: when(i.opened_at) })),
          h('a', { href: `/follow/${query(i.follow_id ? { id: i.follow_id } : { incident: i.id })}` }, t('nearby.follow'))))));
      } catch (e) {
        if (asked === nearbyAsked) fill(nearby, h('p', { class: 'error' }, e.message));
      }
    }, 300);
  }

  // ---- sending --------------------------------------------------------------------------------
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!category.value) { error.textContent = t('report.need_category'); category.focus(); return; }
    const la = Number(lat.value), lo = Number(lon.value);
    if (lat.value === '' || lon.value === '' || !(Math.abs(la) <= 90) || !(Math.abs(lo) <= 180)) {
      error.textContent = t('report.need_location'); lat.focus(); return;
    }
    send.disabled = true;
    send.textContent = t('report.sending');
    try {
      const body = new FormData();
      body.set('service_code', category.value);
      body.set('lat', String(la));
      body.set('long', String(lo));
      if (description.value.trim()) body.set('description', description.value.trim());
      if (email.value.trim()) body.set('email', email.value.trim());
      if (photo.files[0]) body.set('media', await downscaleJpeg(photo.files[0]), 'photo.jpg');
      const [created] = await request('POST', '/open311/v2/requests.json', { body });
      rememberToken(created.service_request_id, created.token);
      fill(result, h('h2', { tabindex: -1 }, t('report.sent', { id: created.service_request_id })),
        h('p', {}, t('report.thanks')),
        h('p', {}, h('a', { href: `/follow/?id=${encodeURIComponent(created.service_request_id)}` }, t('report.follow'))),
        h('p', { class: 'muted' }, t('report.another')));
      form.reset();
      setPin(pin.getLngLat().toArray());
      result.querySelector('h2').focus();
      announce(t('report.sent', { id: created.service_request_id }));
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 429 ? `${t('report.too_many')} (${e.message})` : e.message;
    } finally {
      send.disabled = false;
      send.textContent = t('report.send');
    }
  });
}

main().catch((e) => fill(app, h('main', {}, h('p', { role: 'alert', class: 'error' }, e.message))));
