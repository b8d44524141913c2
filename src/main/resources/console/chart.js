// The job page's progress chart: items processed (and failed) over time, drawn as SVG by hand (no library, nothing
// inline that the page's CSP would refuse). Samples come from the job's summaries as its events arrive.

const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 220;
const PAD = { left: 56, right: 16, top: 14, bottom: 30 };

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    el.textContent = text;
  }
  return el;
}

function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
}

/**
 * An SVG of samples [{t, done, failed}] (t in ms since the job started) against total items. Empty samples give the
 * axes and a note.
 */
export function progressChart(samples, total) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
    'aria-label': 'Items processed over time' });
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const tMax = Math.max(1000, ...samples.map((s) => s.t));
  const yMax = Math.max(1, total);
  const x = (t) => PAD.left + (iw * t) / tMax;
  const y = (v) => PAD.top + ih - (ih * v) / yMax;

  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const gy = y(yMax * f);
    root.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy, class: 'grid' }));
    root.append(svg('text', { x: PAD.left - 8, y: gy + 4, class: 'tick', 'text-anchor': 'end' },
      Math.round(yMax * f).toLocaleString()));
  }
  for (const f of [0, 0.5, 1]) {
    root.append(svg('text', { x: x(tMax * f), y: H - 8, class: 'tick',
      'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, clock(tMax * f)));
  }
  if (samples.length < 2) {
    root.append(svg('text', { x: PAD.left + iw / 2, y: PAD.top + ih / 2, class: 'note', 'text-anchor': 'middle' },
      samples.length ? 'Waiting for progress…' : 'No progress yet'));
    return root;
  }
  const points = (key) => samples.map((s) => `${x(s.t).toFixed(1)},${y(s[key]).toFixed(1)}`).join(' ');
  const first = samples[0];
  const last = samples[samples.length - 1];
  root.append(svg('polygon', { class: 'area-done',
    points: `${x(first.t).toFixed(1)},${y(0)} ${points('done')} ${x(last.t).toFixed(1)},${y(0)}` }));
  root.append(svg('polyline', { class: 'line-done', points: points('done') }));
  if (samples.some((s) => s.failed > 0)) {
    root.append(svg('polyline', { class: 'line-failed', points: points('failed') }));
  }
  root.append(svg('circle', { class: 'dot-done', cx: x(last.t), cy: y(last.done), r: 4 }));
  return root;
}
