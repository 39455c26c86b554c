// The status page's script, as text: plain ES2020 for the browser, no framework. It polls
// /stats.json and /history.json?since= every history interval, keeps the last ten minutes, and
// draws with SVG elements made through the DOM. Every name (slot, pool, label) is set with
// textContent or setAttribute, never parsed as markup: a pool named `<img onerror=…>` is text.
// No backquote or dollar-brace below: this is a template literal's content.
export const STATUS_PAGE_SCRIPT = `
'use strict';
const WINDOW_MS = 10 * 60 * 1000;
const SVG = 'http://www.w3.org/2000/svg';
const params = new URLSearchParams(location.search);
const token = params.get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
if (token) history.replaceState(null, '', location.pathname); // the token leaves the address bar
const store = { series: new Map(), marks: [], intervalMs: 1000, since: undefined, now: Date.now() };
const CHARTS = [
  ['cluster.requestsPerSecond', 'Requests per second', (v) => v.toFixed(1)],
  ['cluster.eventLoopDelayP99Ms', 'Event-loop delay p99, worst worker (ms)', (v) => v.toFixed(1)],
  ['cluster.rssBytes', 'Resident memory, all workers', bytes],
  ['cluster.eventLoopUtilization', 'Event-loop utilisation, mean', percent],
];
const HEADLINES = /_(acquire_wait_seconds|resources_borrowed|resources_max|acquires_waiting|acquire_timeouts_total|tasks_queued|tasks_running|tasks_shed_total|tasks_rejected_total|pending|depth|tier_hits_total|tier_misses_total|hits_total|misses_total|state|denied_total|rejections_total|shed_requests_total)$/;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}
function bytes(v) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
}
function percent(v) { return (v * 100).toFixed(0) + ' %'; }
function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

async function get(path) {
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

function merge(snapshot) {
  store.intervalMs = snapshot.intervalMs;
  store.now = snapshot.now;
  store.since = snapshot.now - 1;
  const oldest = snapshot.now - WINDOW_MS;
  for (const [name, incoming] of Object.entries(snapshot.series)) {
    let series = store.series.get(name);
    if (!series) { series = { t: [], v: [] }; store.series.set(name, series); }
    const last = series.t.length ? series.t[series.t.length - 1] : -Infinity;
    incoming.t.forEach((t, i) => { if (t > last) { series.t.push(t); series.v.push(incoming.v[i]); } });
    while (series.t.length && series.t[0] < oldest) { series.t.shift(); series.v.shift(); }
  }
  for (const mark of snapshot.marks) store.marks.push(mark);
  store.marks = store.marks.filter((mark) => mark.t >= oldest);
}

/** The time axis: the last ten minutes, or since the first sample while there is less (a minute at least). */
function span() {
  let first = store.now;
  for (const series of store.series.values()) if (series.t.length) first = Math.min(first, series.t[0]);
  return Math.min(WINDOW_MS, Math.max(60 * 1000, store.now - first));
}

/** A line over the window: broken at a gap (null, or two samples over two intervals apart). */
function line(series, width, height, pad) {
  const shown = span();
  const t0 = store.now - shown;
  const x = (t) => pad + ((t - t0) / shown) * (width - 2 * pad);
  const values = series ? series.v.filter((v) => v !== null) : [];
  const max = Math.max(1e-9, ...values);
  const y = (v) => height - pad - (v / max) * (height - 2 * pad);
  let d = '';
  let previous;
  if (series) series.t.forEach((t, i) => {
    const v = series.v[i];
    if (v === null || t < t0) { previous = undefined; return; }
    const gap = previous === undefined || t - previous > 2 * store.intervalMs;
    d += (gap ? 'M' : 'L') + x(t).toFixed(1) + ' ' + y(v).toFixed(1) + ' ';
    previous = t;
  });
  return { d, max, x, last: values.length ? values[values.length - 1] : undefined };
}

function marksInto(group, x, height, slot) {
  for (const mark of store.marks) {
    if (slot !== undefined && mark.label !== slot && mark.kind !== 'reload') continue;
    const at = x(mark.t);
    const node = svg('line', { x1: at, x2: at, y1: 0, y2: height, class: 'mark-' + mark.kind });
    const title = svg('title', {});
    title.textContent = mark.kind + ' ' + mark.label + ' at ' + new Date(mark.t).toLocaleTimeString();
    node.appendChild(title);
    group.appendChild(node);
  }
}

function chart(name, caption, format) {
  const [width, height, pad] = [420, 130, 14];
  const drawn = line(store.series.get(name), width, height, pad);
  const figure = el('figure');
  figure.appendChild(el('figcaption', caption + (drawn.last === undefined ? '' : ': ' + format(drawn.last))));
  const root = svg('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + height, 'data-series': name });
  marksInto(root, drawn.x, height);
  root.appendChild(svg('path', { class: 'series', d: drawn.d }));
  const top = svg('text', { class: 'axis', x: 2, y: 10 });
  top.textContent = format(drawn.max);
  root.appendChild(top);
  const left = svg('text', { class: 'axis', x: 2, y: height - 2 });
  left.textContent = '-' + duration(span());
  root.appendChild(left);
  figure.appendChild(root);
  return figure;
}

function spark(slot, figure) {
  const [width, height] = [90, 22];
  const name = slot + '.' + figure;
  const drawn = line(store.series.get(name), width, height, 2);
  const root = svg('svg', { class: 'spark', viewBox: '0 0 ' + width + ' ' + height, 'data-series': name });
  marksInto(root, drawn.x, height, slot);
  root.appendChild(svg('path', { class: 'series', d: drawn.d }));
  return root;
}

/** A worker's status from the snapshot its monitor sent (ctx.useHealth); 'unknown' without one. */
function healthOf(worker) {
  const status = worker.health && typeof worker.health === 'object' ? worker.health.status : undefined;
  return ['healthy', 'degraded', 'critical'].includes(status) ? status : 'unknown';
}

function renderWorkers(stats) {
  const body = document.querySelector('#workers tbody');
  body.replaceChildren();
  for (const w of stats.workers) {
    const row = el('tr');
    row.dataset.slot = w.slot;
    const cell = (text, series, className) => {
      const td = el('td', text, className);
      if (series) td.appendChild(spark(w.slot, series));
      row.appendChild(td);
    };
    cell(w.slot, undefined, 'text');
    const health = healthOf(w);
    const badge = el('td', undefined, 'text');
    badge.appendChild(el('span', health, 'badge ' + health));
    row.appendChild(badge);
    cell(w.pid);
    cell(w.state, undefined, 'text');
    cell(duration(w.uptimeMs));
    cell(w.restarts);
    cell(bytes(w.rssBytes), 'rssBytes');
    cell(bytes(w.heapUsedBytes), 'heapUsedBytes');
    cell(w.eventLoopDelayP99Ms.toFixed(1) + ' ms', 'eventLoopDelayP99Ms');
    cell(percent(w.eventLoopUtilization), 'eventLoopUtilization');
    cell(w.requestsInFlight, 'requestsInFlight');
    const rate = store.series.get(w.slot + '.requestsPerSecond');
    const last = rate && rate.v.length ? rate.v[rate.v.length - 1] : null;
    cell(last === null ? '–' : last.toFixed(1), 'requestsPerSecond');
    body.appendChild(row);
  }
}

/** The headline figures of the workers' primitives, summed over workers by label set. */
function renderPrimitives(stats) {
  const rows = new Map();
  for (const w of stats.workers) {
    if (!Array.isArray(w.metrics)) continue;
    for (const family of w.metrics) {
      if (!HEADLINES.test(family.name) || !Array.isArray(family.values)) continue;
      // A summary (a wait) shows its p99, the worst worker's: p99s do not add up.
      const summary = family.type === 'summary';
      for (const sample of family.values) {
        const all = sample.labels || {};
        if (summary && (sample.metricName || all.quantile !== '0.99')) continue;
        const labels = Object.entries(all).filter(([k]) => k !== 'quantile').map(([k, v]) => k + '=' + v).sort().join(', ');
        const name = summary ? family.name + ' p99 (ms)' : family.name;
        const key = name + '|' + labels;
        const row = rows.get(key) || { name, labels, value: 0, workers: new Set() };
        const value = Number(sample.value) || 0;
        row.value = summary ? Math.max(row.value, value * 1000) : row.value + value;
        row.workers.add(w.slot);
        rows.set(key, row);
      }
    }
  }
  // Derived: a pool's saturation (borrowed of max), a cache tier's hit ratio.
  for (const row of [...rows.values()]) {
    const pair = (from, to) => rows.get(row.name.replace(from, to) + '|' + row.labels);
    if (row.name.endsWith('_resources_borrowed')) {
      const max = pair('_resources_borrowed', '_resources_max');
      if (max && max.value > 0) rows.set('saturation|' + row.labels, { name: 'pool saturation', labels: row.labels, value: percent(row.value / max.value), workers: row.workers });
    }
    if (row.name.endsWith('_tier_hits_total')) {
      const misses = pair('_tier_hits_total', '_tier_misses_total');
      const total = row.value + (misses ? misses.value : 0);
      if (total > 0) rows.set('ratio|' + row.labels, { name: 'cache hit ratio', labels: row.labels, value: percent(row.value / total), workers: row.workers });
    }
  }
  // A state family has a row per possible state: only the current one (1) is news.
  for (const [key, row] of rows) if (row.name.endsWith('_state') && row.value === 0) rows.delete(key);
  const body = document.querySelector('#primitives tbody');
  body.replaceChildren();
  for (const row of [...rows.values()].sort((a, b) => (a.name + a.labels).localeCompare(b.name + b.labels))) {
    const tr = el('tr');
    tr.appendChild(el('td', row.name, 'text'));
    tr.appendChild(el('td', row.labels, 'text'));
    const value = typeof row.value === 'string' || Number.isInteger(row.value) ? row.value : row.value.toFixed(2);
    tr.appendChild(el('td', value));
    tr.appendChild(el('td', [...row.workers].join(' '), 'text'));
    body.appendChild(tr);
  }
}

function render(stats) {
  const summary = document.getElementById('summary');
  summary.replaceChildren();
  const live = stats.workers.filter((w) => w.state !== 'draining').length;
  for (const text of [
    'state ' + stats.state,
    'health ' + (stats.health ? stats.health.status : 'n/a'),
    'workers ' + live + ' / ' + stats.desiredWorkers,
    'restarts ' + stats.restarts,
    'crashes ' + stats.crashes,
    'reloads ' + stats.reloads,
    'refused ' + stats.connectionsRefused,
  ]) summary.appendChild(el('span', text));
  document.getElementById('window-label').textContent = '(last ' + WINDOW_MS / 60000 + ' minutes)';
  const charts = document.getElementById('charts');
  charts.replaceChildren(...CHARTS.map(([name, caption, format]) => chart(name, caption, format)));
  renderWorkers(stats);
  renderPrimitives(stats);
}

async function poll() {
  try {
    const query = store.since === undefined ? '' : '?since=' + store.since;
    const [stats, snapshot] = await Promise.all([get('/stats.json'), get('/history.json' + query).catch(() => null)]);
    if (snapshot) merge(snapshot);
    render(stats);
    document.getElementById('connection').textContent = 'live, updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById('connection').textContent = 'not reachable (' + error.message + '), retrying';
  }
  setTimeout(poll, Math.max(500, store.intervalMs));
}
poll();
`;
