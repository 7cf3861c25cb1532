// The follow page at /follow/?id=<service_request_id> (or ?incident=<id>): where a request
// stands, who is responsible, the notes and photo; once it is closed, the browser that
// filed it may say whether it was fixed ("No" opens it again).
import '../../lib/base.css';
import './follow.css';
import { get, request } from '../../lib/api.js';
import { announce, field, fill, h } from '../../lib/dom.js';
import { when } from '../../lib/format.js';
import { loadI18n, languageLinks } from '../../lib/i18n.js';
import { publicHeader } from '../../lib/public.js';
import { tokenFor } from '../../lib/requests.js';

const app = document.getElementById('app');

async function main() {
  const t = await loadI18n();
  document.title = `Glassbrain — ${t('follow.title')}`;
  const params = new URLSearchParams(location.search);
  const id = params.get('id'), incident = params.get('incident');
  const body = h('main', { class: 'follow-page' });
  fill(app, publicHeader(t, t('follow.title'), languageLinks(t.lang)), body);
  if (!id && !incident) return fill(body, h('p', { role: 'alert' }, t('follow.missing')));
  const load = async () => {
    try {
      if (id) {
        const [r] = await get(`/open311/v2/requests/${encodeURIComponent(id)}.json`);
        renderRequest(t, body, r, load);
      } else {
        renderIncident(t, body, await get(`/api/v1/public/incidents/${encodeURIComponent(incident)}`));
      }
    } catch (e) {
      fill(body, h('p', { role: 'alert', class: 'error' }, e.message));
    }
  };
  await load();
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(([, v]) => v != null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function renderRequest(t, body, r, reload) {
  const closed = r.status === 'closed';
  fill(body,
    h('h2', {}, t('follow.request', { id: r.service_request_id })),
    facts([
      [t('follow.status'), h('strong', {}, t(`follow.${closed ? 'closed' : 'open'}`))],
      [t('follow.category'), r.service_name],
      [t('follow.agency'), r.agency_responsible],
      [t('follow.notes'), r.status_notes],
      [t('follow.description'), r.description],
      [t('follow.requested'), when(r.requested_datetime)],
      [t('follow.updated'), when(r.updated_datetime)],
    ]),
    r.media_url ? h('figure', {}, h('img', { src: sameOriginPath(r.media_url), alt: t('follow.photo') }), h('figcaption', {}, t('follow.photo'))) : null,
    closed && tokenFor(r.service_request_id) ? feedback(t, r.service_request_id, reload) : null,
    h('p', {}, h('a', { href: `/report/?lang=${t.lang}` }, t('follow.report_new'))));
}

// The photo from this hub, whichever address its media_url names.
function sameOriginPath(url) {
  try { const u = new URL(url, location.href); return u.pathname + u.search; } catch { return url; }
}

function feedback(t, id, reload) {
  const comment = h('textarea', { name: 'comment', rows: 2, maxlength: 1000 });
  const error = h('p', { class: 'error', role: 'alert' });
  const answer = (fixed) => async () => {
    error.textContent = '';
    try {
      await request('POST', `/api/v1/public/requests/${encodeURIComponent(id)}/feedback`,
        { body: { token: tokenFor(id), fixed, comment: comment.value } });
      const thanks = t(fixed ? 'follow.thanks_yes' : 'follow.thanks_no');
      // The page is drawn again, so the live region (which stays) says it, and the page shows it.
      announce(thanks);
      await reload();
      const note = document.querySelector('.follow-page h2');
      note?.after(h('p', { class: 'ok' }, thanks));
    } catch (e) {
      error.textContent = e.message;
    }
  };
  return h('section', { class: 'panel', 'aria-labelledby': 'fixed-title' },
    h('h3', { id: 'fixed-title' }, t('follow.fixed')),
    field(t('follow.comment'), comment),
    h('div', { class: 'row' }, h('button', { type: 'button', onclick: answer(true) }, t('follow.yes')),
      h('button', { type: 'button', class: 'secondary', onclick: answer(false) }, t('follow.no'))),
    error);
}

function renderIncident(t, body, inc) {
  fill(body,
    h('h2', {}, t('follow.incident', { id: inc.id })),
    facts([
      [t('follow.status'), h('strong', {}, t(`follow.${inc.status === 'closed' ? 'closed' : 'open'}`))],
      [t('follow.category'), inc.category_name ?? inc.category],
      [t('follow.agency'), inc.agency_responsible],
      [t('follow.requested'), when(inc.opened_at)],
      [t('follow.updated'), when(inc.updated_at)],
    ]),
    inc.follow_id ? h('p', {}, h('a', { href: `/follow/?id=${encodeURIComponent(inc.follow_id)}&lang=${t.lang}` }, t('follow.latest_request'))) : null,
    h('p', {}, h('a', { href: `/report/?lang=${t.lang}` }, t('follow.report_new'))));
}

main().catch((e) => fill(app, h('main', {}, h('p', { role: 'alert', class: 'error' }, e.message))));
