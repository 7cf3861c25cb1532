// The public transparency page at /transparency/: every camera with what it covers on a
// map and in the table "Cameras" (purpose, rules in plain words, field of view, range),
// how images are anonymised and how long data is kept, last month's counts, and what the
// system cannot do.
import '../../lib/base.css';
import './transparency.css';
import { get } from '../../lib/api.js';
import { fill, h } from '../../lib/dom.js';
import { loadI18n, languageLinks } from '../../lib/i18n.js';
import { addDistrictLayers, CAMERA_LEGEND_COLORS, createMap, layerPanel, legendItem } from '../../lib/map.js';
import { publicHeader } from '../../lib/public.js';

const app = document.getElementById('app');

async function main() {
  const t = await loadI18n();
  document.title = `Glassbrain — ${t('transparency.title')}`;
  const [publicMap, stats, auditHead] = await Promise.all([
    get('/api/v1/public/map'), get('/api/v1/public/stats'), get('/api/v1/public/audit-head')]);
  const cameras = publicMap.features.filter((f) => f.properties.layer === 'camera');
  const coverage = new Map(publicMap.features.filter((f) => f.properties.layer === 'camera_coverage').map((f) => [f.properties.id, f.properties]));
  const ruleWords = (rules) => (rules ?? []).map((r) => { const k = `rule.${r}`; const w = t(k); return w === k ? r.replace(/_/g, ' ') : w; }).join(', ');
  const mapEl = h('div', { class: 'map' });
  const ret = publicMap.retention ?? {};
  const views = stats.evidence_views ?? { total: 0, by_purpose: [] };

  fill(app, publicHeader(t, t('transparency.title'), languageLinks(t.lang)),
    h('main', { class: 'transparency' },
      h('p', { class: 'intro' }, t('transparency.intro')),
      h('section', { class: 'map-region', 'aria-labelledby': 'map-title' }, h('h2', { id: 'map-title' }, publicMap.name), mapEl),
      h('section', { 'aria-labelledby': 'cameras-title' },
        h('h2', { id: 'cameras-title' }, t('transparency.cameras')),
        h('div', { class: 'table-scroll' }, h('table', { 'aria-labelledby': 'cameras-title' },
          h('thead', {}, h('tr', {}, ['id', 'name', 'purpose', 'rules', 'fov', 'range'].map((c) => h('th', { scope: 'col' }, t(`transparency.${c}`))))),
          h('tbody', {}, cameras.map((c) => {
            const p = c.properties, cov = coverage.get(p.id);
            return h('tr', {}, h('td', {}, p.id), h('td', {}, p.name), h('td', {}, p.purpose), h('td', {}, ruleWords(p.rules)),
              h('td', {}, cov ? `${Math.round(cov.fov_deg)}°` : ''), h('td', {}, `${Math.round(p.range_m)} m`));
          }))))),
      h('section', { class: 'panel', 'aria-labelledby': 'privacy-title' },
        h('h2', { id: 'privacy-title' }, t('transparency.privacy')),
        h('p', {}, t('transparency.blurred')),
        h('p', {}, t('transparency.retention', { events: ret.events_days, evidence: ret.evidence_days, incidents: ret.incidents_days }))),
      h('section', { class: 'panel', 'aria-labelledby': 'stats-title' },
        h('h2', { id: 'stats-title' }, t('transparency.stats', { month: stats.month ?? '' })),
        h('ul', {},
          h('li', {}, t('transparency.views', { total: views.total }),
            h('ul', {}, views.by_purpose.map((p) => h('li', {}, t('transparency.purpose_count', { label: p.label, count: p.count }))))),
          h('li', {}, t('transparency.reports', { n: stats.reports })),
          h('li', {}, t('transparency.opened', { n: stats.incidents_opened })),
          h('li', {}, t('transparency.resolved', { n: stats.incidents_resolved })),
          h('li', {}, t('transparency.reopened', { n: stats.reopened })))),
      h('section', { class: 'panel', 'aria-labelledby': 'audit-title' },
        h('h2', { id: 'audit-title' }, t('transparency.audit')),
        h('p', {}, t('transparency.audit.text')),
        h('p', {}, t('transparency.audit.head', { entries: auditHead.entries, at: auditHead.at ? new Date(auditHead.at).toLocaleString(t.lang) : t('transparency.audit.none') }),
          ' ', h('code', { class: 'audit-head' }, auditHead.hash))),
      h('section', { class: 'panel cannot', 'aria-labelledby': 'cannot-title' },
        h('h2', { id: 'cannot-title' }, t('transparency.cannot')),
        h('ul', {}, ['face', 'track', 'score'].map((k) => h('li', {}, t(`transparency.cannot.${k}`)))))));

  const areas = publicMap.features.filter((f) => f.properties.layer === 'area');
  const map = await createMap(mapEl, { label: t('map.label'), fit: areas });
  addDistrictLayers(map, publicMap, { only: ['areas', 'coverage', 'cameras'] });
  mapEl.closest('section').append(layerPanel(map, {
    groups: [
      { id: 'areas', label: t('layers.areas'), layers: ['areas-fill', 'areas-line'] },
      { id: 'coverage', label: t('layers.coverage'), layers: ['coverage-fill', 'coverage-line'] },
      { id: 'cameras', label: t('layers.cameras'), layers: ['cameras'] },
    ],
    legend: [legendItem(CAMERA_LEGEND_COLORS.camera, t('layers.cameras')), legendItem(CAMERA_LEGEND_COLORS.coverage, t('layers.coverage'))],
    title: t('layers.title'), legendTitle: t('layers.legend'), shown: (n) => t('layers.shown', { n }),
  }));
}

main().catch((e) => fill(app, h('main', {}, h('p', { role: 'alert', class: 'error' }, e.message))));
