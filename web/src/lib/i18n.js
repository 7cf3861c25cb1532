// The public pages' strings, one JSON file per language under /i18n/. The language comes
// from ?lang=, then the visitor's last choice, then the browser's preference; English is
// the fallback for any string a translation lacks.
import { h } from './dom.js';

export const LANGUAGES = [{ code: 'en', name: 'English' }, { code: 'de', name: 'Deutsch' }];
const STORE_KEY = 'glassbrain.lang';

export function chosenLanguage() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  const known = (c) => LANGUAGES.some((l) => l.code === c);
  if (known(fromUrl)) {
    localStorage.setItem(STORE_KEY, fromUrl);
    return fromUrl;
  }
  const saved = localStorage.getItem(STORE_KEY);
  if (known(saved)) return saved;
  return navigator.languages?.some((l) => l.startsWith('de')) ? 'de' : 'en';
}

async function loadStrings(lang) {
  const res = await fetch(`/i18n/${lang}.json`);
  if (!res.ok) throw new Error(`the strings for ${lang} are missing (${res.status})`);
  return res.json();
}

// Resolves with t(key, vars): the string for key with {name} placeholders filled in.
export async function loadI18n() {
  const lang = chosenLanguage();
  const [en, own] = await Promise.all([loadStrings('en'), lang === 'en' ? null : loadStrings(lang)]);
  const strings = { ...en, ...(own ?? {}) };
  document.documentElement.lang = lang;
  const t = (key, vars = {}) => (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  t.lang = lang;
  return t;
}

// Links "English" and "Deutsch" that reload the page in that language, keeping its query.
export function languageLinks(current) {
  return h('nav', { class: 'lang-links', 'aria-label': 'Language' }, LANGUAGES.map((l) => {
    const q = new URLSearchParams(location.search);
    q.set('lang', l.code);
    return h('a', { href: `?${q}`, lang: l.code, hreflang: l.code, 'aria-current': l.code === current ? 'true' : null }, l.name);
  }));
}
