// The demo's output: a progress line on stderr while it runs (rewritten in place on a terminal;
// nothing when stderr is not one, so a CI log stays quiet), and the report on stdout at the end.
import { cpus } from 'node:os';
import type { Stopped } from './child.js';
import { type Counts, failures, type LoadRun, type Window } from './load.js';

/** A ticking progress line: `label  elapsed  stage  live req/s  failed so far`. */
export class Progress {
  readonly #tty = process.stderr.isTTY === true;
  #timer: NodeJS.Timeout | undefined;
  #label = '';
  #stage = '';
  #started = 0;
  #totals: () => LoadRun['totals'] | undefined = () => undefined;
  #last = { at: 0, answered: 0, rate: 0 };

  start(label: string, totals: () => LoadRun['totals'] | undefined): void {
    this.#label = label;
    this.#totals = totals;
    this.#started = performance.now();
    this.#last = { at: this.#started, answered: 0, rate: 0 };
    if (!this.#tty) return;
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#timer.unref();
  }

  stage(stage: string): void {
    this.#stage = stage;
    this.#tick();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) process.stderr.write('\r\x1b[2K');
  }

  #tick(): void {
    if (!this.#tty) return;
    const now = performance.now();
    const totals = this.#totals();
    if (totals && now - this.#last.at >= 1000) {
      const rate = ((totals.answered - this.#last.answered) * 1000) / (now - this.#last.at);
      this.#last = { at: now, answered: totals.answered, rate };
    }
    const seconds = ((now - this.#started) / 1000).toFixed(1).padStart(5);
    const load = totals ? `  ${fmt(this.#last.rate, 0).padStart(6)} req/s  failed ${totals.failed}` : '';
    process.stderr.write(`\r\x1b[2K  ${this.#label}  ${seconds} s  ${this.#stage.padEnd(10)}${load}`);
  }
}

export function fmt(value: number, digits = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Requests answered per second (any HTTP status: a 429 is an answer too). */
export function throughput(w: Window): number {
  const c = w.counts;
  return (c.ok + c.rateLimited + c.clientErrors + c.serverErrors) / w.seconds;
}

/** One run of the server (single process or clustered), as the report needs it. */
export type PhaseResult = {
  readonly workers: number;
  /** The measured window (after warm-up, before any reload). */
  readonly steady: Window;
  /** Per worker slot: the mean of its heartbeats' event-loop delay p99 in the steady window, ms. */
  readonly eventLoop: Record<string, number>;
  /** Profiles cache hit rate from /metrics at the end of the steady window. */
  readonly cacheHitRate: number | undefined;
  /** Aggregated health at the end of the steady window (status and reasons). */
  readonly health: { status: string; reasons: readonly string[] } | undefined;
  /** The window from SIGHUP to the end of the load, when this phase reloaded. */
  readonly reload?: {
    readonly window: Window;
    /** Requests per second offered during the reload (paced). */
    readonly offered: number;
    readonly seconds: number;
    readonly pidsBefore: readonly number[];
    readonly pidsAfter: readonly number[];
    readonly healthAfter: string | undefined;
  };
  /** 429 answers over the whole phase. */
  readonly rateLimited: number;
  /** Failures over the whole phase (connection errors, timeouts, 5xx, unexpected 4xx). */
  readonly failures: number;
  /** Of `failures`, the 503s of load shedding (a worker's health was critical). */
  readonly shed: number;
};

function row(label: string, a: string, b: string, note = ''): string {
  return `  ${label.padEnd(28)}${a.padEnd(14)}${b.padEnd(24)}${note}`.trimEnd();
}

function eventLoop(p: PhaseResult): string {
  const slots = Object.entries(p.eventLoop);
  if (slots.length === 0) return 'n/a';
  return slots.map(([slot, ms]) => `${slot} ${fmt(ms)} ms`).join(', ');
}

function errorBreakdown(c: Counts): string {
  const connection = Object.entries(c.connectionErrors);
  const parts = [
    `connection errors/resets ${connection.reduce((n, [, v]) => n + v, 0)}${connection.length ? ` (${connection.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `timeouts ${c.timeouts}`,
    `5xx ${c.serverErrors}${c.shed > 0 ? ` (${c.shed} shed: 503 + Retry-After)` : ''}`,
    `other 4xx ${c.clientErrors}`,
  ];
  return parts.join(', ');
}

export function formatReport(
  one: PhaseResult,
  two: PhaseResult,
  extra: {
    seeded: number;
    seedSeconds: number;
    /** The 1-minute load average when the demo started: throughput figures are only as quiet as the machine. */
    loadAverage: number;
    pids: readonly number[];
    stops: readonly Stopped[];
    totalSeconds: number;
  },
): string {
  const t1 = throughput(one.steady);
  const t2 = throughput(two.steady);
  const lines = [
    '',
    `report (${cpus().length} CPUs, load average ${fmt(extra.loadAverage)} at start; ${extra.seeded} users seeded via POST /signup in ${fmt(extra.seedSeconds)} s)`,
    row('', `WORKERS=${one.workers}`, `WORKERS=${two.workers}`),
    row('throughput', `${fmt(t1, 0)} req/s`, `${fmt(t2, 0)} req/s`, `x${fmt(t2 / t1, 2)} clustered`),
    ...(cpus().length <= 2
      ? [
          `    (the load generator shares these ${cpus().length} CPUs with the workers: a second worker has no spare core to use here)`,
        ]
      : []),
    row('p99 latency', `${fmt(one.steady.latency.p99Ms)} ms`, `${fmt(two.steady.latency.p99Ms)} ms`),
    row('event-loop delay p99', eventLoop(one), eventLoop(two), '(mean of heartbeats)'),
    row(
      'cache hit rate (profiles)',
      one.cacheHitRate === undefined ? 'n/a' : `${fmt(one.cacheHitRate * 100)} %`,
      two.cacheHitRate === undefined ? 'n/a' : `${fmt(two.cacheHitRate * 100)} %`,
    ),
    row('health', one.health?.status ?? 'n/a', two.health?.status ?? 'n/a'),
    row(
      '429 from the login limiter',
      String(one.rateLimited),
      String(two.rateLimited),
      '(expected, not errors)',
    ),
    row('failed requests (whole run)', String(one.failures), String(two.failures)),
    row('  of which shed (503)', String(one.shed), String(two.shed), '(health critical: saturated)'),
  ];
  for (const p of [one, two])
    for (const reason of p.health?.reasons ?? []) lines.push(`    health, WORKERS=${p.workers}: ${reason}`);
  const reload = two.reload;
  if (reload) {
    const c = reload.window.counts;
    lines.push(
      `rolling reload (SIGHUP to the primary, WORKERS=${two.workers}, load paced at ${fmt(reload.offered, 0)} req/s): done in ${fmt(reload.seconds)} s`,
      `  requests answered from SIGHUP to end of load ${c.ok + c.rateLimited + c.clientErrors + c.serverErrors}`,
      `  errors during reload ${failures(c)}`,
      `    (${errorBreakdown(c)})`,
      `  worker pids ${reload.pidsBefore.join(', ')} -> ${reload.pidsAfter.join(', ')}; health after reload ${reload.healthAfter ?? 'n/a'}`,
    );
  }
  lines.push(
    `processes started (primaries and workers): ${extra.pids.join(' ')}`,
    `stopped with SIGTERM: exit codes ${extra.stops.map((s) => s.code ?? 'none').join(', ')}; ${
      extra.stops.some((s) => s.stragglers.length > 0)
        ? `SIGKILLed stragglers ${extra.stops.flatMap((s) => s.stragglers).join(' ')}`
        : 'none left behind'
    }`,
    `done in ${fmt(extra.totalSeconds)} s`,
  );
  return lines.join('\n');
}
