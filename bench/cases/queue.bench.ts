// PriorityTaskQueue against p-queue 9 (anchor) and fastq, on the anchors doc's workloads
// (/work/shared/anchors/caches-queues-pools-rings.md §2.2):
//
// 1. throughput: N trivial tasks (`async () => {}`; fastq's worker `async (x) => {}`), concurrency
//    100, all added synchronously, each returned promise consumed with `.then(count)`, then
//    awaited (`onIdle()` / `drained()`). End-to-end tasks/s, enqueue time and heap growth during
//    the enqueue loop (no GC in between, so it includes garbage).
//    p-queue with random priorities inserts into a sorted array with `splice` (O(n) per insert,
//    O(n²) per burst: 240 s for 1 M tasks in the anchors doc), so that row runs a smaller N and
//    says so; its tasks/s is therefore an upper bound of what it would do at 1 M.
// 2. paused: 100 k enqueues into a paused queue (p-queue `autoStart: false`, fastq `pause()`),
//    random priorities 0..3 where supported: the insertion cost alone.
// 3. memory: bytes retained per queued task (heap + external after full GCs, queue still
//    referenced, 100 k tasks with random priorities where supported, result promises kept).
//
// All contenders run in this one process (the paused case's fills each in a fresh one), interleaved (order rotated each round), with full GCs
// between runs. Priorities are drawn from a seeded PRNG so every contender sees the same sequence.

import fastq from 'fastq';
import { PriorityTaskQueue } from 'loadstone/queue';
import PQueue from 'p-queue';
import { collectGarbage, settleHeap } from '../gc.js';
import { type PausedContender, pausedContenders, priorities, timeFillInChild } from '../queue/pausedFill.js';
import { formatFixed, formatInt, formatRatio, markdownTable } from '../report.js';
import { median } from '../stats.js';
import { defineSuite } from '../suite.js';

let sink = 0;
/** The priorities' seed of the paused and memory cases. */
const PAUSED_SEED = 7;
const LEVELS = ['critical', 'high', 'medium', 'low'] as const;

type RunResult = {
  readonly enqueueMs: number;
  readonly totalMs: number;
  /** CPU time of this process (user + system, all threads) over the run. */
  readonly cpuMs: number;
  readonly heapDeltaMb: number;
};

type ThroughputContender = {
  readonly name: string;
  readonly tasks: number;
  readonly anchor?: boolean;
  readonly target?: number;
  readonly run: (n: number, prio: Uint8Array) => Promise<RunResult>;
};

const heapUsed = (): number => process.memoryUsage().heapUsed;
const now = (): number => performance.now();
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

function throughputContenders(fullN: number, pQueueRandomN: number): ThroughputContender[] {
  return [
    {
      name: 'fastq.promise, no priority',
      tasks: fullN,
      anchor: true,
      run: async (n) => {
        const q = fastq.promise(async (_x: number) => {}, 100);
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.push(i).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.drained();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
    {
      name: 'p-queue, no priority',
      tasks: fullN,
      run: async (n) => {
        const q = new PQueue({ concurrency: 100 });
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const fn = async (): Promise<void> => {};
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.add(fn).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.onIdle();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
    {
      name: `p-queue, random priority 0..3 (${formatInt(pQueueRandomN)} tasks)`,
      tasks: pQueueRandomN,
      run: async (n, prio) => {
        const q = new PQueue({ concurrency: 100 });
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const fn = async (): Promise<void> => {};
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.add(fn, { priority: prio[i] as number }).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.onIdle();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
    {
      name: 'loadstone, no priority',
      tasks: fullN,
      run: async (n) => {
        // A million added at once: more than the default bound of 100,000 waiting tasks.
        const q = new PriorityTaskQueue({ concurrency: 100, maxQueued: Number.POSITIVE_INFINITY });
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const fn = async (): Promise<void> => {};
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.add(fn).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.onIdle();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
    {
      name: 'loadstone, random priority 0..3',
      tasks: fullN,
      target: 1,
      run: async (n, prio) => {
        // A million added at once: more than the default bound of 100,000 waiting tasks.
        const q = new PriorityTaskQueue({ concurrency: 100, maxQueued: Number.POSITIVE_INFINITY });
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const fn = async (): Promise<void> => {};
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.add(fn, { priority: prio[i] as number }).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.onIdle();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
    {
      name: 'loadstone, random named level',
      tasks: fullN,
      target: 1,
      run: async (n, prio) => {
        // A million added at once: more than the default bound of 100,000 waiting tasks.
        const q = new PriorityTaskQueue({ concurrency: 100, maxQueued: Number.POSITIVE_INFINITY });
        let count = 0;
        const inc = (): void => {
          count++;
        };
        const fn = async (): Promise<void> => {};
        const h0 = heapUsed();
        const c0 = cpuNow();
        const t0 = now();
        for (let i = 0; i < n; i++) q.add(fn, { priority: LEVELS[prio[i] as number] }).then(inc);
        const t1 = now();
        const h1 = heapUsed();
        await q.onIdle();
        await new Promise((r) => setImmediate(r));
        const t2 = now();
        const cpuMs = cpuNow() - c0;
        sink += count;
        return { enqueueMs: t1 - t0, totalMs: t2 - t0, cpuMs, heapDeltaMb: (h1 - h0) / 2 ** 20 };
      },
    },
  ];
}

function targetCell(ok: boolean | undefined): string {
  if (ok === undefined) return '';
  return ok ? 'met' : '**missed**';
}

export default defineSuite({
  name: 'queue',
  title: 'Queue: PriorityTaskQueue vs p-queue and fastq',
  anchors: ['p-queue', 'fastq'],
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const fullN = ctx.quick ? 100_000 : 1_000_000;
    const pQueueRandomN = ctx.quick ? 10_000 : 50_000;
    const prio = priorities(fullN);

    if (ctx.selected('queue/throughput')) {
      const contenders = throughputContenders(fullN, pQueueRandomN);
      const results = new Map<string, RunResult[]>(contenders.map((c) => [c.name, []]));
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + round) % contenders.length] as ThroughputContender;
          collectGarbage();
          ctx.log(`throughput round ${round + 1}/${rounds}: ${c.name}`);
          (results.get(c.name) as RunResult[]).push(await c.run(c.tasks, prio));
        }
      }
      collectGarbage();
      const rate = (c: ThroughputContender, r: RunResult): number => c.tasks / (r.totalMs / 1000);
      const cpuRate = (c: ThroughputContender, r: RunResult): number => c.tasks / (r.cpuMs / 1000);
      const anchor = contenders.find((c) => c.anchor) as ThroughputContender;
      const anchorRuns = results.get(anchor.name) as RunResult[];
      const anchorRates = anchorRuns.map((r) => rate(anchor, r));
      const anchorCpuRates = anchorRuns.map((r) => cpuRate(anchor, r));
      const range = (xs: number[], f: (x: number) => string): string =>
        `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]`;
      const rows = contenders.map((c) => {
        const rs = results.get(c.name) as RunResult[];
        const rates = rs.map((r) => rate(c, r));
        const cpuRates = rs.map((r) => cpuRate(c, r));
        const ratios = rates.map((x, i) => x / (anchorRates[i] as number));
        const cpuRatios = cpuRates.map((x, i) => x / (anchorCpuRates[i] as number));
        const ratio = median(rates) / median(anchorRates);
        const cpuRatio = median(cpuRates) / median(anchorCpuRates);
        return [
          c.name + (c.anchor ? ' (anchor)' : ''),
          formatInt(c.tasks),
          range(rates, formatInt),
          `${formatRatio(ratio)} [${formatRatio(Math.min(...ratios))}–${formatRatio(Math.max(...ratios))}]`,
          range(cpuRates, formatInt),
          `${formatRatio(cpuRatio)} [${formatRatio(Math.min(...cpuRatios))}–${formatRatio(Math.max(...cpuRatios))}]`,
          formatInt(median(rs.map((r) => r.enqueueMs))),
          formatInt(median(rs.map((r) => r.totalMs))),
          formatFixed(median(rs.map((r) => r.heapDeltaMb)), 1),
          c.target === undefined
            ? ''
            : `≥ ${c.target}×: wall ${targetCell(ratio >= c.target)}, CPU ${targetCell(cpuRatio >= c.target)}`,
        ];
      });
      ctx.report(
        'throughput',
        `Trivial tasks end to end, concurrency 100 (${formatInt(fullN)} tasks unless noted)`,
        `${markdownTable(
          [
            'contender',
            'tasks',
            'tasks/s (wall) median [min–max]',
            'vs fastq (wall)',
            'tasks per CPU-s',
            'vs fastq (CPU)',
            'enqueue ms',
            'total ms',
            'heap Δ MB',
            'target',
          ],
          rows,
        )}\n\nMedian of ${rounds} interleaved rounds in one process (GC between runs); ratios per round ` +
          `against the fastq run of the same round. "tasks per CPU-s" divides by the process's CPU time ` +
          '(user + system, GC threads included) instead of wall time: on a shared, oversubscribed VM wall time ' +
          'also counts time spent descheduled, which lands on whichever case ran then. ' +
          `p-queue with random priorities runs ${formatInt(pQueueRandomN)} ` +
          'tasks only: its sorted-array insert is O(n), so the whole burst is O(n²) (the anchors doc measured ' +
          '4.2 k tasks/s, 240 s, at 1 M); its rate at 1 M would be far lower than shown. ' +
          '"heap Δ" = heapUsed after the enqueue loop minus before, without GC (garbage included).',
      );
    }

    const pausedN = ctx.quick ? 20_000 : 100_000;
    const pausedPrio = priorities(pausedN, PAUSED_SEED);
    if (ctx.selected('queue/paused')) {
      const contenders = pausedContenders();
      const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
      const pausedRounds = ctx.quick ? 1 : 5;
      for (let round = 0; round < pausedRounds; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const c = contenders[(k + round) % contenders.length] as PausedContender;
          (times.get(c.name) as number[]).push(await timeFillInChild(c.name, pausedN, PAUSED_SEED));
        }
      }
      const anchorName = (contenders.find((c) => c.anchor) as PausedContender).name;
      const anchorMs = median(times.get(anchorName) as number[]);
      const rows = contenders.map((c) => {
        const ms = times.get(c.name) as number[];
        const speedup = anchorMs / median(ms);
        return [
          c.name + (c.anchor ? ' (anchor)' : ''),
          `${formatFixed(median(ms), 1)} [${formatFixed(Math.min(...ms), 1)}–${formatFixed(Math.max(...ms), 1)}]`,
          formatRatio(speedup),
          c.target === undefined ? '' : `≥ ${c.target}×: ${targetCell(speedup >= c.target)}`,
        ];
      });
      ctx.report(
        'paused',
        `${formatInt(pausedN)} enqueues into a paused queue`,
        `${markdownTable(['contender', 'enqueue ms median [min–max]', 'speed vs anchor', 'target'], rows)}\n\n` +
          `Median of ${pausedRounds} interleaved rounds, each fill in a fresh process (one plain loop, as a user would time it); each returned promise is kept. ` +
          '"speed vs anchor" = anchor ms ÷ contender ms.',
      );
    }

    if (ctx.selected('queue/memory')) {
      const contenders = pausedContenders();
      const rows: string[][] = [];
      let anchorBytes = 0;
      for (const c of contenders) {
        settleHeap();
        const before = process.memoryUsage();
        let built: { queue: unknown; held: unknown[] } | undefined = c.fill(pausedN, pausedPrio);
        settleHeap();
        const after = process.memoryUsage();
        sink += built.held.length;
        built = undefined;
        const bytes = (after.heapUsed + after.external - before.heapUsed - before.external) / pausedN;
        if (c.anchor) anchorBytes = bytes;
        rows.push([c.name + (c.anchor ? ' (anchor)' : ''), formatInt(bytes), '']);
      }
      for (const [i, c] of contenders.entries()) {
        const row = rows[i] as string[];
        const bytes = Number((row[1] as string).replace(/,/g, ''));
        row[2] = c.target === undefined ? '' : `≤ anchor: ${targetCell(bytes <= anchorBytes)}`;
      }
      ctx.report(
        'memory',
        `Bytes retained per queued task (${formatInt(pausedN)} tasks in a paused queue)`,
        `${markdownTable(['contender', 'bytes/task', 'target'], rows)}\n\n` +
          'heapUsed + external after full GCs with the queue and every returned promise still referenced, ' +
          'minus before, divided by the task count.',
      );
    }
    if (sink === -1) ctx.log(String(sink));
  },
});
