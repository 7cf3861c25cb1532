// The district map shared by the pages: MapLibre drawing only GeoJSON sources with fill,
// line and circle layers, so nothing is fetched from outside (no tiles, glyphs or sprites);
// names are shown in HTML (lists, popups), not on the canvas.
import * as maplibregl from '/assets/maplibre-gl.mjs';
import { bounds, ringCenter } from './geo.js';
import { h } from './dom.js';

export { maplibregl };

export const AREA_COLORS = {
  ward: '#8a8f98',
  construction_site: '#d18b00',
  no_parking: '#c2185b',
  waste_point: '#6d8b00',
  poster_wall: '#7b4fb0',
  park: '#2e8b57',
  underpass: '#5d6d7e',
  school_zone: '#e6550d',
  market: '#1f78b4',
};
const OTHER_AREA = '#999999';

export const STATE_COLORS = {
  new: '#d62728',
  routed: '#e67e00',
  dispatched: '#1f5fbf',
  in_progress: '#8e44ad',
  resolved: '#2e8540',
  rejected: '#6b6b6b',
  merged: '#6b6b6b',
};

export const OPEN_STATES = ['new', 'routed', 'dispatched', 'in_progress'];

const CAMERA_COLOR = '#0b3d91';
const COVERAGE_COLOR = '#3b7dd8';
const SITE_COLOR = '#d00000';
const OVERDUE_RING = '#111111';

const matchColor = (property, table, fallback) =>
  ['match', ['get', property], ...Object.entries(table).flat(), fallback];

// A map in `container`, resolved once its empty style has loaded. `label` names the canvas
// for assistive technology ("Map"); keyboard: false leaves arrow keys to the page.
export function createMap(container, { label = 'Map', keyboard = true, fit } = {}) {
  const map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1ee' } }],
    },
    center: [0, 0],
    zoom: 1,
    attributionControl: false,
    keyboard,
    maxPitch: 0,
    dragRotate: false,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  const canvas = map.getCanvas();
  canvas.setAttribute('aria-label', label);
  canvas.setAttribute('role', 'region');
  return new Promise((resolve) => map.on('load', () => {
    if (fit) fitTo(map, fit);
    resolve(map);
  }));
}

export function fitTo(map, features, padding = 24) {
  const b = bounds(features);
  if (b) map.fitBounds(b, { padding, duration: 0 });
}

// Areas coloured by kind, sites (every area that is not a ward) with a red dot sized by its
// open incidents, camera coverage cones and camera points, from GET /api/v1/public/map.
// Layer groups are named in GROUPS for the toggles and the legend. `only` limits the
// groups drawn (e.g. ['areas'] where cameras would only distract); `incidents` (REST shape)
// size the sites' dots from the start.
export function addDistrictLayers(map, publicMap, { only = null, incidents = [] } = {}) {
  const areas = publicMap.features.filter((f) => f.properties.layer === 'area');
  const cameras = publicMap.features.filter((f) => f.properties.layer === 'camera');
  const coverage = publicMap.features.filter((f) => f.properties.layer === 'camera_coverage');
  map.addSource('areas', { type: 'geojson', data: { type: 'FeatureCollection', features: areas } });
  map.addSource('sites', { type: 'geojson', data: sitesOf(areas, incidents) });
  map.addSource('coverage', { type: 'geojson', data: { type: 'FeatureCollection', features: coverage } });
  map.addSource('cameras', { type: 'geojson', data: { type: 'FeatureCollection', features: cameras } });
  map.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas',
    paint: { 'fill-color': matchColor('kind', AREA_COLORS, OTHER_AREA),
      'fill-opacity': ['case', ['==', ['get', 'kind'], 'ward'], 0.04, 0.25] } });
  map.addLayer({ id: 'areas-line', type: 'line', source: 'areas',
    paint: { 'line-color': matchColor('kind', AREA_COLORS, OTHER_AREA),
      'line-width': ['case', ['==', ['get', 'kind'], 'ward'], 2, 1] } });
  map.addLayer({ id: 'coverage-fill', type: 'fill', source: 'coverage',
    paint: { 'fill-color': COVERAGE_COLOR, 'fill-opacity': 0.15 } });
  map.addLayer({ id: 'coverage-line', type: 'line', source: 'coverage',
    paint: { 'line-color': COVERAGE_COLOR, 'line-width': 1, 'line-opacity': 0.6 } });
  map.addLayer({ id: 'cameras', type: 'circle', source: 'cameras',
    paint: { 'circle-color': CAMERA_COLOR, 'circle-radius': 4, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } });
  map.addLayer({ id: 'sites', type: 'circle', source: 'sites',
    filter: ['>', ['get', 'open_incidents'], 0],
    paint: { 'circle-color': SITE_COLOR, 'circle-opacity': 0.85,
      'circle-radius': ['+', 5, ['*', 3, ['sqrt', ['get', 'open_incidents']]]] } });
  if (only) for (const g of GROUPS) if (!only.includes(g.id)) for (const l of g.layers) if (map.getLayer(l)) map.removeLayer(l);
  return { areas, cameras, coverage };
}

// Counts open incidents per area and moves the sites' dots accordingly.
export function setSites(map, areas, incidents) {
  map.getSource('sites').setData(sitesOf(areas, incidents));
}

function sitesOf(areas, incidents) {
  const open = new Map();
  for (const i of incidents) if (OPEN_STATES.includes(i.state)) open.set(i.area_id, (open.get(i.area_id) ?? 0) + 1);
  return {
    type: 'FeatureCollection',
    features: areas.filter((a) => a.properties.kind !== 'ward').map((a) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: ringCenter(a.geometry.coordinates[0]) },
      properties: { id: a.properties.id, name: a.properties.name, open_incidents: open.get(a.properties.id) ?? 0 },
    })),
  };
}

// Incidents as dots coloured by state, overdue ones ringed, starting with `incidents` (the
// REST shape: location {lat, lon}, sla {overdue}); setIncidents replaces them.
export function addIncidentLayer(map, incidents = []) {
  map.addSource('incidents', { type: 'geojson', data: incidentCollection(incidents) });
  map.addLayer({ id: 'incidents', type: 'circle', source: 'incidents',
    paint: { 'circle-color': matchColor('state', STATE_COLORS, '#444444'), 'circle-radius': 6,
      'circle-stroke-color': ['case', ['get', 'overdue'], OVERDUE_RING, '#ffffff'],
      'circle-stroke-width': ['case', ['get', 'overdue'], 3, 1] } });
}

export function incidentFeature(i) {
  return {
    type: 'Feature',
    id: i.id,
    geometry: { type: 'Point', coordinates: [i.location.lon, i.location.lat] },
    properties: { id: i.id, state: i.state, category: i.category, overdue: Boolean(i.sla?.overdue) },
  };
}

export function setIncidents(map, incidents) {
  map.getSource('incidents').setData(incidentCollection(incidents));
}

const incidentCollection = (incidents) => ({ type: 'FeatureCollection', features: incidents.map(incidentFeature) });

// The layer groups a user can switch on and off, in legend order.
export const GROUPS = [
  { id: 'areas', label: 'Areas', layers: ['areas-fill', 'areas-line'] },
  { id: 'sites', label: 'Sites with open incidents', layers: ['sites'] },
  { id: 'coverage', label: 'Camera coverage', layers: ['coverage-fill', 'coverage-line'] },
  { id: 'cameras', label: 'Cameras', layers: ['cameras'] },
  { id: 'incidents', label: 'Incidents', layers: ['incidents'] },
];

// How many distinct features of a group the map has drawn (by their `id` property).
export function renderedCount(map, group) {
  const layers = group.layers.filter((l) => map.getLayer(l));
  const ids = new Set(map.queryRenderedFeatures({ layers }).map((f) => f.properties.id));
  return ids.size;
}

function swatch(color, ring) {
  const s = h('span', { class: ring ? 'swatch ring' : 'swatch', 'aria-hidden': 'true' });
  s.style.backgroundColor = color;
  return s;
}

// The legend of colours of the staff maps.
export function staffLegend(map) {
  return [
    ...Object.entries(AREA_COLORS).map(([k, c]) => legendItem(c, k.replace(/_/g, ' '))),
    legendItem(SITE_COLOR, 'site with open incidents (larger: more)'),
    legendItem(CAMERA_COLOR, 'camera'), legendItem(COVERAGE_COLOR, 'what a camera covers'),
    ...(map.getLayer('incidents')
      ? [...OPEN_STATES.map((s) => legendItem(STATE_COLORS[s], `incident ${s.replace('_', ' ')}`)),
        legendItem('#ffffff', 'overdue (ringed)', true)]
      : []),
  ];
}

export const CAMERA_LEGEND_COLORS = { camera: CAMERA_COLOR, coverage: COVERAGE_COLOR };

export function legendItem(color, text, ring = false) {
  const s = h('span', { class: ring ? 'swatch ring' : 'swatch', 'aria-hidden': 'true' });
  s.style.backgroundColor = color;
  return h('li', {}, s, ` ${text}`);
}

// Layer toggles with the number of features drawn, and the legend, as one region. Counts
// refresh whenever the map has finished drawing.
export function layerPanel(map, { groups = GROUPS, legend = staffLegend(map), title = 'Layers', legendTitle = 'Legend',
  shown = (n) => `(${n} shown)` } = {}) {
  const rows = groups.filter((g) => g.layers.some((l) => map.getLayer(l))).map((g) => {
    const count = h('span', { class: 'count' });
    const box = h('input', { type: 'checkbox', checked: true, onchange: () => {
      for (const l of g.layers) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', box.checked ? 'visible' : 'none');
    } });
    return { g, count, el: h('li', {}, h('label', {}, box, ` ${g.label} `, count)) };
  });
  let timer = 0;  // counted after the frame, not inside it: the count is slow on big maps
  map.on('idle', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { for (const r of rows) r.count.textContent = shown(renderedCount(map, r.g)); }, 0);
  });
  const id = `layers-${Math.random().toString(36).slice(2, 8)}`;
  return h('section', { class: 'layers', 'aria-labelledby': id },
    h('h2', { id }, title),
    h('ul', { class: 'toggles' }, rows.map((r) => r.el)),
    h('details', {}, h('summary', {}, legendTitle), h('ul', { class: 'legend' }, legend)));
}
