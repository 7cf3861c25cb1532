// The public pages' strings: German has every English key (and no stray ones), every
// t('…') the pages call exists, and placeholders match between the languages.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const web = new URL('../../web/src/', import.meta.url).pathname;
const load = (lang) => JSON.parse(readFileSync(join(web, 'i18n', `${lang}.json`), 'utf8'));
const en = load('en'), de = load('de');

function sources(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.js') ? [p] : [];
  });
}

test('German and English have the same keys', () => {
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
});

test('every string the pages ask for exists', () => {
  const used = new Set();
  for (const file of sources(web))
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z_.]+)'/g)) used.add(m[1]);
  assert.ok(used.size > 50, `found ${used.size} uses`);
  assert.deepEqual([...used].filter((k) => !(k in en)), []);
});

test('placeholders are the same in both languages', () => {
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const k of Object.keys(en)) assert.deepEqual(holes(de[k]), holes(en[k]), k);
});
