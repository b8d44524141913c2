// Webhook deliveries: the endpoint's state, counts by status, the deliveries (paged, by status) and a retry of each.

import { api, get, query } from './api.js';
import { h, fill, card, badge, fmt, when, facts, toast } from './dom.js';
import { pagedTable } from './pager.js';

export function deliveriesPage(view, params, signal) {
  const endpoint = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const filter = h('select', { id: 'delivery-filter', 'aria-label': 'Filter deliveries by status' },
    h('option', { value: '' }, 'All statuses'), ['PENDING', 'DELIVERED', 'FAILED'].map((s) => h('option', { value: s }, s)));
  const list = pagedTable({
    name: 'deliveries',
    empty: 'No deliveries.',
    columns: [
      { title: 'Delivery', class: 'mono', cell: (d) => h('span', { title: d.id }, `${d.id.slice(0, 12)}…`) },
      { title: 'Type', cell: (d) => d.type },
      { title: 'For', cell: (d) => (d.jobId ? h('a', { href: `#/jobs/${d.jobId}`, class: 'mono' }, `job ${d.jobId.slice(0, 8)}…`)
        : d.fleet ? h('a', { href: `#/fleets/${encodeURIComponent(d.fleet)}` }, `fleet ${d.fleet}`) : '–') },
      { title: 'Status', cell: (d) => badge(d.status) },
      { title: 'Attempts', class: 'num', cell: (d) => fmt(d.attempts) },
      { title: 'Last result', cell: (d) => d.lastResult?.error || (d.lastResult?.httpStatus ? `HTTP ${d.lastResult.httpStatus}` : '–') },
      { title: 'Next attempt', cell: (d) => when(d.nextAttemptAt) },
      { title: '', cell: (d) => h('button', { type: 'button', class: 'ghost small', 'data-retry': d.id,
        onclick: (e) => retry(d, e.currentTarget) }, 'Retry now') },
    ],
    load: async (cursor) => {
      const page = await get(`/v1/webhooks/deliveries${query({ status: filter.value, limit: 50, cursor })}`, signal);
      showEndpoint(page);
      return { rows: page.deliveries, next: page.next };
    },
  });
  filter.addEventListener('change', () => list.reload());

  fill(view, h('div', { class: 'page-head' }, h('h1', {}, 'Webhook deliveries')),
    card('Endpoint', endpoint),
    card('Deliveries', h('div', { class: 'toolbar' }, filter,
      h('button', { type: 'button', class: 'ghost', onclick: () => list.refresh() }, 'Refresh')), list.el));

  function showEndpoint(page) {
    const e = page.endpoint;
    const counts = page.counts;
    fill(endpoint, e ? facts([
      ['URL', e.url || '(shown to admins only)'],
      ['State', e.enabled ? badge('ENABLED') : h('span', {}, badge('DISABLED'), ` ${e.reason || ''} since ${when(e.disabledAt)}`)],
      ['Events', (e.events || []).join(', ') || 'all'],
      ...(counts ? Object.entries(counts).map(([k, v]) => [k, fmt(v)]) : []),
    ]) : h('p', { class: 'muted' }, 'No webhook endpoint is configured (WEBHOOK_URL).'));
  }

  async function retry(delivery, button) {
    button.disabled = true;
    try {
      const { body } = await api(`/v1/webhooks/deliveries/${encodeURIComponent(delivery.id)}/retry`, { method: 'POST' });
      toast(`Delivery ${delivery.id.slice(0, 12)}… queued again (${body?.status || 'PENDING'})`);
      await list.refresh();
    } catch (error) {
      toast(`Retry failed: ${error.message}`);
      button.disabled = false;
    }
  }

  list.reload();
}
