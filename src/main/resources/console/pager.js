// A table read page by page from the service (cursor paging): only the page on screen is ever loaded, so a job of
// 100,000 items costs what a job of 50 does. Earlier pages are reached again through the cursors kept on the way.

import { h, fill, table, errorBox } from './dom.js';

/**
 * columns: as for table(); load(cursor) -> Promise<{rows, next}>. Returns {el, reload(), refresh()}: reload starts at
 * the first page (a filter changed), refresh reads the current page again.
 */
export function pagedTable({ columns, load, empty, name = 'rows' }) {
  const cursors = [null];
  let page = 0;
  let next = null;
  let loading = 0;
  const body = h('div', { class: 'paged-body' });
  const info = h('span', { class: 'muted page-info' });
  const prev = h('button', { type: 'button', class: 'ghost', onclick: () => go(page - 1) }, '← Previous');
  const more = h('button', { type: 'button', class: 'ghost', onclick: () => go(page + 1) }, 'Next →');
  const el = h('div', { class: 'paged', 'data-name': name }, body, h('div', { class: 'pager' }, prev, info, more));

  async function go(to) {
    if (to < 0 || (to > page && !next)) {
      return;
    }
    if (to > page) {
      cursors[to] = next;
    }
    const ticket = ++loading;
    el.classList.add('loading');
    try {
      const result = await load(cursors[to]);
      if (ticket !== loading) {
        return; // a newer request (another page, another filter) won
      }
      page = to;
      next = result.next || null;
      fill(body, table(columns, result.rows, empty));
      info.textContent = `Page ${page + 1}`;
      prev.disabled = page === 0;
      more.disabled = !next;
      el.dataset.page = String(page + 1);
    } catch (error) {
      if (ticket === loading) {
        fill(body, errorBox(error));
      }
    } finally {
      if (ticket === loading) {
        el.classList.remove('loading');
      }
    }
  }

  return {
    el,
    reload() {
      cursors.length = 1;
      next = null;
      return go(0).then(() => undefined);
    },
    refresh() {
      return go(page);
    },
  };
}
