// CircuitBreaker `execute` overhead: a closed breaker around a trivial async function, against
// opossum (anchor) and cockatiel, with a bare `await fn()` row as the floor.
//
// Each contender is an async op: one call in flight, awaited and timed one at a time by the
// harness (two `performance.now()` reads and an HDR record per op, the same for every row).
// Settings, as close as the libraries allow:
// - opossum 9: `new CircuitBreaker(fn, { timeout: false })` (no timeout) or its defaults
//   (`timeout: 10_000`, errorThresholdPercentage 50 over a 10 s rolling window in 10 buckets,
//   volumeThreshold 0, resetTimeout 30 s).
// - cockatiel 3: `circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) })`;
//   with a timeout, wrapped as `wrap(timeout(10_000, TimeoutStrategy.Cooperative), breaker)`.
// - loadstone: `consecutiveFailures: 5` (cockatiel's rule: no window, so no clock read on
//   success), and `failureRatio: 0.5, windowMs: 10_000, minimumCalls: 1` (opossum's rule),
//   `openDurationMs: 30_000`; `timeoutMs: 10_000` in the timeout case.

import {
  ConsecutiveBreaker,
  circuitBreaker,
  timeout as cockatielTimeout,
  handleAll,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { CircuitBreaker } from 'loadstone/resilience';
import OpossumBreaker from 'opossum';
import type { ThroughputRow } from '../harness.js';
import { formatInt, formatRatio, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

// Results are added into this so the optimiser cannot drop the work.
let sink = 0;

const TARGET = 2;

function noTimeoutContenders() {
  const fnBare = async () => 1;
  const fnOpossum = async () => 1;
  const fnCockatiel = async () => 1;
  const fnConsecutive = async () => 1;
  const fnRatio = async () => 1;
  const opossum = new OpossumBreaker(fnOpossum, { timeout: false });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const consecutive = new CircuitBreaker({ name: 'bench', consecutiveFailures: 5, openDurationMs: 30_000 });
  const ratio = new CircuitBreaker({
    name: 'bench',
    failureRatio: 0.5,
    windowMs: 10_000,
    minimumCalls: 1,
    openDurationMs: 30_000,
  });
  return [
    {
      name: 'await fn() (no breaker)',
      op: async () => {
        sink += await fnBare();
      },
    },
    {
      name: 'opossum, timeout: false',
      anchor: true,
      op: async () => {
        sink += (await opossum.fire()) as number;
      },
      teardown: () => opossum.shutdown(),
    },
    {
      name: 'cockatiel, ConsecutiveBreaker(5)',
      op: async () => {
        sink += await cockatiel.execute(fnCockatiel);
      },
    },
    {
      name: 'loadstone, consecutiveFailures: 5',
      target: { minRatio: TARGET },
      op: async () => {
        sink += await consecutive.execute(fnConsecutive);
      },
    },
    {
      name: 'loadstone, failureRatio 0.5 / 10 s',
      target: { minRatio: TARGET },
      op: async () => {
        sink += await ratio.execute(fnRatio);
      },
    },
  ];
}

function timeoutContenders() {
  const fnOpossum = async () => 1;
  const fnCockatiel = async () => 1;
  const fnLoadstone = async () => 1;
  const opossum = new OpossumBreaker(fnOpossum, {});
  const cockatiel = wrap(
    cockatielTimeout(10_000, TimeoutStrategy.Cooperative),
    circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
  );
  const loadstone = new CircuitBreaker({
    name: 'bench',
    failureRatio: 0.5,
    windowMs: 10_000,
    minimumCalls: 1,
    openDurationMs: 30_000,
    timeoutMs: 10_000,
  });
  return [
    {
      name: 'opossum, defaults (timeout 10 s)',
      anchor: true,
      op: async () => {
        sink += (await opossum.fire()) as number;
      },
      teardown: () => opossum.shutdown(),
    },
    {
      name: 'cockatiel, timeout(10 s) + breaker',
      op: async () => {
        sink += await cockatiel.execute(fnCockatiel);
      },
    },
    {
      name: 'loadstone, failureRatio + timeoutMs 10 s',
      target: { minRatio: TARGET },
      op: async () => {
        sink += await loadstone.execute(fnLoadstone);
      },
    },
  ];
}

const nsPerOp = (row: ThroughputRow): number => 1e9 / row.opsPerSec.median;

export default defineSuite({
  name: 'breaker',
  title: 'Resilience: CircuitBreaker execute overhead vs opossum and cockatiel',
  anchors: ['opossum', 'cockatiel'],
  async run(ctx) {
    let noTimeout: ThroughputRow[] = [];
    if (ctx.selected('breaker/execute')) {
      noTimeout = await ctx.throughput({
        name: 'execute',
        title: 'CircuitBreaker — closed breaker around `async () => 1`, no per-call timeout',
        unit: 'calls',
        contenders: noTimeoutContenders(),
        note:
          'One call in flight. The ratio column is ops/s including the harness’s own per-op cost ' +
          '(the bare row is the ceiling); the overhead table below subtracts the bare row.',
      });
    }
    if (ctx.selected('breaker/execute-timeout')) {
      await ctx.throughput({
        name: 'execute-timeout',
        title: 'CircuitBreaker — closed breaker around `async () => 1`, 10 s per-call timeout',
        unit: 'calls',
        contenders: timeoutContenders(),
        note: 'Every call arms and clears a timer in all three libraries.',
      });
    }
    ctx.log(`sink ${sink}`);
    const bare = noTimeout.find((r) => r.contender.startsWith('await fn()'));
    if (bare === undefined) return;
    // Overhead per call above the bare `await fn()`, from the medians of the table above.
    const overhead = (r: ThroughputRow): number => Math.max(1, nsPerOp(r) - nsPerOp(bare));
    const find = (prefix: string) => noTimeout.find((r) => r.contender.startsWith(prefix));
    const opossum = find('opossum');
    const cockatiel = find('cockatiel');
    const rows: string[][] = [];
    for (const r of noTimeout) {
      if (r === bare) continue;
      const isLoadstone = r.contender.startsWith('loadstone');
      const vs = (other: ThroughputRow | undefined): string => {
        if (other === undefined || !isLoadstone) return '';
        const ratio = overhead(other) / overhead(r);
        return `${formatRatio(ratio)} ${ratio >= TARGET ? 'met' : 'missed'}`;
      };
      const opsVs = (other: ThroughputRow | undefined): string =>
        other === undefined || !isLoadstone ? '' : formatRatio(r.opsPerSec.median / other.opsPerSec.median);
      rows.push([
        r.contender,
        formatInt(nsPerOp(r)),
        formatInt(overhead(r)),
        vs(opossum),
        vs(cockatiel),
        opsVs(cockatiel),
      ]);
    }
    ctx.report(
      'overhead',
      'CircuitBreaker — overhead per call above `await fn()` (from the medians above)',
      `${markdownTable(
        [
          'contender',
          'ns/call',
          'overhead ns',
          `× less overhead than opossum (≥ ${TARGET}×)`,
          `× less overhead than cockatiel (≥ ${TARGET}×)`,
          'ops/s × cockatiel',
        ],
        rows,
      )}\n\n_Overhead = ns per call − ns per bare \`await fn()\` call, medians of the same run. ` +
        `An ops/s ratio of ${TARGET}× against cockatiel cannot be reached here: the bare call alone ` +
        `is only ${formatRatio(bare.opsPerSec.median / (cockatiel?.opsPerSec.median ?? Number.NaN))} cockatiel's ops/s._`,
    );
  },
});
