// The soak's markdown: per-minute requests and resources, the faults, the routes, every failure,
// and one verdict line per criterion.
import { type Align, formatFixed, formatInt, formatSig, markdownTable } from '../report.js';
import type { RestartRecord } from './faults.js';
import { FIGURES, type Figure, growth, MAX_GROWTH, spanLabel, spans } from './figures.js';
import { healthSection } from './health.js';
import { type Incident, ROUTE_LABELS, ROUTES, type Tally } from './load.js';
import type { SoakResult } from './result.js';

const MIB = 2 ** 20;
const MAX_INCIDENT_ROWS = 60;

export type Verdict = { readonly name: string; readonly pass: boolean | undefined; readonly text: string };

function formatFigure(value: number | undefined, unit: Figure['unit'], integer = false): string {
  if (value === undefined) return '—';
  if (integer) return formatInt(value);
  return unit === 'MiB' ? formatFixed(value / MIB, 1) : formatFixed(value, 1);
}

function ms(us: number): string {
  return formatSig(us / 1000);
}

function latencyCells(t: Tally): string[] {
  const h = t.latencyUs;
  if (h.totalCount === 0) return ['—', '—', '—'];
  return [ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.maxValue)];
}

function failedInWindow(result: SoakResult, m: number | undefined): { inside: number; outside: number } {
  let inside = 0;
  let outside = 0;
  for (const i of result.load.incidents) {
    if (i.outcome !== 'failed') continue;
    if (m !== undefined && Math.min(result.minutes - 1, Math.floor(i.startMs / 60_000)) !== m) continue;
    if (result.faults.inRestartWindow(i.startMs, i.endMs)) inside++;
    else outside++;
  }
  return { inside, outside };
}

/** Requests skipped (the client at its concurrency cap) outside the Redis restart window. */
function skippedOutside(result: SoakResult, m: number | undefined): number {
  return result.load.skippedAtMs.filter(
    (t) =>
      !result.faults.inRestartWindow(t, t) &&
      (m === undefined || Math.min(result.minutes - 1, Math.floor(t / 60_000)) === m),
  ).length;
}

function minuteEvents(result: SoakResult, m: number): string {
  const inMinute = (t: number) => t >= m * 60_000 && t < (m + 1) * 60_000;
  const events: string[] = [];
  for (const r of result.faults.reloads) {
    if (!inMinute(r.startMs)) continue;
    events.push(r.endMs === undefined ? `reload: ${r.error}` : `reload ${formatInt(r.endMs - r.startMs)} ms`);
  }
  const restart = result.faults.restart;
  if (restart !== undefined && inMinute(restart.stopMs)) {
    events.push(`Redis down ${formatFixed((restart.readyMs - restart.stopMs) / 1000, 1)} s`);
  }
  return events.join(', ');
}

function requestsTable(result: SoakResult): string {
  const { load } = result;
  const headers = [
    'minute',
    'sent',
    '2xx',
    '429',
    '503 ready',
    'failed in window',
    'failed outside',
    'of which 503',
    'wrong 4xx',
    'skipped (outside)',
    'p50 ms',
    'p99 ms',
    'max ms',
    'faults',
  ];
  // One row's counts: minute `m`'s, or (undefined) the whole run's.
  const countCells = (t: typeof load.total, m: number | undefined): string[] => {
    const { inside, outside } = failedInWindow(result, m);
    return [
      formatInt(t.sent),
      formatInt(t.ok),
      formatInt(t.limited),
      formatInt(t.notReady),
      formatInt(inside),
      formatInt(outside),
      formatInt(t.failed503),
      formatInt(t.unexpected),
      `${formatInt(t.skipped)} (${formatInt(skippedOutside(result, m))})`,
      ...latencyCells(t),
    ];
  };
  const rows = load.minutes.map((t, m) => [String(m + 1), ...countCells(t, m), minuteEvents(result, m)]);
  rows.push(['**all**', ...countCells(load.total, undefined), '']);
  const align: Align[] = headers.map((_, i) => (i === 0 || i === headers.length - 1 ? 'l' : 'r'));
  return markdownTable(headers, rows, align);
}

function resourcesTable(result: SoakResult): string {
  const headers = [
    'minute',
    'samples (steady)',
    ...FIGURES.map((f) => (f.unit === 'MiB' ? `${f.title} MiB` : f.title)),
  ];
  const rows = result.load.minutes.map((_, m) => {
    const inMinute = result.samples.filter((s) => s.atMs >= m * 60_000 && s.atMs < (m + 1) * 60_000);
    return [
      String(m + 1),
      `${inMinute.length} (${inMinute.filter((s) => s.steady).length})`,
      ...FIGURES.map((f) => formatFigure(f.minute(result, m), f.unit, f.compare === false)),
    ];
  });
  return markdownTable(headers, rows);
}

function routesTable(result: SoakResult): string {
  const headers = ['route', 'share', 'sent', '2xx', '429', '503 ready (draining)', 'failed', 'wrong 4xx'];
  const rows = ROUTES.map((r) => {
    const t = result.load.routes[r];
    return [
      ROUTE_LABELS[r],
      `${formatFixed((100 * t.sent) / Math.max(1, result.load.total.sent), 1)} %`,
      formatInt(t.sent),
      formatInt(t.ok),
      formatInt(t.limited),
      `${formatInt(t.notReady)} (${formatInt(t.notReadyDraining)})`,
      formatInt(t.failed),
      formatInt(t.unexpected),
      ...latencyCells(t),
    ];
  });
  return markdownTable([...headers, 'p50 ms', 'p99 ms', 'max ms'], rows);
}

function faultsSection(result: SoakResult): string {
  const { faults } = result;
  const reloadRows = faults.reloads.map((r, i) => [
    String(i + 1),
    formatFixed(r.startMs / 1000, 1),
    r.endMs === undefined ? `— (${r.error})` : formatInt(r.endMs - r.startMs),
    r.oldPids.join(', '),
    r.newPids.join(', '),
  ]);
  const reloads = markdownTable(
    ['reload', 'SIGHUP at s', 'done after ms', 'old pids', 'new pids'],
    reloadRows,
  );
  const restart: RestartRecord | undefined = faults.restart;
  const restartText =
    restart === undefined
      ? 'Redis was not restarted (the run ended first).'
      : markdownTable(
          ['SIGTERM at s', 'exited at s', 'back at s', 'window ends at s', 'users before', 'users after'],
          [
            [
              formatFixed(restart.stopMs / 1000, 1),
              formatFixed(restart.stoppedMs / 1000, 1),
              formatFixed(restart.readyMs / 1000, 1),
              formatFixed(restart.windowEndMs / 1000, 1),
              restart.usersBefore === undefined ? '?' : formatInt(restart.usersBefore),
              restart.usersAfter === undefined ? '?' : formatInt(restart.usersAfter),
            ],
          ],
        );
  return `${reloads}\n\n${restartText}`;
}

function nearestReload(result: SoakResult, t: number): string {
  let best: number | undefined;
  for (const r of result.faults.reloads) {
    if (best === undefined || Math.abs(t - r.startMs) < Math.abs(t - best)) best = r.startMs;
  }
  if (best === undefined) return '—';
  const d = (t - best) / 1000;
  return `${d >= 0 ? '+' : ''}${formatFixed(d, 1)} s`;
}

function incidentsSection(result: SoakResult): string {
  const { incidents, incidentsDropped } = result.load;
  if (incidents.length === 0) return 'None: every request was answered 2xx, 429 or (readiness only) 503.';
  // Grouped first, so a burst reads as one line; then each one (the first MAX_INCIDENT_ROWS).
  const groups = new Map<string, number>();
  for (const i of incidents) {
    const where = result.faults.inRestartWindow(i.startMs, i.endMs) ? 'inside' : 'outside';
    const key = `${ROUTE_LABELS[i.route]}|${i.outcome}|${i.kind}|${where}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const summary = markdownTable(
    ['route', 'outcome', 'kind', 'restart window', 'count'],
    [...groups].map(([key, n]) => [...key.split('|'), formatInt(n)]),
  );
  const row = (i: Incident): string[] => [
    formatFixed(i.startMs / 1000, 3),
    formatInt(i.endMs - i.startMs),
    ROUTE_LABELS[i.route],
    i.outcome,
    i.kind,
    i.worker ?? '—',
    result.faults.inRestartWindow(i.startMs, i.endMs) ? 'inside' : 'outside',
    nearestReload(result, i.startMs),
    i.detail.replaceAll('|', '\\|') || '—',
  ];
  const outside = incidents.filter((i) => !result.faults.inRestartWindow(i.startMs, i.endMs));
  const inside = incidents.filter((i) => result.faults.inRestartWindow(i.startMs, i.endMs));
  const listed = [...outside, ...inside].slice(0, MAX_INCIDENT_ROWS).sort((a, b) => a.startMs - b.startMs);
  const list = markdownTable(
    [
      'sent at s',
      'ms',
      'route',
      'outcome',
      'kind',
      'worker',
      'restart window',
      'from nearest reload',
      'detail',
    ],
    listed.map(row),
  );
  const more = incidents.length - listed.length + incidentsDropped;
  const note =
    more > 0 ? `\n\n${formatInt(more)} more not listed (those outside the window are listed first).` : '';
  return `${summary}\n\n${list}${note}`;
}

function pct(g: number | undefined): string {
  return g === undefined ? '—' : `${g >= 0 ? '+' : ''}${formatFixed(100 * g, 1)} %`;
}

/** One verdict per criterion; `pass: undefined` for figures printed for information. */
export function verdicts(result: SoakResult): Verdict[] {
  const { load, faults } = result;
  const { inside, outside } = failedInWindow(result, undefined);
  const out: Verdict[] = [
    {
      name: 'failed requests outside the Redis restart window',
      pass: outside === 0,
      text: `${formatInt(outside)} of ${formatInt(load.total.sent)} (target 0; ${formatInt(inside)} inside the window, allowed)`,
    },
    {
      name: 'wrong answers (4xx other than 429)',
      pass: load.total.unexpected === 0,
      text: `${formatInt(load.total.unexpected)} (target 0)`,
    },
  ];
  const reloadsDone = faults.reloads.filter((r) => r.endMs !== undefined).length;
  out.push({
    name: 'rolling reloads completed',
    pass: reloadsDone === result.minutes - 1,
    text: `${reloadsDone} of ${result.minutes - 1}`,
  });
  const r = faults.restart;
  out.push({
    name: 'Redis restarted once, users kept',
    pass: r !== undefined && r.usersAfter !== undefined && r.usersAfter >= (r.usersBefore ?? Infinity),
    text:
      r === undefined
        ? 'not restarted'
        : `${formatInt(r.usersBefore ?? Number.NaN)} users before, ${formatInt(r.usersAfter ?? Number.NaN)} after`,
  });
  const { base, end } = spans(result.minutes);
  for (const figure of FIGURES) {
    if (figure.compare === false) continue;
    const g = growth(result, figure);
    const pass = figure.criterion ? (g.growth === undefined ? false : g.growth < MAX_GROWTH) : undefined;
    out.push({
      name: `${figure.title} growth, ${spanLabel(base)} → ${spanLabel(end)}`,
      pass,
      text: `${formatFigure(g.base, figure.unit)} → ${formatFigure(g.end, figure.unit)}${figure.unit === 'MiB' ? ' MiB' : ''}: ${pct(g.growth)}${figure.criterion ? ` (target < ${MAX_GROWTH * 100} %)` : ''}`,
    });
  }
  return out;
}

function verdictLines(list: readonly Verdict[]): string {
  return list
    .map((v) => `- ${v.pass === undefined ? 'INFO' : v.pass ? '**PASS**' : '**FAIL**'} ${v.name}: ${v.text}`)
    .join('\n');
}

/** Every section of the report after the header and the settings. */
export function resultSections(result: SoakResult): { markdown: string; passed: boolean } {
  const list = verdicts(result);
  const passed = list.every((v) => v.pass !== false);
  const sections = [
    `## Requests per minute\n\n${requestsTable(result)}`,
    `## Resources per minute\n\nMeans of the steady 5 s samples, except the full GCs (\`--trace-gc\`: the main isolates' Mark-Compacts in the minute, once a process is 20 s old, and the mean heap they left).\n\n${resourcesTable(result)}`,
    `## Faults\n\n${faultsSection(result)}`,
    `## Requests by route\n\n${routesTable(result)}`,
    `## Failed and wrong requests\n\n${incidentsSection(result)}`,
    `## Worker health\n\n${healthSection(result)}`,
    `## Verdict: ${passed ? 'PASS' : 'FAIL'}\n\n${verdictLines(list)}`,
  ];
  return { markdown: sections.join('\n\n'), passed };
}
