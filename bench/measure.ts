// Measuring one contender: warm-up with batch sizing, then a timed run that records ns/op in an
// HDR histogram. Used by the harness for in-process cases and by child.ts in a child process, so
// both modes measure the same way (see harness.ts for the method).
import { performance } from 'node:perf_hooks';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import type { BatchContender, Contender, TimingProfile } from './contender.js';
import { median } from './stats.js';

/** Histogram resolution: values are recorded in hundredths of a nanosecond. */
export const TICKS_PER_NS = 100;
const MAX_AUTO_BATCH = 1 << 24;

/** A contender and what has been measured of it so far. */
export type ContenderState = {
  readonly contender: Contender;
  /** ns/op × {@link TICKS_PER_NS} of every timed batch (async: every operation). */
  readonly histogram: Histogram;
  /** Operations per timed batch; `0` until warm-up sizes it (always 1 for async contenders). */
  batchSize: number;
  /** ops/s of each timed run, in run order. */
  readonly rounds: number[];
  totalOps: number;
};

/** An empty histogram with the resolution the harness uses. */
export function newHistogram(): Histogram {
  return buildHistogram({ numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Fresh state of a contender. */
export function contenderState(contender: Contender): ContenderState {
  return {
    contender,
    histogram: newHistogram(),
    batchSize: 'batch' in contender ? (contender.batchSize ?? 0) : 1,
    rounds: [],
    totalOps: 0,
  };
}

/**
 * Runs the contender for `timing.warmupMs`. A synchronous contender without a batch size gets one
 * here, so that a batch lasts about `timing.targetBatchUs`.
 */
export async function warmUp(s: ContenderState, timing: TimingProfile): Promise<void> {
  const c = s.contender;
  const deadline = performance.now() + timing.warmupMs;
  if (!('batch' in c)) {
    do await c.op();
    while (performance.now() < deadline);
    return;
  }
  const targetMs = timing.targetBatchUs / 1000;
  let n = s.batchSize > 0 ? s.batchSize : 1;
  // Grow the batch until one lasts the target; then keep running the sized batch until the
  // deadline, re-sizing from the second half of the warm-up (after the optimiser has had a go).
  let ms = timeBatch(c, n);
  while (s.batchSize === 0 && ms < targetMs && n < MAX_AUTO_BATCH && performance.now() < deadline) {
    n *= 2;
    ms = timeBatch(c, n);
  }
  if (s.batchSize === 0) n = clampBatch((n * targetMs) / Math.max(ms, 1e-6));
  // The median batch of the second half sizes the batch: a GC pause or a preemption on a busy
  // machine would drag a mean down and leave the batch too small.
  const half = performance.now() + (deadline - performance.now()) / 2;
  const perOpMs: number[] = [];
  while (performance.now() < deadline) {
    const t = timeBatch(c, n);
    if (performance.now() >= half) perOpMs.push(t / n);
  }
  if (s.batchSize === 0)
    s.batchSize = perOpMs.length > 0 ? clampBatch(targetMs / Math.max(median(perOpMs), 1e-9)) : n;
}

function clampBatch(n: number): number {
  return Math.min(MAX_AUTO_BATCH, Math.max(1, Math.round(n)));
}

function timeBatch(c: BatchContender, n: number): number {
  const t0 = performance.now();
  c.batch(n);
  return performance.now() - t0;
}

/**
 * Runs the contender for `durationMs`, records latencies into its histogram, adds the operations
 * to `totalOps` and the ops/s to `rounds`.
 *
 * @returns ops/s of this run.
 */
export async function timedRun(s: ContenderState, durationMs: number): Promise<number> {
  const c = s.contender;
  const h = s.histogram;
  let ops = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  let end = start;
  if ('batch' in c) {
    const n = s.batchSize;
    const batch = c.batch;
    do {
      const t0 = performance.now();
      batch(n);
      end = performance.now();
      h.recordValueWithCount(Math.max(1, Math.round(((end - t0) * 1e6 * TICKS_PER_NS) / n)), n);
      ops += n;
    } while (end < deadline);
  } else {
    const op = c.op;
    do {
      const t0 = performance.now();
      await op();
      end = performance.now();
      h.recordValue(Math.max(1, Math.round((end - t0) * 1e6 * TICKS_PER_NS)));
      ops++;
    } while (end < deadline);
  }
  const opsPerSec = (ops * 1000) / (end - start);
  s.totalOps += ops;
  s.rounds.push(opsPerSec);
  return opsPerSec;
}
