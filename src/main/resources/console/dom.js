// Small DOM helpers: elements are built with text nodes only (never parsed as HTML), so whatever the service or Cyclr
// answered (account names, error messages) is shown as text and cannot become markup.

/** h('div', {class: 'x', onclick: fn}, child, 'text', ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) {
      continue;
    }
    if (Array.isArray(c)) {
      append(el, c);
    } else {
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const number = new Intl.NumberFormat();
export function fmt(n) {
  return n === null || n === undefined ? '–' : number.format(n);
}

export function when(iso) {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) {
    return '–';
  }
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A status as a coloured pill (the colour by the kind of status, see console.css). */
export function badge(status) {
  return h('span', { class: `badge s-${String(status || '').toLowerCase().replaceAll('_', '-')}` }, status || '–');
}

export function shortId(id) {
  return id && id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/** A table: columns [{title, cell(row) -> node|text, class?}], rows; an empty text when there are none. */
export function table(columns, rows, empty = 'Nothing to show.') {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title))));
  const body = h('tbody', {}, rows.length
    ? rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.class, 'data-label': c.title }, c.cell(r)))))
    : h('tr', {}, h('td', { class: 'empty', colspan: columns.length }, empty)));
  return h('div', { class: 'table-wrap' }, h('table', {}, head, body));
}

/** A card with a title and content. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

/** Label/value pairs. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

/** A horizontal bar split by counts: [{key, value}] over total, each segment coloured by its key. */
export function stackedBar(parts, total) {
  const bar = h('div', { class: 'stack', role: 'img', 'aria-label': parts.map((p) => `${p.key} ${p.value}`).join(', ') });
  for (const p of parts) {
    if (p.value > 0 && total > 0) {
      const seg = h('span', { class: `seg s-${p.key.toLowerCase().replaceAll('_', '-')}`, title: `${p.key}: ${fmt(p.value)}` });
      seg.style.width = `${(100 * p.value) / total}%`; // CSSOM, which a CSP without 'unsafe-inline' allows
      bar.append(seg);
    }
  }
  return bar;
}

/** A message line for errors. */
export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error?.message || String(error));
}

let toastTimer;
/** A short notice at the bottom of the page. */
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}
