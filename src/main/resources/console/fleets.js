// Fleets: the list, and one fleet's status, rollout step, drift, tenants (paged, by state), sign-in funnel and plan
// (a plan reads Cyclr and changes nothing there; applying it stays with the API and the command-line client).

import { api, get, query } from './api.js';
import { h, fill, card, table, badge, fmt, when, facts, stackedBar, errorBox, toast } from './dom.js';
import { pagedTable } from './pager.js';
import { funnel } from './funnel.js';

const TENANT_STATES = ['PENDING', 'INSTALLED', 'WAITING_SIGN_IN', 'CONNECTED', 'ACTIVE', 'SETUP_REQUIRED', 'DRIFTED',
  'FAILED', 'REMOVED'];
const ACTIONS = ['NONE', 'INSTALL', 'REINSTALL', 'RELINK', 'INSTALL_CYCLE', 'ACTIVATE', 'UNINSTALL'];

function driftTotal(f) {
  return Object.values(f.drift || {}).reduce((a, b) => a + (Number(b) || 0), 0);
}

function rolloutText(f) {
  const steps = f.rollout?.steps || [];
  if (f.rollout?.step === null || f.rollout?.step === undefined) {
    return steps.length ? `${steps.length} steps` : '–';
  }
  return `step ${f.rollout.step + 1} of ${steps.length}`;
}

export function fleetsPage(view, params, signal) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading fleets…'));
  fill(view, h('div', { class: 'page-head' }, h('h1', {}, 'Fleets')), h('section', { class: 'card' }, body));
  get('/v1/fleets?limit=200', signal).then(({ fleets }) => fill(body, table([
    { title: 'Fleet', cell: (f) => h('a', { href: `#/fleets/${encodeURIComponent(f.name)}` }, f.name) },
    { title: 'Status', cell: (f) => badge(f.status) },
    { title: 'Tenants', class: 'wide', cell: (f) => h('div', { class: 'progress-cell' },
      stackedBar(TENANT_STATES.map((key) => ({ key, value: f.tenants?.[key] || 0 })), f.total || 0),
      h('span', { class: 'muted' }, fmt(f.total))) },
    { title: 'Drift', class: 'num', cell: (f) => fmt(driftTotal(f)) },
    { title: 'Rollout', cell: rolloutText },
    { title: 'Generation', class: 'num', cell: (f) => `${f.appliedGeneration ?? '–'} / ${f.generation}` },
    { title: 'Last reconcile', cell: (f) => when(f.lastReconcileAt) },
  ], fleets, 'No fleets: create one with PUT /v1/fleets/{name}.')),
  (error) => signal.aborted || fill(body, errorBox(error)));
}

export function fleetPage(view, [name], signal) {
  const path = `/v1/fleets/${encodeURIComponent(name)}`;
  const summary = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const rollout = h('div');
  const drift = h('div');
  const funnelSlot = h('div');
  const planSlot = h('div', {}, h('p', { class: 'muted' },
    'A plan reads every tenant at Cyclr and shows what an apply would do. It changes nothing.'));
  const planButton = h('button', { type: 'button', id: 'plan' }, 'Plan now');
  const stateFilter = h('select', { 'aria-label': 'Filter tenants by state' },
    h('option', { value: '' }, 'All states'), TENANT_STATES.map((s) => h('option', { value: s }, s)));
  const tenants = pagedTable({
    name: 'tenants',
    empty: 'No tenants in that state.',
    columns: [
      { title: 'Account', class: 'mono', cell: (t) => t.account },
      { title: 'State', cell: (t) => badge(t.state) },
      { title: 'In spec', cell: (t) => (t.inSpec === false ? 'no (prune would remove)' : 'yes') },
      { title: 'Signed in', cell: (t) => (t.authenticated ? 'yes' : 'no') },
      { title: 'Cycle', cell: (t) => (t.cycleId ? `${t.cycleId} ${t.cycleStatus || ''}` : '–') },
      { title: 'Checked', cell: (t) => when(t.lastCheckedAt) },
    ],
    load: async (cursor) => {
      const page = await get(`${path}/tenants${query({ state: stateFilter.value, limit: 50, cursor })}`, signal);
      return { rows: page.items, next: page.next };
    },
  });
  stateFilter.addEventListener('change', () => tenants.reload());

  fill(view,
    h('div', { class: 'page-head' }, h('a', { href: '#/fleets', class: 'back' }, '← Fleets'),
      h('h1', {}, 'Fleet ', h('span', { class: 'mono' }, name))),
    h('div', { class: 'grid-2' }, card('Fleet', summary), h('div', { class: 'stack-col' },
      card('Rollout', rollout), card('Drift', drift))),
    h('div', { class: 'grid-2' }, card('Plan', h('div', { class: 'toolbar' }, planButton), planSlot),
      card('Sign-in funnel', funnelSlot)),
    card('Tenants', h('div', { class: 'toolbar' }, stateFilter), tenants.el));

  async function load() {
    try {
      const f = await get(path, signal);
      view.dataset.status = f.status;
      fill(summary, h('p', {}, badge(f.status)),
        stackedBar(TENANT_STATES.map((key) => ({ key, value: f.tenants?.[key] || 0 })), f.total || 0),
        h('ul', { class: 'legend' }, TENANT_STATES.filter((k) => f.tenants?.[k]).map((k) =>
          h('li', {}, h('span', { class: `swatch s-${k.toLowerCase().replaceAll('_', '-')}` }), `${k} ${fmt(f.tenants[k])}`))),
        facts([['Tenants', fmt(f.total)], ['Generation', `${f.generation} (applied: ${f.appliedGeneration ?? 'never'})`],
          ['Last reconcile', when(f.lastReconcileAt)], ['Next reconcile', when(f.nextReconcileAt)],
          ['Updated', when(f.updatedAt)]]));
      const steps = f.rollout?.steps || [];
      fill(rollout, steps.length ? h('ol', { class: 'steps', id: 'rollout' }, steps.map((size, i) => h('li', {
        class: f.rollout.step === null || f.rollout.step === undefined ? '' : i < f.rollout.step ? 'done'
          : i === f.rollout.step ? 'current' : '',
      }, `${size}%`))) : h('p', { class: 'muted' }, 'One step (no rollout policy).'),
      f.rollout?.haltedReason ? h('p', { class: 'error' }, `Halted: ${f.rollout.haltedReason}`) : null,
      h('p', { class: 'muted' }, f.rollout?.step === null || f.rollout?.step === undefined
        ? 'No apply running.' : rolloutText(f)));
      const kinds = Object.entries(f.drift || {});
      fill(drift, kinds.length && driftTotal(f) > 0
        ? table([{ title: 'Drift', cell: ([k]) => k }, { title: 'Tenants', class: 'num', cell: ([, v]) => fmt(v) }],
          kinds.filter(([, v]) => v > 0))
        : h('p', { class: 'muted', id: 'drift' }, 'No drift found.'));
    } catch (error) {
      if (!signal.aborted) fill(summary, errorBox(error));
    }
  }

  async function showPlan(plan) {
    const lines = pagedTable({
      name: 'plan-actions',
      columns: [
        { title: 'Account', class: 'mono', cell: (a) => a.account },
        { title: 'Action', cell: (a) => badge(a.action) },
        { title: 'Reason', class: 'wide', cell: (a) => a.reason || '' },
        { title: 'Drift', cell: (a) => a.drift || '' },
      ],
      load: async (cursor) => {
        const page = await get(`${path}/plans/${encodeURIComponent(plan.planId)}/actions${query({ limit: 20, cursor })}`,
          signal);
        return { rows: page.items, next: page.next };
      },
    });
    fill(planSlot, h('p', {}, badge(plan.status), ' ', h('span', { class: 'muted' }, `plan ${plan.planId} · `,
      when(plan.createdAt))),
    table(ACTIONS.filter((a) => plan.summary?.[a] !== undefined).map((a) => ({ title: a, class: 'num',
      cell: (s) => fmt(s[a]) })), [plan.summary || {}]), lines.el);
    lines.reload();
  }

  planButton.addEventListener('click', async () => {
    planButton.disabled = true;
    fill(planSlot, h('p', { class: 'muted' }, 'Reading every tenant at Cyclr…'));
    try {
      let plan = (await api(`${path}/plan`, { method: 'POST', signal })).body;
      // A big fleet's plan is answered 202 (OPEN) and read on until it is READY.
      for (let wait = 1000; plan.status === 'OPEN' && !signal.aborted; wait = Math.min(wait * 2, 10_000)) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        plan = await get(`${path}/plans/${encodeURIComponent(plan.planId)}`, signal);
      }
      await showPlan(plan);
    } catch (error) {
      if (!signal.aborted) {
        fill(planSlot, errorBox(error));
        toast(error.message);
      }
    } finally {
      planButton.disabled = false;
    }
  });

  load();
  tenants.reload();
  get(`${path}/sign-ins`, signal).then((f) => fill(funnelSlot, funnel(f)),
    (error) => signal.aborted || fill(funnelSlot, errorBox(error)));
  const timer = setInterval(load, 10_000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
