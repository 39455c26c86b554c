// The resource figures of the soak, per minute, and their growth from the baseline minutes (after
// the first minute's warm-up) to the last ones.
//
// The heap is judged by what survives a full collection (see gc.ts): per minute, the mean heap after
// the Mark-Compacts of the workers' main isolates, once a worker is 20 s old (past its start-up).
// The heartbeats' heapUsed is printed too, but as a sawtooth it only says where the GCs fell.
import type { SoakResult } from './result.js';
import type { Sample } from './sampler.js';

/** Growth from the baseline to the end that still passes. */
export const MAX_GROWTH = 0.05;
/** A worker's full collections count from this age on (its start-up's do not). */
export const GC_MIN_AGE_MS = 20_000;
const MIB = 2 ** 20;

export type Figure = {
  readonly key: string;
  readonly title: string;
  readonly unit: 'count' | 'MiB';
  /** A criterion of the soak (`true`) or printed for information. */
  readonly criterion: boolean;
  /** `false` for a figure whose growth means nothing (a count of events). */
  readonly compare?: false;
  /** The figure's value over minute `m` (0-based), or `undefined` without steady data. */
  minute(result: SoakResult, m: number): number | undefined;
};

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

const sum = (values: readonly (number | undefined)[]): number | undefined =>
  values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, b) => a + (b as number), 0);

const inMinute = (atMs: number, m: number): boolean => atMs >= m * 60_000 && atMs < (m + 1) * 60_000;

/** Mean over minute `m`'s steady 5 s samples; the Redis figure also skips the restart window. */
function sampled(
  key: string,
  title: string,
  unit: Figure['unit'],
  criterion: boolean,
  of: (s: Sample) => number | undefined,
): Figure {
  return {
    key,
    title,
    unit,
    criterion,
    minute(result, m) {
      const values: number[] = [];
      for (const s of result.samples) {
        if (!s.steady || !inMinute(s.atMs, m)) continue;
        if (key === 'redisClients' && result.faults.inRestartWindow(s.atMs, s.atMs)) continue;
        const v = of(s);
        if (v !== undefined) values.push(v);
      }
      return mean(values);
    },
  };
}

/** The main isolates' full collections in minute `m`, of the primary or of the workers. */
function fullGcs(result: SoakResult, m: number, primary: boolean) {
  return result.gc.fullGcs.filter(
    (e) =>
      inMinute(e.atMs, m) &&
      e.isolateMs >= GC_MIN_AGE_MS &&
      (e.pid === result.primaryPid) === primary &&
      e.isolate === result.gc.mainIsolate(e.pid),
  );
}

/** Mean heap after the full collections of minute `m` (bytes), per process. */
function heapAfterGc(primary: boolean): Figure['minute'] {
  return (result, m) => {
    const after = fullGcs(result, m, primary).map((e) => e.afterMiB * MIB);
    return mean(after);
  };
}

const workerFds = (s: Sample): number | undefined => sum(s.workers.map((w) => w.fds));

export const FIGURES: readonly Figure[] = [
  sampled('fdsPrimary', 'fds primary', 'count', true, (s) => s.primaryFds),
  sampled('fdsWorkers', 'fds workers', 'count', false, workerFds),
  sampled('clientSockets', 'client sockets', 'count', false, (s) => s.clientSockets),
  sampled('fdsWorkersOwn', 'fds workers − client sockets', 'count', true, (s) => {
    const fds = workerFds(s);
    return fds === undefined ? undefined : fds - s.clientSockets;
  }),
  sampled('heapWorkers', 'heap workers (mean)', 'MiB', false, (s) =>
    sum(s.workers.map((w) => w.heapUsedBytes)),
  ),
  {
    key: 'heapAfterGcWorkers',
    title: 'heap after full GC, per worker',
    unit: 'MiB',
    criterion: true,
    minute: heapAfterGc(false),
  },
  {
    key: 'fullGcsWorkers',
    title: 'full GCs workers',
    unit: 'count',
    criterion: false,
    compare: false,
    minute: (result, m) => fullGcs(result, m, false).length,
  },
  {
    key: 'heapAfterGcPrimary',
    title: 'heap after full GC, primary',
    unit: 'MiB',
    criterion: false,
    minute: heapAfterGc(true),
  },
  sampled('rssWorkers', 'rss workers', 'MiB', false, (s) => sum(s.workers.map((w) => w.rssBytes))),
  sampled('rssPrimary', 'rss primary', 'MiB', true, (s) => s.primaryRssBytes),
  sampled('redisClients', 'redis clients', 'count', false, (s) => s.redisClients),
];

/** 0-based inclusive minute ranges compared: two minutes each from 6 minutes on, else one. */
export function spans(minutes: number): { base: [number, number]; end: [number, number] } {
  const span = minutes >= 6 ? 2 : 1;
  return { base: [1, span], end: [minutes - span, minutes - 1] };
}

/** `minutes 2–3`, `minute 2`. */
export function spanLabel([from, to]: [number, number]): string {
  return from === to ? `minute ${from + 1}` : `minutes ${from + 1}–${to + 1}`;
}

function spanValue(result: SoakResult, figure: Figure, [from, to]: [number, number]): number | undefined {
  const values: number[] = [];
  for (let m = from; m <= to; m++) {
    const v = figure.minute(result, m);
    if (v !== undefined) values.push(v);
  }
  return mean(values);
}

/** Growth of `figure` from the baseline span to the end span (see {@link spans}). */
export function growth(
  result: SoakResult,
  figure: Figure,
): { base: number | undefined; end: number | undefined; growth: number | undefined } {
  const { base: baseSpan, end: endSpan } = spans(result.minutes);
  const base = spanValue(result, figure, baseSpan);
  const end = spanValue(result, figure, endSpan);
  const g = base === undefined || end === undefined || base === 0 ? undefined : (end - base) / base;
  return { base, end, growth: g };
}
