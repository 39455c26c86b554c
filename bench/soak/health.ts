// The workers' own view during the run, from the 1 s admin polls: which worker processes were
// ever degraded or critical, why (their HealthMonitor's reasons), and how many requests their load
// shedding refused with 503. This is what explains a burst of 503s on the ordinary routes.
import { formatFixed, formatInt, markdownTable } from '../report.js';
import type { SoakResult } from './result.js';

type Seen = {
  slot: string;
  pid: number;
  startedMs: number;
  firstBadMs: number | undefined;
  lastBadMs: number | undefined;
  worst: string;
  reasons: Set<string>;
  shed: number;
  maxLoopP99Ms: number;
};

const RANK: Readonly<Record<string, number>> = { healthy: 0, degraded: 1, critical: 2 };

/** One row per worker process that was ever not healthy or shed a request; a sentence when none. */
export function healthSection(result: SoakResult): string {
  const seen = new Map<number, Seen>();
  for (const r of result.readings) {
    for (const w of r.workers) {
      let s = seen.get(w.pid);
      if (s === undefined) {
        s = {
          slot: w.slot,
          pid: w.pid,
          startedMs: r.atMs - w.uptimeMs,
          firstBadMs: undefined,
          lastBadMs: undefined,
          worst: 'healthy',
          reasons: new Set(),
          shed: 0,
          maxLoopP99Ms: 0,
        };
        seen.set(w.pid, s);
      }
      s.shed = Math.max(s.shed, w.shedRequests);
      s.maxLoopP99Ms = Math.max(s.maxLoopP99Ms, w.eventLoopDelayP99Ms ?? 0);
      if (w.status === undefined || w.status === 'healthy') continue;
      s.firstBadMs ??= r.atMs;
      s.lastBadMs = r.atMs;
      if ((RANK[w.status] ?? 0) > (RANK[s.worst] ?? 0)) s.worst = w.status;
      for (const reason of w.reasons)
        s.reasons.add(reason.replace(/\d+\.\d+/g, (n) => formatFixed(Number(n), 0)));
    }
  }
  const all = [...seen.values()];
  const bad = all.filter((s) => s.firstBadMs !== undefined || s.shed > 0);
  const shed = all.reduce((n, s) => n + s.shed, 0);
  const head =
    `${all.length} worker processes polled every second; ${bad.length} reported degraded or critical ` +
    `or shed load; ${formatInt(shed)} requests shed in all (their HealthMonitor's load shedding answers 503).`;
  if (bad.length === 0) return head;
  const s = (ms: number | undefined): string => (ms === undefined ? '—' : formatFixed(ms / 1000, 1));
  const rows = bad.map((b) => [
    b.slot,
    String(b.pid),
    s(b.startedMs),
    b.firstBadMs === undefined ? '—' : `${s(b.firstBadMs)} – ${s(b.lastBadMs)}`,
    b.worst,
    [...b.reasons].slice(0, 3).join('; ').replaceAll('|', '\\|') || '—',
    formatInt(b.shed),
    formatFixed(b.maxLoopP99Ms, 0),
  ]);
  const table = markdownTable(
    [
      'slot',
      'pid',
      'started at s',
      'not healthy at s',
      'worst',
      'reasons',
      'requests shed',
      'max event-loop p99 ms',
    ],
    rows,
  );
  return `${head}\n\n${table}`;
}
