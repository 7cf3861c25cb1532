// Live figures from GET /api/v1/stats: open incidents by department and category, overdue,
// median time to resolve, and opened/resolved per hour as a small SVG chart.
import { get } from '../../lib/api.js';
import { fill, h } from '../../lib/dom.js';
import { duration } from '../../lib/format.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

export class Figures {
  constructor(el, lists) {
    this.el = el;
    this.names = new Map([...lists.departments, ...lists.categories].map((x) => [x.value, x.label]));
    this.body = h('div', { class: 'figures-body' });
    fill(el, h('h2', { id: 'figures-title' }, 'Live figures'), this.body);
    setInterval(() => this.load(), 60_000);
  }

  // After live changes, at most one reload every few seconds.
  soon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.load(); }, 3000);
  }

  async load() {
    try {
      this.render(await get('/api/v1/stats'));
    } catch (e) {
      fill(this.body, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  render(s) {
    const table = (caption, rows) => h('table', { class: 'small' }, h('caption', {}, caption),
      h('tbody', {}, Object.entries(rows ?? {}).sort((a, b) => b[1] - a[1]).map(([k, n]) =>
        h('tr', {}, h('th', { scope: 'row' }, this.names.get(k) ?? k), h('td', {}, String(n))))));
    fill(this.body,
      h('p', { class: 'headline' },
        h('span', {}, h('strong', {}, String(s.overdue ?? 0)), ' overdue'),
        h('span', {}, 'median time to resolve: ', h('strong', {}, duration(s.median_resolve_seconds)))),
      h('div', { class: 'row top' }, table('Open by department', s.open_by_department), table('Open by category', s.open_by_category)),
      chart(s.per_hour ?? []));
  }
}

// Bars per hour: opened (dark) and resolved (green), with a text summary for screen readers.
function chart(perHour) {
  const W = 480, H = 140, pad = 20;
  const max = Math.max(1, ...perHour.flatMap((p) => [p.opened, p.resolved]));
  const bw = perHour.length ? (W - pad) / perHour.length : 0;
  const bars = perHour.flatMap((p, i) => {
    const x = pad + i * bw;
    const hOpen = ((H - pad) * p.opened) / max, hRes = ((H - pad) * p.resolved) / max;
    return [
      svg('rect', { x: x + 1, y: H - pad - hOpen, width: Math.max(1, bw / 2 - 1), height: hOpen, class: 'bar-opened' },
        svg('title', {}, `${hourLabel(p.hour)}: ${p.opened} opened`)),
      svg('rect', { x: x + bw / 2, y: H - pad - hRes, width: Math.max(1, bw / 2 - 1), height: hRes, class: 'bar-resolved' },
        svg('title', {}, `${hourLabel(p.hour)}: ${p.resolved} resolved`)),
    ];
  });
  const labels = perHour.filter((_, i) => i % 3 === 0).map((p) => {
    const i = perHour.indexOf(p);
    const t = svg('text', { x: pad + i * bw, y: H - 5, class: 'axis' });
    t.textContent = hourLabel(p.hour);
    return t;
  });
  const opened = perHour.reduce((n, p) => n + p.opened, 0), resolved = perHour.reduce((n, p) => n + p.resolved, 0);
  return h('figure', { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Per hour: ${opened} opened, ${resolved} resolved in all` },
      svg('line', { x1: pad, y1: H - pad, x2: W, y2: H - pad, class: 'axis-line' }), ...bars, ...labels),
    h('figcaption', {}, h('span', { class: 'key opened' }, 'opened'), ' and ', h('span', { class: 'key resolved' }, 'resolved'), ' per hour'));
}

function hourLabel(hour) {
  const d = new Date(hour);
  return Number.isNaN(d.getTime()) ? String(hour) : `${String(d.getHours()).padStart(2, '0')}:00`;
}
