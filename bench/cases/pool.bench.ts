// ConnectionPoolManager acquire/release cycles against generic-pool (anchor) and tarn, on trivial
// resources (`{ id }`), `max: 10`, `min: 0`, as in the anchors doc (§2.3).
//
// - sequential: one borrower doing `await acquire(); release()`, through the harness (one op in
//   flight, two `performance.now()` reads and an HDR record per op, the same for every row).
// - contended: 100 async borrowers on 10 resources for a fixed time per round; every acquire's
//   wait is timed (two `performance.now()` reads) and recorded in a loadstone LatencyRecorder (an
//   HDR histogram), the same for every row. Rounds are interleaved with the order rotated and a
//   full GC before each run, like the harness's throughput cases.
//
// Settings: generic-pool 3.9 with its defaults (no acquire timeout) and with
// `acquireTimeoutMillis: 30_000`; tarn 3.1 with its defaults (which arm a 30 s timer per acquire);
// loadstone with its defaults (no acquire timeout, idle eviction on) and `acquireTimeoutMs: 30_000`.
// Each contended loop is its own function literal (see harness.ts on shared type feedback).
import genericPool from 'generic-pool';
import { LatencyRecorder } from 'loadstone';
import { ConnectionPoolManager } from 'loadstone/pool';
import { Pool as TarnPool } from 'tarn';
import { collectGarbage } from '../gc.js';
import { formatInt, formatRatio, formatSig, markdownTable } from '../report.js';
import { median } from '../stats.js';
import { defineSuite } from '../suite.js';

type Res = { id: number };

// Results are added into this so the optimiser cannot drop the work.
let sink = 0;
let nextId = 0;
const make = (): Res => ({ id: nextId++ });
const MAX = 10;
const BORROWERS = 100;
const TIMEOUT_MS = 30_000;

function genericPoolOf(timeout: boolean) {
  return genericPool.createPool(
    { create: async () => make(), destroy: async () => {} },
    timeout ? { max: MAX, min: 0, acquireTimeoutMillis: TIMEOUT_MS } : { max: MAX, min: 0 },
  );
}

async function closeGenericPool(pool: ReturnType<typeof genericPoolOf>): Promise<void> {
  await pool.drain();
  await pool.clear();
}

function tarnPool() {
  return new TarnPool<Res>({ create: async () => make(), destroy: async () => {}, min: 0, max: MAX });
}

function loadstonePool(timeout: boolean) {
  const manager = new ConnectionPoolManager();
  const pool = manager.register<Res>(
    'bench',
    { create: () => make() },
    timeout ? { max: MAX, acquireTimeoutMs: TIMEOUT_MS } : { max: MAX },
  );
  return { manager, pool };
}

function sequentialContenders() {
  const gp = genericPoolOf(false);
  const gpTimeout = genericPoolOf(true);
  const tarn = tarnPool();
  const ls = loadstonePool(false);
  const lsTimeout = loadstonePool(true);
  return [
    {
      name: 'generic-pool',
      anchor: true,
      op: async () => {
        const r = await gp.acquire();
        sink += r.id;
        await gp.release(r);
      },
      teardown: () => closeGenericPool(gp),
    },
    {
      name: 'generic-pool, 30 s acquire timeout',
      op: async () => {
        const r = await gpTimeout.acquire();
        sink += r.id;
        await gpTimeout.release(r);
      },
      teardown: () => closeGenericPool(gpTimeout),
    },
    {
      name: 'tarn (30 s acquire timeout)',
      op: async () => {
        const r = await tarn.acquire().promise;
        sink += r.id;
        tarn.release(r);
      },
      teardown: async () => {
        await tarn.destroy();
      },
    },
    {
      name: 'loadstone',
      target: { minRatio: 1 },
      op: async () => {
        const r = await ls.pool.acquire();
        sink += r.id;
        ls.pool.release(r);
      },
      teardown: () => ls.manager.close(),
    },
    {
      name: 'loadstone, 30 s acquire timeout',
      target: { minRatio: 1 },
      op: async () => {
        const r = await lsTimeout.pool.acquire();
        sink += r.id;
        lsTimeout.pool.release(r);
      },
      teardown: () => lsTimeout.manager.close(),
    },
    {
      name: 'loadstone, via manager.use(name, fn)',
      target: { minRatio: 1 },
      op: async () => {
        sink += await ls.manager.use('bench', (r: Res) => r.id);
      },
    },
  ];
}

/** One contended run: BORROWERS async loops until `ms` has passed; returns cycles done. */
type ContendedRun = (ms: number, waits: LatencyRecorder) => Promise<number>;

type ContendedContender = {
  readonly name: string;
  readonly anchor?: boolean;
  readonly target?: boolean;
  readonly run: ContendedRun;
  readonly teardown: () => Promise<unknown>;
  readonly resources: () => number;
};

function contendedContenders(): ContendedContender[] {
  const gp = genericPoolOf(false);
  const gpTimeout = genericPoolOf(true);
  const tarn = tarnPool();
  const ls = loadstonePool(false);
  const lsTimeout = loadstonePool(true);
  return [
    {
      name: 'generic-pool',
      anchor: true,
      resources: () => gp.size,
      teardown: () => closeGenericPool(gp),
      run: async (ms, waits) => {
        const deadline = performance.now() + ms;
        let cycles = 0;
        let stop = false;
        const borrower = async () => {
          while (!stop) {
            const t0 = performance.now();
            const r = await gp.acquire();
            const t1 = performance.now();
            waits.record(t1 - t0);
            sink += r.id;
            await gp.release(r);
            cycles++;
            if (t1 >= deadline) stop = true;
          }
        };
        await Promise.all(Array.from({ length: BORROWERS }, borrower));
        return cycles;
      },
    },
    {
      name: 'generic-pool, 30 s acquire timeout',
      resources: () => gpTimeout.size,
      teardown: () => closeGenericPool(gpTimeout),
      run: async (ms, waits) => {
        const deadline = performance.now() + ms;
        let cycles = 0;
        let stop = false;
        const borrower = async () => {
          while (!stop) {
            const t0 = performance.now();
            const r = await gpTimeout.acquire();
            const t1 = performance.now();
            waits.record(t1 - t0);
            sink += r.id;
            await gpTimeout.release(r);
            cycles++;
            if (t1 >= deadline) stop = true;
          }
        };
        await Promise.all(Array.from({ length: BORROWERS }, borrower));
        return cycles;
      },
    },
    {
      name: 'tarn (30 s acquire timeout)',
      resources: () => tarn.numUsed() + tarn.numFree(),
      teardown: () => tarn.destroy(),
      run: async (ms, waits) => {
        const deadline = performance.now() + ms;
        let cycles = 0;
        let stop = false;
        const borrower = async () => {
          while (!stop) {
            const t0 = performance.now();
            const r = await tarn.acquire().promise;
            const t1 = performance.now();
            waits.record(t1 - t0);
            sink += r.id;
            tarn.release(r);
            cycles++;
            if (t1 >= deadline) stop = true;
          }
        };
        await Promise.all(Array.from({ length: BORROWERS }, borrower));
        return cycles;
      },
    },
    {
      name: 'loadstone',
      target: true,
      resources: () => ls.pool.stats().size,
      teardown: () => ls.manager.close(),
      run: async (ms, waits) => {
        const pool = ls.pool;
        const deadline = performance.now() + ms;
        let cycles = 0;
        let stop = false;
        const borrower = async () => {
          while (!stop) {
            const t0 = performance.now();
            const r = await pool.acquire();
            const t1 = performance.now();
            waits.record(t1 - t0);
            sink += r.id;
            pool.release(r);
            cycles++;
            if (t1 >= deadline) stop = true;
          }
        };
        await Promise.all(Array.from({ length: BORROWERS }, borrower));
        return cycles;
      },
    },
    {
      name: 'loadstone, 30 s acquire timeout',
      target: true,
      resources: () => lsTimeout.pool.stats().size,
      teardown: () => lsTimeout.manager.close(),
      run: async (ms, waits) => {
        const pool = lsTimeout.pool;
        const deadline = performance.now() + ms;
        let cycles = 0;
        let stop = false;
        const borrower = async () => {
          while (!stop) {
            const t0 = performance.now();
            const r = await pool.acquire();
            const t1 = performance.now();
            waits.record(t1 - t0);
            sink += r.id;
            pool.release(r);
            cycles++;
            if (t1 >= deadline) stop = true;
          }
        };
        await Promise.all(Array.from({ length: BORROWERS }, borrower));
        return cycles;
      },
    },
  ];
}

const us = (ms: number): string => formatSig(ms * 1000);

export default defineSuite({
  name: 'pool',
  title: 'Pool: acquire/release cycles vs generic-pool and tarn',
  anchors: ['generic-pool', 'tarn'],
  async run(ctx) {
    if (ctx.selected('pool/sequential')) {
      await ctx.throughput({
        name: 'sequential',
        title: 'Pool — one borrower: `await acquire(); release(r)`, max 10, trivial resources',
        unit: 'cycles',
        contenders: sequentialContenders(),
        note:
          'One cycle in flight, so one resource is ever made. generic-pool’s `release` returns a ' +
          'promise and is awaited; tarn’s and loadstone’s are synchronous.',
      });
    }
    if (!ctx.selected('pool/contended')) return;
    const { warmupMs, roundMs, rounds } = ctx.timing;
    const contenders = contendedContenders();
    const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    const waits = new Map<string, LatencyRecorder>(contenders.map((c) => [c.name, new LatencyRecorder()]));
    for (const c of contenders) {
      ctx.log(`contended: warming up ${c.name}`);
      await c.run(warmupMs, new LatencyRecorder());
    }
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(k + round) % contenders.length] as ContendedContender;
        collectGarbage();
        const started = performance.now();
        const cycles = await c.run(roundMs, waits.get(c.name) as LatencyRecorder);
        const seconds = (performance.now() - started) / 1000;
        samples.get(c.name)?.push(cycles / seconds);
      }
      ctx.log(`contended: round ${round + 1}/${rounds}`);
    }
    const anchor = contenders.find((c) => c.anchor === true) as ContendedContender;
    const anchorOps = median(samples.get(anchor.name) as number[]);
    const anchorP99 = (waits.get(anchor.name) as LatencyRecorder).percentile(99);
    const rows = contenders.map((c) => {
      const ops = samples.get(c.name) as number[];
      const w = (waits.get(c.name) as LatencyRecorder).snapshot();
      const ratio = median(ops) / anchorOps;
      const target =
        c.target === true
          ? `${ratio >= 1 ? 'met' : 'missed'} ≥ 1× · ${w.p99Ms <= anchorP99 ? 'met' : 'missed'} p99 ≤ anchor`
          : '';
      return [
        c.name + (c.anchor === true ? ' (anchor)' : ''),
        formatInt(median(ops)),
        `${formatInt(Math.min(...ops))} – ${formatInt(Math.max(...ops))}`,
        formatRatio(ratio),
        us(w.p50Ms),
        us(w.p99Ms),
        us(w.p999Ms),
        us(w.maxMs),
        String(c.resources()),
        target,
      ];
    });
    for (const c of contenders) await c.teardown();
    ctx.report(
      'contended',
      `Pool — ${BORROWERS} borrowers on ${MAX} resources: cycles/s and acquire wait`,
      `${markdownTable(
        [
          'contender',
          'cycles/s (median)',
          'min – max',
          '× generic-pool',
          'wait p50 µs',
          'wait p99 µs',
          'wait p99.9 µs',
          'wait max µs',
          'resources',
          'target',
        ],
        rows,
      )}\n\n_${rounds} interleaved rounds of ${roundMs} ms per contender (order rotated, GC before each run); ` +
        `cycles/s: median (min – max) over rounds. Acquire wait: every acquire of every round, in µs, ` +
        `including two \`performance.now()\` reads. Targets: cycles/s ≥ 1× generic-pool and wait p99 ≤ ` +
        `generic-pool's._`,
    );
    ctx.log(`sink ${sink}`);
  },
});
