// WorkerThreadPool against piscina, tinypool and workerpool (the anchors doc:
// /work/shared/anchors/worker-pools.md), plus bare `worker_threads` Workers as the physical limit.
// Every pool runs 2 threads, is built once and warmed up, and the contenders are measured in
// interleaved rounds with the order rotated each round (median and min–max over rounds).
//
// a. no-op throughput, 1,000 tasks outstanding · b. ~1 ms CPU task throughput (all outstanding)
// c. round trip one at a time: p50 / p99 / p99.9 · d. 1 MiB ArrayBuffer transferred in, ≤ 16
// outstanding · e. cold start: constructor → first result.
//
// This suite has its own loop instead of ctx.throughput: a "task" here is a promise settled by
// another thread, and the cases need a window of outstanding tasks, which the harness's async
// contenders (one operation in flight) cannot express.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'hdr-histogram-js';
import { WorkerThreadPool } from 'loadstone/threads';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import workerpool from 'workerpool';
import { collectGarbage } from '../gc.js';
import { formatFixed, formatInt, formatRatio, markdownTable } from '../report.js';
import { median } from '../stats.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/threads/${name}`, import.meta.url));
const TASKS = fixture('bench-tasks.mjs');
const WORKERPOOL_TASKS = fixture('bench-workerpool.cjs');
const RAW = fixture('bench-raw.mjs');
const THREADS = 2;
/**
 * Threads would inherit the bench's `--import tsx` (hundreds of ms per thread start under load);
 * the worker files are plain JS, so every contender starts its threads without it.
 */
const NO_EXEC_ARGV: string[] = [];

type Op = 'noop' | 'spin' | 'len';
type Runner = {
  run(op: Op, arg: unknown, transfer?: ArrayBuffer): Promise<unknown>;
  close(): Promise<unknown>;
};
type Contender = {
  readonly name: string;
  /** Libraries at their defaults (these set the "best anchor"). */
  readonly anchor?: boolean;
  readonly make: () => Runner;
};

const OP_CODE: Record<Op, number> = { noop: 0, spin: 1, len: 2 };

/** Bare workers; `window` 0 = post everything at once, 1 = one task in flight per worker. */
function raw(window: 0 | 1): Runner {
  const workers = Array.from({ length: THREADS }, () => new Worker(RAW, { execArgv: NO_EXEC_ARGV }));
  const pending = new Map<number, (v: unknown) => void>();
  const busy = [0, 0];
  const waiting: [number, number, unknown, ArrayBuffer | undefined][] = [];
  let id = 0;
  let next = 0;
  const post = (w: number, taskId: number, code: number, arg: unknown, transfer?: ArrayBuffer): void => {
    busy[w] = (busy[w] as number) + 1;
    (workers[w] as Worker).postMessage([taskId, code, arg], transfer === undefined ? undefined : [transfer]);
  };
  workers.forEach((worker, w) => {
    worker.on('message', (m: [number, unknown]) => {
      busy[w] = (busy[w] as number) - 1;
      const resolve = pending.get(m[0]);
      pending.delete(m[0]);
      resolve?.(m[1]);
      if (window === 1 && waiting.length > 0) {
        const [t, c, a, tr] = waiting.shift() as [number, number, unknown, ArrayBuffer | undefined];
        post(w, t, c, a, tr);
      }
    });
  });
  return {
    run(op, arg, transfer) {
      const taskId = id++;
      const promise = new Promise<unknown>((resolve) => pending.set(taskId, resolve));
      if (window === 0) {
        post(next, taskId, OP_CODE[op], arg, transfer);
        next = (next + 1) % THREADS;
      } else {
        const free = busy.findIndex((b) => b === 0);
        if (free >= 0) post(free, taskId, OP_CODE[op], arg, transfer);
        else waiting.push([taskId, OP_CODE[op], arg, transfer]);
      }
      return promise;
    },
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
}

const CONTENDERS: readonly Contender[] = [
  {
    name: 'loadstone WorkerThreadPool',
    make: () => {
      const pool = new WorkerThreadPool({
        filename: TASKS,
        minThreads: THREADS,
        maxThreads: THREADS,
        execArgv: NO_EXEC_ARGV,
      });
      return {
        run: (name, arg, transfer) =>
          pool.run(arg, transfer === undefined ? { name } : { name, transferList: [transfer] }),
        close: () => pool.destroy(),
      };
    },
  },
  {
    name: 'piscina 5 (defaults)',
    anchor: true,
    make: () => {
      const pool = new Piscina({
        filename: TASKS,
        minThreads: THREADS,
        maxThreads: THREADS,
        execArgv: NO_EXEC_ARGV,
      });
      return {
        run: (name, arg, transfer) =>
          pool.run(arg, transfer === undefined ? { name } : { name, transferList: [transfer] }),
        close: () => pool.destroy(),
      };
    },
  },
  {
    name: 'piscina 5 concurrentTasksPerWorker 16',
    make: () => {
      const pool = new Piscina({
        filename: TASKS,
        minThreads: THREADS,
        maxThreads: THREADS,
        concurrentTasksPerWorker: 16,
        execArgv: NO_EXEC_ARGV,
      });
      return {
        run: (name, arg, transfer) =>
          pool.run(arg, transfer === undefined ? { name } : { name, transferList: [transfer] }),
        close: () => pool.destroy(),
      };
    },
  },
  {
    name: 'tinypool 2 (defaults)',
    anchor: true,
    make: () => {
      const pool = new Tinypool({
        filename: TASKS,
        minThreads: THREADS,
        maxThreads: THREADS,
        execArgv: NO_EXEC_ARGV,
      });
      return {
        run: (name, arg, transfer) =>
          pool.run(arg, transfer === undefined ? { name } : { name, transferList: [transfer] }),
        close: () => pool.destroy(),
      };
    },
  },
  {
    name: 'workerpool 10 (defaults)',
    anchor: true,
    make: () => {
      const pool = workerpool.pool(WORKERPOOL_TASKS, {
        minWorkers: THREADS,
        maxWorkers: THREADS,
        workerType: 'thread',
        workerThreadOpts: { execArgv: NO_EXEC_ARGV },
      });
      return {
        run: (name, arg, transfer) =>
          pool.exec(
            name,
            [arg],
            transfer === undefined ? undefined : { transfer: [transfer] },
          ) as Promise<unknown>,
        close: async () => {
          await pool.terminate(true);
        },
      };
    },
  },
  { name: 'raw worker_threads, pipelined', make: () => raw(0) },
  { name: 'raw worker_threads, 1 in flight/worker', make: () => raw(1) },
];

let sink = 0;

/** Runs `n` tasks keeping at most `window` outstanding; returns tasks/s. */
function windowed(runner: Runner, n: number, window: number, task: () => Promise<unknown>): Promise<number> {
  return new Promise((resolve) => {
    let issued = 0;
    let done = 0;
    const start = performance.now();
    const onDone = (value: unknown): void => {
      sink += typeof value === 'number' ? value : 1;
      done++;
      if (done === n) resolve((n * 1000) / (performance.now() - start));
      else pump();
    };
    const pump = (): void => {
      while (issued < n && issued - done < window) {
        issued++;
        task().then(onDone);
      }
    };
    void runner;
    pump();
  });
}

/** Iterations of the `spin` loop that take about 1 ms on this machine (measured here). */
function calibrateSpin(): number {
  const spin = (n: number): number => {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + i * 7) % 1_000_003;
    return x;
  };
  for (let i = 0; i < 50; i++) sink += spin(100_000);
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    sink += spin(200_000);
    samples.push(performance.now() - t0);
  }
  return Math.round(200_000 / median(samples));
}

type Row = { name: string; anchor: boolean; rounds: number[] };

async function interleaved(
  ctx: SuiteContext,
  runners: Map<Contender, Runner>,
  rounds: number,
  measure: (runner: Runner) => Promise<number>,
): Promise<Row[]> {
  const list = [...runners.keys()];
  const rows = list.map((c) => ({ name: c.name, anchor: c.anchor === true, rounds: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < list.length; k++) {
      const i = (k + r) % list.length;
      const contender = list[i] as Contender;
      collectGarbage();
      (rows[i] as Row).rounds.push(await measure(runners.get(contender) as Runner));
    }
    ctx.log(`  round ${r + 1}/${rounds}`);
  }
  return rows;
}

function rateTable(
  rows: readonly Row[],
  unit: string,
): { markdown: string; bestAnchor: number; ours: number } {
  const medians = rows.map((r) => median(r.rounds));
  const bestAnchor = Math.max(...rows.flatMap((r, i) => (r.anchor ? [medians[i] as number] : [])));
  const ours = medians[0] as number;
  const markdown = markdownTable(
    ['contender', `${unit}/s (median)`, 'min – max', 'vs best anchor'],
    rows.map((r, i) => [
      r.anchor ? `${r.name} ⚓` : r.name,
      formatInt(medians[i] as number),
      `${formatInt(Math.min(...r.rounds))} – ${formatInt(Math.max(...r.rounds))}`,
      formatRatio((medians[i] as number) / bestAnchor),
    ]),
  );
  return { markdown, bestAnchor, ours };
}

export default defineSuite({
  name: 'threads',
  title: 'Worker threads: WorkerThreadPool vs piscina, tinypool, workerpool and raw worker_threads',
  anchors: ['piscina', 'tinypool', 'workerpool'],
  async run(ctx) {
    const quick = ctx.quick;
    const rounds = quick ? 1 : 5;
    const wanted = ['noop', 'cpu', 'latency', 'transfer', 'startup'].filter((m) => ctx.selected(m));
    if (wanted.length === 0) return;
    const runners = new Map<Contender, Runner>();
    for (const c of CONTENDERS) runners.set(c, c.make());
    const spinN = calibrateSpin();
    ctx.log(`spin: ${formatInt(spinN)} iterations ≈ 1 ms`);
    // Warm-up: threads up, code paths hot.
    for (const runner of runners.values()) {
      await windowed(runner, quick ? 2000 : 5000, 1000, () => runner.run('noop', 0));
      await windowed(runner, 20, 20, () => runner.run('spin', spinN));
    }
    const targets: string[] = [];

    if (ctx.selected('noop')) {
      const n = quick ? 5000 : 20_000;
      ctx.log(`noop: ${n} tasks × ${rounds} rounds`);
      const rows = await interleaved(ctx, runners, rounds, (runner) =>
        windowed(runner, n, 1000, () => runner.run('noop', 0)),
      );
      const t = rateTable(rows, 'tasks');
      const piscina16 = median((rows[2] as Row).rounds);
      targets.push(
        `- no-op: ${formatRatio(t.ours / t.bestAnchor)} the best anchor at defaults (target ≥ 3×) — ${t.ours >= 3 * t.bestAnchor ? 'met' : 'missed'}; ${formatRatio(t.ours / piscina16)} piscina concurrentTasksPerWorker 16 (target ≥ 1×) — ${t.ours >= piscina16 ? 'met' : 'missed'}`,
      );
      ctx.report('noop', 'a. no-op task throughput, 1,000 outstanding, 2 threads', t.markdown);
    }

    if (ctx.selected('cpu')) {
      const n = quick ? 100 : 600;
      ctx.log(`cpu: ${n} × ~1 ms tasks × ${rounds} rounds`);
      const rows = await interleaved(ctx, runners, rounds, (runner) =>
        windowed(runner, n, n, () => runner.run('spin', spinN)),
      );
      const t = rateTable(rows, 'tasks');
      targets.push(
        `- 1 ms tasks: ${formatRatio(t.ours / t.bestAnchor)} the best anchor (target ≥ 1×) — ${t.ours >= t.bestAnchor ? 'met' : 'missed'}`,
      );
      ctx.report(
        'cpu',
        'b. ~1 ms CPU task throughput, 2 threads (ideal ≈ 2,000/s)',
        `${t.markdown}\n\nspin calibrated on the main thread: ${formatInt(spinN)} iterations ≈ 1 ms.`,
      );
    }

    if (ctx.selected('latency')) {
      const n = quick ? 300 : 2000;
      ctx.log(`latency: ${n} sequential round trips × ${rounds} rounds`);
      const histograms = new Map<Runner, ReturnType<typeof build>>();
      for (const runner of runners.values())
        histograms.set(runner, build({ numberOfSignificantValueDigits: 3 }));
      await interleaved(ctx, runners, rounds, async (runner) => {
        const h = histograms.get(runner) as ReturnType<typeof build>;
        const start = performance.now();
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          sink += (await runner.run('noop', 0)) as number;
          h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        }
        return (n * 1000) / (performance.now() - start);
      });
      const list = [...runners.keys()];
      const p = (c: Contender, q: number): number =>
        (histograms.get(runners.get(c) as Runner) as ReturnType<typeof build>).getValueAtPercentile(q);
      const bestAnchorP99 = Math.min(...list.filter((c) => c.anchor === true).map((c) => p(c, 99)));
      const ours = p(list[0] as Contender, 99);
      targets.push(
        `- round trip p99: ${formatInt(ours)} µs vs best anchor ${formatInt(bestAnchorP99)} µs (target ≤) — ${ours <= bestAnchorP99 ? 'met' : 'missed'}`,
      );
      ctx.report(
        'latency',
        'c. single round trip, one task at a time, 2 threads (µs)',
        markdownTable(
          ['contender', 'p50', 'p99', 'p99.9', 'max'],
          list.map((c) => [
            c.anchor === true ? `${c.name} ⚓` : c.name,
            formatInt(p(c, 50)),
            formatInt(p(c, 99)),
            formatInt(p(c, 99.9)),
            formatInt(p(c, 100)),
          ]),
        ),
      );
    }

    if (ctx.selected('transfer')) {
      const n = quick ? 50 : 400;
      const source = new Uint8Array(1024 * 1024).fill(3);
      ctx.log(`transfer: ${n} × 1 MiB × ${rounds} rounds`);
      const rows = await interleaved(ctx, runners, rounds, (runner) =>
        windowed(runner, n, 16, () => {
          const copy = source.slice();
          return runner.run('len', copy.buffer, copy.buffer);
        }),
      );
      ctx.report(
        'transfer',
        'd. 1 MiB ArrayBuffer transferred in (fresh copy per task), ≤ 16 outstanding, 2 threads',
        rateTable(rows, 'tasks').markdown,
      );
    }

    for (const runner of runners.values()) await runner.close();
    runners.clear();

    if (ctx.selected('startup')) {
      const reps = quick ? 1 : 5;
      const times = new Map<Contender, number[]>();
      for (let r = 0; r < reps; r++) {
        for (let k = 0; k < CONTENDERS.length; k++) {
          const c = CONTENDERS[(k + r) % CONTENDERS.length] as Contender;
          collectGarbage();
          const t0 = performance.now();
          const runner = c.make();
          sink += (await runner.run('noop', 0)) as number;
          const ms = performance.now() - t0;
          await runner.close();
          times.set(c, [...(times.get(c) ?? []), ms]);
        }
      }
      ctx.report(
        'startup',
        'e. cold start: constructor → first result (ms)',
        markdownTable(
          ['contender', 'median', 'min – max'],
          CONTENDERS.map((c) => {
            const t = times.get(c) as number[];
            return [
              c.anchor === true ? `${c.name} ⚓` : c.name,
              formatFixed(median(t), 1),
              `${formatFixed(Math.min(...t), 1)} – ${formatFixed(Math.max(...t), 1)}`,
            ];
          }),
        ),
      );
    }

    if (targets.length > 0) ctx.report('targets', 'Targets (issue 4)', targets.join('\n'));
    if (sink === Number.MIN_VALUE) ctx.log(String(sink));
  },
});
