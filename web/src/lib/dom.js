// Building the DOM without HTML strings: text is always text, never markup, so data from
// the hub (descriptions, names) cannot inject anything, and nothing needs 'unsafe-inline'.

// h('button', {type: 'button', onclick: f}, 'Sign in') → <button type="button">Sign in</button>.
// Attributes: `class`, `for`, aria-*/data-* and plain ones as attributes; on* as listeners;
// `hidden`, `disabled`, `checked`, `selected`, `value` as properties. null/false are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (['hidden', 'disabled', 'checked', 'selected', 'value', 'required'].includes(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces the element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// A labelled form field. The label points at its control (for/id) instead of wrapping it,
// so the control's accessible name is the label alone; a hint describes the control.
let fieldCount = 0;
export function field(label, control, hint) {
  if (!control.id) control.id = `field-${++fieldCount}`;
  let hintEl = null;
  if (hint) {
    hintEl = h('span', { class: 'hint', id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), hintEl.id].filter(Boolean).join(' '));
  }
  return h('div', { class: 'field' }, h('label', { class: 'field-label', for: control.id }, label), control, hintEl);
}

// <select> from [{value, label}] (or plain strings), with `selected` marking one value.
export function select(attrs, options, selected) {
  return h('select', attrs, options.map((o) => {
    const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
    return h('option', { value, selected: value === selected }, label);
  }));
}

// The page's polite live region (one per page, made on first use): screen readers hear
// live changes without losing their place.
export function announce(text) {
  let region = document.getElementById('live-region');
  if (!region) {
    region = h('div', { id: 'live-region', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
    document.body.append(region);
  }
  region.textContent = text;
}
