// The sign-in funnel (a job's or a fleet's): how many tenants got a link, opened it, started, and signed in.

import { h, fmt, duration } from './dom.js';

const STAGES = [['issued', 'Got a link'], ['opened', 'Opened it'], ['started', 'Started sign-in'],
  ['authenticated', 'Signed in']];

export function funnel(f) {
  if (!f || !f.issued) {
    return h('p', { class: 'muted', id: 'funnel' }, 'No sign-in links were issued.');
  }
  const rows = STAGES.map(([key, label]) => {
    const value = f[key] || 0;
    const fillEl = h('span', { class: 'funnel-fill' });
    fillEl.style.width = `${(100 * value) / f.issued}%`;
    return h('div', { class: 'funnel-row' }, h('span', { class: 'funnel-label' }, label),
      h('span', { class: 'funnel-track' }, fillEl),
      h('span', { class: 'funnel-value' }, `${fmt(value)} · ${Math.round((100 * value) / f.issued)}%`));
  });
  return h('div', { id: 'funnel', class: 'funnel' }, rows,
    h('p', { class: 'muted' }, `${fmt(f.reminded)} reminded · ${fmt(f.expired)} expired · median time to sign in `,
      duration(f.medianSecondsToSignIn)));
}
