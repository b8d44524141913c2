// The job list: the caller's newest jobs with their status and progress, refreshed every few seconds.

import { get } from './api.js';
import { h, fill, table, badge, fmt, when, stackedBar, errorBox, shortId } from './dom.js';

export const DONE_PARTS = ['INSTALLED', 'ALREADY_INSTALLED', 'AUTHENTICATED', 'OAUTH_PENDING', 'REAUTH_REQUIRED',
  'SIGN_IN_EXPIRED', 'CANCELLED', 'FAILED', 'RUNNING'];

/** Items past PENDING and RUNNING: what the job has worked through. */
export function processed(job) {
  const c = job.counts || {};
  return Math.max(0, job.total - (c.PENDING || 0) - (c.RUNNING || 0));
}

export function progressBar(job) {
  const counts = job.counts || {};
  return stackedBar(DONE_PARTS.map((key) => ({ key, value: counts[key] || 0 })), job.total);
}

export function jobsPage(view, params, signal) {
  const body = h('div', { class: 'jobs-body' }, h('p', { class: 'muted' }, 'Loading jobs…'));
  fill(view, h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'),
    h('span', { class: 'muted' }, 'newest first, refreshed every 5 s')), h('section', { class: 'card' }, body));

  async function load() {
    try {
      const { jobs } = await get('/v1/jobs?limit=100', signal);
      fill(body, table([
        { title: 'Job', cell: (j) => h('a', { href: `#/jobs/${j.id}`, class: 'mono', title: j.id }, shortId(j.id)) },
        { title: 'Status', cell: (j) => badge(j.status) },
        { title: 'Progress', class: 'wide', cell: (j) => h('div', { class: 'progress-cell' }, progressBar(j),
          h('span', { class: 'muted' }, `${fmt(processed(j))} / ${fmt(j.total)}`)) },
        { title: 'Failed', class: 'num', cell: (j) => fmt(j.counts?.FAILED || 0) },
        { title: 'Created', cell: (j) => when(j.createdAt) },
        { title: 'Finished', cell: (j) => when(j.finishedAt) },
      ], jobs, 'No jobs yet: submit one with POST /v1/jobs or the command-line client.'));
    } catch (error) {
      if (!signal.aborted) {
        fill(body, errorBox(error));
      }
    }
  }
  load();
  const timer = setInterval(load, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
