// One incident: why it went where it did, its timeline, up to three evidence views (each
// read after a stated purpose) and the actions its state allows.
import { ApiError, get, getAll, newIdempotencyKey, query, request } from '../../lib/api.js';
import { announce, field, fill, h, select } from '../../lib/dom.js';
import { stateLabel, when } from '../../lib/format.js';

// The button for a move to each state; its label is the word the dispatcher reads.
const MOVES = { dispatched: 'Dispatch', in_progress: 'Start', resolved: 'Resolve', rejected: 'Reject', routed: 'Route again' };
const OPEN = ['new', 'routed', 'dispatched', 'in_progress'];

export class Detail {
  constructor(el, lists, onUpdated) {
    this.el = el;
    this.lists = lists;
    this.onUpdated = onUpdated;
    this.id = null;
    this.purposes = null;
    fill(el, h('h2', { id: 'detail-title' }, 'Incident'), h('p', { class: 'muted' }, 'Choose an incident in the queue or on the map.'));
  }

  changed(inc) {
    if (inc.id === this.id && !this.busy) this.show(inc.id, { keepEvidence: true });
  }

  async show(id, { keepEvidence = false } = {}) {
    this.id = id;
    const evidence = keepEvidence ? this.evidenceEl : null;
    try {
      const [inc, events, history, purposes, crew, templates] = await Promise.all([
        get(`/api/v1/incidents/${id}`), get(`/api/v1/incidents/${id}/events`), get(`/api/v1/incidents/${id}/history`),
        this.purposes ?? get('/api/v1/public/purposes').then((p) => p.items),
        get('/api/v1/crew'), getAll('/api/v1/response-templates')]);
      if (id !== this.id) return;  // another incident was chosen meanwhile
      this.purposes = purposes;
      this.render(inc, events.items, history.items, purposes, crew.items, templates, evidence);
    } catch (e) {
      fill(this.el, h('h2', { id: 'detail-title' }, `Incident #${id}`), h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  render(inc, events, history, purposes, crew, templates, evidence) {
    const dept = this.lists.departments.find((d) => d.value === inc.department_id)?.label ?? inc.department_id;
    const category = this.lists.categories.find((c) => c.value === inc.category)?.label ?? inc.category;
    const error = h('p', { class: 'error', role: 'alert' });
    this.evidenceEl = evidence ?? this.evidenceBlock(inc, purposes);
    fill(this.el,
      h('h2', { id: 'detail-title' }, `Incident #${inc.id}: ${category}`),
      h('dl', { class: 'facts' },
        fact('State', stateLabel(inc.state) + (inc.sla?.overdue ? ' (overdue)' : '')),
        fact('Department', dept), fact('Opened', when(inc.opened_at)), fact('Last change', when(inc.updated_at)),
        inc.assignee ? fact('Crew', inc.assignee) : null,
        inc.sla ? fact('Respond by', when(inc.sla.respond_due_at)) : null,
        inc.sla ? fact('Resolve by', when(inc.sla.resolve_due_at)) : null,
        inc.latest_report ? fact('Latest report', inc.latest_report.description || '(no description)') : null),
      h('h3', {}, 'Why it went there'), h('p', { class: 'explanation' }, inc.explanation),
      this.evidenceEl,
      h('h3', {}, 'Actions'), this.actions(inc, crew, templates, error), error,
      h('h3', {}, 'Timeline'), timeline(events, history));
  }

  evidenceBlock(inc, purposes) {
    const views = (inc.views ?? []).slice(0, 3);
    const box = h('section', { 'aria-labelledby': 'evidence-title' }, h('h3', { id: 'evidence-title' }, 'Evidence'));
    if (!views.length) {
      box.append(h('p', { class: 'muted' }, 'No images.'));
      return box;
    }
    const purpose = select({ name: 'purpose' }, [{ value: '', label: 'Choose…' },
      ...purposes.map((p) => ({ value: p.code, label: p.label }))]);
    const images = h('div', { class: 'evidence' });
    const error = h('p', { class: 'error', role: 'alert' });
    const showButton = h('button', { type: 'button', onclick: () => {
      error.textContent = '';
      const p = purposes.find((x) => x.code === purpose.value);
      if (!p) { error.textContent = 'Choose why you look at the evidence.'; purpose.focus(); return; }
      const text = `${p.label} (incident ${inc.id})`;
      fill(images, views.map((v, i) => h('figure', {},
        h('img', { src: `/api/v1/evidence/${encodeURIComponent(v.evidence)}${query({ purpose_code: p.code, purpose: text })}`,
          alt: `View ${i + 1} of incident ${inc.id} from ${v.source_id} (faces and people blurred)` }),
        h('figcaption', {}, `${v.source_id}, confidence ${Math.round(v.confidence * 100)} %`))));
    } }, `Show ${views.length} image${views.length > 1 ? 's' : ''}`);
    box.append(h('p', { class: 'muted' }, 'Every look is recorded with its purpose.'),
      h('div', { class: 'row' }, field('Purpose', purpose), showButton), error, images);
    return box;
  }

  actions(inc, crew, templates, error) {
    const note = h('textarea', { name: 'note', rows: 2 });
    const template = select({ name: 'template' }, [{ value: '', label: 'None' },
      ...templates.filter((t) => !t.category || t.category === inc.category).map((t) => ({ value: t.id, label: t.title }))]);
    const run = (label, fn) => async () => {
      error.textContent = '';
      this.busy = true;
      try {
        const updated = await fn();
        announce(`Incident ${inc.id}: ${label} done`);
        this.onUpdated(updated);
        this.busy = false;
        await this.show(inc.id, { keepEvidence: true });
      } catch (e) {
        error.textContent = e instanceof ApiError ? e.message : String(e);
      } finally {
        this.busy = false;
      }
    };
    const move = (to, extra = {}) => {
      const key = newIdempotencyKey();  // made when the dispatcher acts; a retry replays it
      return request('POST', `/api/v1/incidents/${inc.id}/transitions`, { idempotencyKey: key,
        body: { to, note: note.value, ...(template.value ? { template_id: template.value } : {}), ...extra } });
    };
    const parts = [field('Note', note), templates.length ? field('Response template', template) : null];
    const next = inc.next_states ?? [];
    const buttons = [];
    if (next.includes('dispatched')) {
      const who = select({ name: 'assignee' }, crew.map((c) => ({ value: c.name, label: `${c.name} (${c.open_tasks} open)` })));
      parts.push(h('div', { class: 'row' }, field('Crew', who),
        h('button', { type: 'button', onclick: run('Dispatch', () => move('dispatched', { assignee: who.value })) }, 'Dispatch')));
    }
    for (const to of next) if (to !== 'dispatched' && MOVES[to]) buttons.push(h('button', { type: 'button', onclick: run(MOVES[to], () => move(to)) }, MOVES[to]));
    if (buttons.length) parts.push(h('div', { class: 'row' }, buttons));
    if (OPEN.includes(inc.state)) {
      const dept = select({ name: 'department' }, this.lists.departments, inc.department_id);
      const reason = h('input', { name: 'reason' });
      parts.push(h('div', { class: 'row' }, field('New department', dept), field('Reason', reason),
        h('button', { type: 'button', onclick: run('Change department', () => request('POST', `/api/v1/incidents/${inc.id}/department`,
          { idempotencyKey: newIdempotencyKey(), body: { department_id: dept.value, reason: reason.value } })) }, 'Change department')));
      const others = h('input', { name: 'merge', inputmode: 'numeric', placeholder: 'e.g. 14, 15' });
      parts.push(h('div', { class: 'row' }, field('Incidents to merge into this one', others),
        h('button', { type: 'button', onclick: run('Merge', () => {
          const ids = others.value.split(/[\s,]+/).filter(Boolean).map((s) => Number(s.replace(/^#/, '')));
          if (!ids.length || ids.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('Name the incidents to merge by their numbers, e.g. 14, 15.');
          return request('POST', `/api/v1/incidents/${inc.id}/merge`, { idempotencyKey: newIdempotencyKey(), body: { incidents: ids } });
        }) }, 'Merge')));
    }
    return h('div', { class: 'actions' }, parts);
  }
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

// What a change in the history reads as.
const CHANGE_WORDS = {
  create: 'opened', transition: 'moved', department: 'changed department', overdue: 'went overdue',
  escalate: 'escalated', en_route: 'crew on the way', note: 'added a note', reopen: 'reopened by the resident',
  merge: 'merged', merge_into: 'took in merged incidents', split: 'split off', split_from: 'split from',
};

// Observations and changes together, oldest first.
function timeline(events, history) {
  const rows = [
    ...events.map((e) => ({ at: e.observed_at, text: `${e.source.kind} ${e.source.id} saw ${(e.rule || e.category).replace(/_/g, ' ')}` +
      (e.confidence != null ? ` (confidence ${Math.round(e.confidence * 100)} %)` : '') })),
    ...history.map((c) => ({ at: c.at, text: [c.actor, CHANGE_WORDS[c.type] ?? c.type,
      c.from && c.to ? `${stateLabel(c.from)} → ${stateLabel(c.to)}` : '',
      c.assignee ? `to ${c.assignee}` : '', c.department_id ? `(${c.department_id})` : '', c.note ? `“${c.note}”` : '']
      .filter(Boolean).join(' ') })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (!rows.length) return h('p', { class: 'muted' }, 'Nothing yet.');
  return h('ol', { class: 'timeline' }, rows.map((r) => h('li', {}, h('time', { datetime: r.at }, when(r.at)), ' ', r.text)));
}
