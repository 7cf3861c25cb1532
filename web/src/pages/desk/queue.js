// The queue "Incidents": filters, the table (latest change first) and live updates.
import { getAll, query } from '../../lib/api.js';
import { announce, field, fill, h, select } from '../../lib/dom.js';
import { age, fromLocalInput, stateLabel } from '../../lib/format.js';
import { OPEN_STATES } from '../../lib/map.js';

// Rows drawn at first and added each time the list is scrolled to its end: a browser lays
// out every row of a table, and thousands of rows nobody scrolls to cost seconds.
const ROWS_PER_STEP = 100;
const ALL_STATES = [...OPEN_STATES, 'resolved', 'rejected', 'merged'];
const STATE_CHOICES = [
  { value: OPEN_STATES.join(','), label: 'Open' },
  ...ALL_STATES.map((s) => ({ value: s, label: stateLabel(s) })),
  { value: ALL_STATES.join(','), label: 'All' },
];

// What the queue lists until a filter is changed: every open incident.
export const FIRST_FILTER = { state: STATE_CHOICES[0].value };

export const incidentsPath = (filter) => `/api/v1/incidents${query(filter)}`;

export class Queue {
  constructor(el, lists, { onOpen, onChange }) {
    this.el = el;
    this.lists = lists;
    this.onOpen = onOpen;
    this.onChange = onChange;
    this.byId = new Map();
    this.loading = false;
    this.loads = 0;
    this.arrivedWhileLoading = [];
    this.departmentName = new Map(lists.departments.map((d) => [d.value, d.label]));
    this.categoryName = new Map(lists.categories.map((c) => [c.value, c.label]));

    const any = (label) => [{ value: '', label }];
    this.controls = {
      state: select({ name: 'state' }, STATE_CHOICES, STATE_CHOICES[0].value),
      category: select({ name: 'category' }, [...any('Any'), ...lists.categories]),
      department: select({ name: 'department' }, [...any('Any'), ...lists.departments]),
      area: select({ name: 'area' }, [...any('Any'), ...lists.areas]),
      from: h('input', { name: 'from', type: 'datetime-local' }),
      to: h('input', { name: 'to', type: 'datetime-local' }),
    };
    const form = h('form', { class: 'filters row', 'aria-label': 'Filters' },
      field('State', this.controls.state), field('Category', this.controls.category),
      field('Department', this.controls.department), field('Area', this.controls.area),
      field('From', this.controls.from), field('To', this.controls.to));
    form.addEventListener('change', () => { this.rows = ROWS_PER_STEP; this.reload(); });
    form.addEventListener('submit', (e) => e.preventDefault());
    this.count = h('span', { class: 'muted' });
    this.error = h('p', { class: 'error', role: 'alert' });
    this.tbody = h('tbody');
    this.rows = ROWS_PER_STEP;
    this.more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => this.showMore() });
    const scroll = h('div', { class: 'table-scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Id', 'Category', 'State', 'Department', 'Age', 'Overdue', 'Latest report'].map((c) => h('th', { scope: 'col' }, c)))),
      this.tbody), this.more);
    // Scrolling to the end of the list shows more, as the button does for the keyboard.
    new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting)) this.showMore(); }, { root: scroll })
      .observe(this.more);
    fill(el, h('div', { class: 'region-head' }, h('h2', { id: 'queue-title' }, 'Incidents'), this.count), form, this.error, scroll);
    setInterval(() => this.render(), 30_000);  // ages move on
  }

  filter() {
    const c = this.controls;
    return { state: c.state.value, category: c.category.value, department: c.department.value, area: c.area.value,
      from: fromLocalInput(c.from.value), to: fromLocalInput(c.to.value) };
  }

  matches(inc) {
    const f = this.filter();
    return f.state.split(',').includes(inc.state) && (!f.category || inc.category === f.category) &&
      (!f.department || inc.department_id === f.department) && (!f.area || inc.area_id === f.area) &&
      (!f.from || inc.updated_at >= f.from) && (!f.to || inc.updated_at <= f.to);
  }

  // Loads the incidents the filters select, or takes `list`, such a load already under way.
  // Changes that arrive meanwhile are applied on top, so that a change during the load is
  // neither lost nor undone by an older page; of loads that overlap, the latest counts.
  async reload(list = getAll(incidentsPath(this.filter()))) {
    const load = ++this.loads;
    this.loading = true;
    this.error.textContent = '';
    try {
      const items = await list;
      if (load !== this.loads) return;
      this.byId = new Map(items.map((i) => [i.id, i]));
    } catch (e) {
      if (load !== this.loads) return;
      this.error.textContent = e.message;
    }
    this.loading = false;
    for (const inc of this.arrivedWhileLoading.splice(0)) this.upsert(inc);
    this.render();
  }

  // A changed incident from the stream or an action: shown when it matches the filters,
  // dropped when it no longer does.
  upsert(inc, { live = false } = {}) {
    if (this.loading) {
      this.arrivedWhileLoading.push(inc);
      return;
    }
    const known = this.byId.get(inc.id);
    if (known && known.updated_at > inc.updated_at) return;  // an older message than what we hold
    if (this.matches(inc)) this.byId.set(inc.id, inc); else this.byId.delete(inc.id);
    if (live) announce(`Incident ${inc.id}, ${this.categoryName.get(inc.category) ?? inc.category}: ${stateLabel(inc.state)}`);
    // One render for a burst of messages; not tied to animation frames, which a busy map delays.
    if (!this.timer) this.timer = setTimeout(() => { this.timer = 0; this.render(); }, 0);
  }

  showMore() {
    if (this.more.hidden) return;
    this.rows += ROWS_PER_STEP;
    this.render();
  }

  render() {
    const items = [...this.byId.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : b.id - a.id));
    const now = Date.now();
    const listed = items.slice(0, this.rows);
    this.tbody.replaceChildren(...listed.map((inc) => h('tr', {},
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => this.onOpen(inc) }, `#${inc.id}`)),
      h('td', {}, this.categoryName.get(inc.category) ?? inc.category),
      h('td', {}, stateLabel(inc.state)),
      h('td', {}, this.departmentName.get(inc.department_id) ?? inc.department_id),
      h('td', {}, age(inc.opened_at, now)),
      h('td', {}, inc.sla?.overdue ? h('span', { class: 'badge overdue' }, 'Overdue') : ''),
      h('td', { class: 'report' }, inc.latest_report?.description ?? ''))));
    const rest = items.length - listed.length;
    this.more.hidden = rest === 0;
    this.more.textContent = `Show ${Math.min(rest, ROWS_PER_STEP)} more of ${rest}`;
    this.count.textContent = rest ? `${items.length} shown, newest ${listed.length} listed` : `${items.length} shown`;
    this.onChange(items);
  }
}
