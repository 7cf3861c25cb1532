// The header of the public pages: the page's title, the motto, links between the public
// pages and the language links.
import { h } from './dom.js';

export function publicHeader(t, title, langLinks) {
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, title), h('span', { class: 'tagline' }, t('site.tagline'))),
    h('nav', { class: 'lang-links', 'aria-label': t('nav.label') },
      h('a', { href: `/report/?lang=${t.lang}` }, t('report.title')),
      h('a', { href: `/transparency/?lang=${t.lang}` }, t('transparency.cameras'))),
    langLinks);
}
