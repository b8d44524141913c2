// The job page: live progress over the job's event stream, the counts, a progress chart, the sign-in funnel and the
// items (paged by the service, filtered by status, downloadable as CSV).

import { api, get, query, download } from './api.js';
import { followJobEvents } from './sse.js';
import { h, fill, card, badge, fmt, when, duration, facts, errorBox, toast } from './dom.js';
import { pagedTable } from './pager.js';
import { progressChart } from './chart.js';
import { processed, progressBar, DONE_PARTS } from './jobs.js';
import { funnel } from './funnel.js';

const ITEM_STATUSES = ['PENDING', 'RUNNING', 'INSTALLED', 'ALREADY_INSTALLED', 'OAUTH_PENDING', 'AUTHENTICATED',
  'FAILED', 'CANCELLED', 'SIGN_IN_EXPIRED', 'REAUTH_REQUIRED'];
const FINAL = ['SUCCEEDED', 'COMPLETED_WITH_ERRORS', 'CANCELLED'];
const PAGE = 50;

export function jobPage(view, [id], signal) {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  const live = h('span', { id: 'live', class: 'live', 'data-state': 'connecting' }, 'connecting');
  const status = h('span', { id: 'job-status' });
  const tiles = h('div', { class: 'tiles' });
  const bar = h('div', { class: 'bar-slot' });
  const chartSlot = h('div', { class: 'chart-slot' });
  const rate = h('p', { class: 'muted rate' });
  const about = h('div');
  const funnelSlot = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const filter = h('select', { id: 'status-filter', 'aria-label': 'Filter items by status' },
    h('option', { value: '' }, 'All statuses'), ITEM_STATUSES.map((s) => h('option', { value: s }, s)));
  const csv = h('button', { id: 'download-csv', type: 'button', class: 'ghost' }, 'Download CSV');
  const refresh = h('button', { type: 'button', class: 'ghost' }, 'Refresh');
  const items = pagedTable({
    name: 'items',
    empty: 'No items with that status.',
    columns: [
      { title: '#', class: 'num mono', cell: (i) => i.id },
      { title: 'Account', class: 'mono', cell: (i) => i.account },
      { title: 'Status', cell: (i) => badge(i.status) },
      { title: 'Connector', class: 'num', cell: (i) => i.connectorId ?? '–' },
      { title: 'Attempts', class: 'num', cell: (i) => i.attempts ?? 0 },
      { title: 'Sign-in link', cell: (i) => (i.oauth?.url ? h('span', { title: i.oauth.url },
        `expires ${when(i.oauth.expiresAt)}`) : '–') },
      { title: 'Error', class: 'wide', cell: (i) => (i.error ? h('span', { title: i.error.message || '' },
        h('code', {}, i.error.code), ' ', i.error.message || '') : '') },
    ],
    load: async (cursor) => {
      const page = await get(`${path}/items${query({ status: filter.value, limit: PAGE, cursor })}`, signal);
      return { rows: page.items, next: page.next };
    },
  });
  filter.addEventListener('change', () => items.reload());
  refresh.addEventListener('click', () => items.refresh());
  csv.addEventListener('click', async () => {
    csv.disabled = true;
    try {
      const bytes = await download(`${path}/items${query({ status: filter.value })}`, 'text/csv',
        `job-${id}-items.csv`);
      toast(`CSV downloaded (${fmt(bytes)} bytes)`);
    } catch (error) {
      toast(`Download failed: ${error.message}`);
    } finally {
      csv.disabled = false;
    }
  });

  const cancel = h('button', { type: 'button', class: 'ghost danger' }, 'Cancel job');
  const retry = h('button', { type: 'button', class: 'ghost' }, 'Retry failed');
  for (const [button, action, question] of [[cancel, 'cancel', 'Cancel the items that have not started?'],
    [retry, 'retry', 'Run the FAILED items again?']]) {
    button.addEventListener('click', async () => {
      if (!window.confirm(question)) {
        return;
      }
      try {
        show((await api(`${path}/${action}`, { method: 'POST' })).body);
        toast(action === 'cancel' ? 'Cancel requested' : 'Failed items queued again');
      } catch (error) {
        toast(error.message);
      }
    });
  }

  fill(view,
    h('div', { class: 'page-head' }, h('a', { href: '#/jobs', class: 'back' }, '← Jobs'),
      h('h1', {}, 'Job ', h('span', { class: 'mono' }, id)), status, live,
      h('span', { class: 'spacer' }), retry, cancel),
    tiles,
    h('div', { class: 'grid-2' },
      card('Progress', bar, chartSlot, rate),
      h('div', { class: 'stack-col' }, card('Job', about), card('Sign-in funnel', funnelSlot))),
    card('Items', h('div', { class: 'toolbar' }, filter, refresh, h('span', { class: 'spacer' }), csv), items.el));

  let job = null;
  let samples = [];
  let startedAt = null;

  function show(summary) {
    const finishing = job !== null && !FINAL.includes(job.status) && FINAL.includes(summary.status);
    job = summary;
    if (finishing) {
      items.refresh();
      loadFunnel();
    }
    startedAt = Date.parse(summary.createdAt);
    const done = processed(summary);
    const c = summary.counts || {};
    const final = FINAL.includes(summary.status);
    const t = final && summary.finishedAt ? Date.parse(summary.finishedAt) - startedAt
      : Math.max(0, Date.now() - startedAt);
    if (!samples.length) {
      samples.push({ t: 0, done: 0, failed: 0 });
    }
    const lastSample = samples[samples.length - 1];
    if (t > lastSample.t || done !== lastSample.done) {
      samples.push({ t: Math.max(t, lastSample.t), done, failed: c.FAILED || 0 });
    }
    fill(status, badge(summary.status));
    view.dataset.status = summary.status;
    const pct = summary.total ? Math.floor((100 * done) / summary.total) : 100;
    fill(tiles,
      tile('Processed', h('span', { id: 'processed', 'data-value': done }, fmt(done)), `${pct}% of ${fmt(summary.total)}`),
      tile('Installed', fmt((c.INSTALLED || 0) + (c.ALREADY_INSTALLED || 0) + (c.AUTHENTICATED || 0)),
        `${fmt(c.AUTHENTICATED || 0)} signed in`),
      tile('Waiting for sign-in', fmt((c.OAUTH_PENDING || 0) + (c.REAUTH_REQUIRED || 0)),
        `${fmt(c.SIGN_IN_EXPIRED || 0)} expired`),
      tile('Failed', fmt(c.FAILED || 0), `${fmt(c.CANCELLED || 0)} cancelled`, c.FAILED ? 'bad' : ''),
      tile('Pending', fmt((c.PENDING || 0) + (c.RUNNING || 0)), `${fmt(c.RUNNING || 0)} running`));
    fill(bar, progressBar(summary), legend(c));
    fill(chartSlot, progressChart(samples, summary.total));
    const seconds = t / 1000;
    const perSecond = seconds > 0 ? done / seconds : 0;
    const left = summary.total - done;
    rate.textContent = perSecond > 0
      ? `${perSecond.toFixed(perSecond < 10 ? 1 : 0)} items/s` + (final ? ` over ${duration(seconds)}`
        : left > 0 ? ` · about ${duration(left / perSecond)} left` : '')
      : final ? `Finished in ${duration(seconds)}` : 'Waiting for the first items…';
    fill(about, facts([
      ['Created', when(summary.createdAt)],
      ['Finished', when(summary.finishedAt)],
      ['Total items', fmt(summary.total)],
      ['Cyclr', summary.cyclr ? `${summary.cyclr.breaker}: unavailable since ${when(summary.cyclr.unavailableSince)}`
        : 'reachable'],
    ]));
    if (final) {
      live.dataset.state = 'ended';
      live.textContent = 'finished';
    }
    cancel.hidden = final;
    retry.hidden = !(c.FAILED > 0);
  }

  async function loadFunnel() {
    try {
      fill(funnelSlot, funnel(await get(`${path}/sign-ins`, signal)));
    } catch (error) {
      if (!signal.aborted) fill(funnelSlot, errorBox(error));
    }
  }

  // Summaries are read at most twice a second however fast the events come (an item event does not carry counts).
  let pending = null;
  function refreshSoon() {
    if (pending) return;
    pending = setTimeout(async () => {
      try {
        show(await get(path, signal));
      } catch (error) {
        if (!signal.aborted) toast(error.message);
      } finally {
        pending = null;
      }
    }, 500);
  }
  // And every 5 s whatever the stream does (a proxy that buffers it, a stream that is reconnecting).
  const poll = setInterval(() => job && !FINAL.includes(job.status) && refreshSoon(), 5000);
  signal.addEventListener('abort', () => {
    clearTimeout(pending);
    clearInterval(poll);
  });

  (async () => {
    try {
      show(await get(path, signal));
    } catch (error) {
      if (!signal.aborted) fill(view, h('a', { href: '#/jobs', class: 'back' }, '← Jobs'), errorBox(error));
      return;
    }
    items.reload();
    loadFunnel();
    if (FINAL.includes(job.status)) {
      return;
    }
    // The page shows the summary already, and uses events only as a sign that something changed: it skips the
    // job's past events rather than replaying them (a big job has hundreds of thousands). Each item taken has had
    // at least its RUNNING event and, once processed, its outcome; event numbers run 1, 2, 3… in a job, so this
    // lower bound never starts after an event that has not happened yet, except by the items cancelled before
    // they ran (which then only delays the first sign by as many events). A stream that ends is read again.
    const c = job.counts || {};
    const after = Math.max(0, 2 * (processed(job) - (c.CANCELLED || 0)) + (c.RUNNING || 0));
    await followJobEvents(id, {
      after,
      signal,
      onEvent: (event) => {
        // Only a final job event is shown as it is (the stream may start a little before the current end, so an
        // earlier one may be old); any other event asks for the current summary.
        const summary = event.type === 'job' ? JSON.parse(event.data) : null;
        if (summary && FINAL.includes(summary.status)) {
          show(summary);
        } else {
          refreshSoon();
        }
      },
      onState: (state, error) => {
        if (state === 'live' && FINAL.includes(job.status)) {
          return; // the page already shows the end
        }
        live.dataset.state = state;
        live.textContent = state === 'live' ? 'live' : state === 'ended' ? 'finished' : state;
        if (state === 'ended') {
          refreshSoon(); // the final event may have been before the skipped part: read the final summary
        }
        if (error && state === 'failed') toast(`Live updates stopped: ${error.message}`);
      },
    });
  })();
}

function tile(label, value, note, tone = '') {
  return h('div', { class: `tile ${tone}` }, h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-note muted' }, note));
}

function legend(counts) {
  return h('ul', { class: 'legend' }, DONE_PARTS.filter((k) => counts[k] > 0).map((k) =>
    h('li', {}, h('span', { class: `swatch s-${k.toLowerCase().replaceAll('_', '-')}` }), `${k} ${fmt(counts[k])}`)));
}
