// Throughput harness: runs a case's contenders interleaved and reports ops/s, ratio to the anchor
// and per-operation latency percentiles.
//
// A case has contenders; exactly one is the anchor (the package loadstone is measured against) and
// every other row is reported as a ratio to it. A synchronous contender is a function that performs
// a *batch* of `n` operations, so the timer (~30 ns per `performance.now()`) does not dominate
// sub-microsecond operations; an async contender is one operation returning a promise, and is
// awaited and timed one operation at a time.
//
// Method (same on every case, so tables are comparable within a run; measure.ts has the code):
// 1. `setup()` of every contender (build structures here: construction is never timed).
// 2. Warm-up: each contender runs for `warmupMs`; a synchronous contender's batch size is sized
//    from the warm-up so that one batch lasts about `targetBatchUs`.
// 3. `rounds` rounds; each runs every contender for `roundMs`, with a full GC before each run and
//    the contender order rotated by one every round. Drift on a shared VM (other tenants, CPU
//    boost, a neighbour's build) then lands on all contenders instead of on whoever ran last.
// 4. ops/s of a contender = median over rounds (min–max shown); ratio = median ÷ the anchor's
//    median, with the range of the per-round ratios (contender and anchor measured in the same round).
// 5. Latency: every batch's duration ÷ its size is recorded in an HDR histogram (weighted by the
//    batch size) across all rounds; percentiles are in **nanoseconds per operation**. For batched
//    contenders this is the per-batch mean, so one slow operation inside a batch is smoothed out
//    (p99.9 shows GC pauses and noisy neighbours, not single-op outliers). Async contenders are
//    recorded per operation.
//
// Isolated cases (`isolate`, see isolate.ts) run each contender in its own child process, which
// does the contender's setup and warm-up and then one timed run per round when the parent asks:
// the rounds stay interleaved and rotated, one process runs at a time, and the parent collects
// ops/s per round and, at the end, each child's histogram.
//
// Writing contenders: give each contender its *own* loop written as a separate function literal.
// Closures created from one literal share V8's type feedback, so a shared `makeLoop(impl)` factory
// makes the call site polymorphic and slows every contender that uses it, depending on which
// others ran before. Consume each result (e.g. add a length into a sink) so the optimiser cannot
// drop the work.
import type { Contender, Target, TimingProfile } from './contender.js';
import { collectGarbage } from './gc.js';
import { ChildContender, type IsolateOptions } from './isolate.js';
import { type ContenderState, contenderState, TICKS_PER_NS, timedRun, warmUp } from './measure.js';
import { median, type Summary, summarize } from './stats.js';

/** A throughput comparison. */
export type ThroughputCase = {
  /** Short id, the second part of the `--filter` path (`<suite>/<name>`). */
  readonly name: string;
  /** Heading of the table. */
  readonly title: string;
  /** Plural noun for one operation, used in the column header (`lookups/s`). @default 'ops' */
  readonly unit?: string;
  /** Markdown printed under the table: workload, caveats. */
  readonly note?: string;
  readonly contenders: readonly Contender[];
  /** Overrides of the run's timing profile for this case. */
  readonly timing?: Partial<TimingProfile>;
  /**
   * Measure each contender in its own child process (warmed up once, then one timed run per
   * round), built by the factory this names; `contenders` then only supplies names, anchor, targets and kind, and their `setup` is
   * not called in this process. Use it when contenders would share a library call site that
   * dispatches on a strategy. Default: all contenders in this process.
   */
  readonly isolate?: IsolateOptions;
};

/** Latency percentiles, in nanoseconds per operation. */
export type LatencyNs = {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
};

/** Result of a {@link Target} check. */
export type TargetResult = {
  /** e.g. `≥ 15× anchor` or `≥ 10,000,000/s`. */
  readonly text: string;
  readonly met: boolean;
};

/** Measured result of one contender; what the markdown table is made of. */
export type ThroughputRow = {
  readonly case: string;
  readonly contender: string;
  readonly anchor: boolean;
  readonly kind: 'batch' | 'async';
  /** Measured in child processes (`isolate`). */
  readonly isolated: boolean;
  /** Operations per timed batch (1 for async contenders). */
  readonly batchSize: number;
  /** ops/s: median, min and max over rounds. */
  readonly opsPerSec: Summary;
  /** ops/s of each round, in round order. */
  readonly roundsOpsPerSec: readonly number[];
  /** Median ops/s ÷ the anchor's median ops/s (1 for the anchor; `undefined` if the anchor was filtered out). */
  readonly ratio: number | undefined;
  /** Min and max of the per-round ratios. */
  readonly ratioRange: { readonly min: number; readonly max: number } | undefined;
  readonly latencyNs: LatencyNs;
  readonly totalOps: number;
  readonly target: TargetResult | undefined;
};

/** Options of {@link runThroughput}. */
export type RunThroughputOptions = {
  readonly timing: TimingProfile;
  /** Progress messages (to stderr by default). */
  readonly log?: (message: string) => void;
  /** Run cases that ask for `isolate` in this process anyway (`--in-process`). @default false */
  readonly inProcess?: boolean;
};

/**
 * Runs a throughput case: setup, warm-up, interleaved rounds with GC between runs, teardown; each
 * contender in its own child process when the case asks for `isolate`.
 *
 * @param c - the case; contenders may already be filtered, but at most one may be the anchor.
 * @returns one row per contender, in the case's contender order.
 * @throws Error when more than one contender is marked `anchor`, when an isolated case has two
 *   contenders of one name, or when a child process fails.
 */
export async function runThroughput(
  c: ThroughputCase,
  options: RunThroughputOptions,
): Promise<ThroughputRow[]> {
  const timing: TimingProfile = { ...options.timing, ...c.timing };
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const anchors = c.contenders.filter((x) => x.anchor === true);
  if (anchors.length > 1) throw new Error(`bench case ${c.name}: more than one anchor`);
  const isolate = options.inProcess === true ? undefined : c.isolate;
  const states = c.contenders.map((contender) => contenderState(contender));

  if (isolate === undefined) await runInProcess(c.name, states, timing, log);
  else await runIsolated(c.name, isolate, states, timing, log);

  const anchor = states.find((s) => s.contender.anchor === true);
  const anchorMedian = anchor === undefined ? undefined : median(anchor.rounds);
  return states.map((s): ThroughputRow => {
    const opsPerSec = summarize(s.rounds);
    const ratio = anchorMedian === undefined ? undefined : opsPerSec.median / anchorMedian;
    const perRound =
      anchor === undefined ? undefined : s.rounds.map((ops, i) => ops / (anchor.rounds[i] as number));
    const h = s.histogram;
    const latencyNs: LatencyNs = {
      p50: h.getValueAtPercentile(50) / TICKS_PER_NS,
      p99: h.getValueAtPercentile(99) / TICKS_PER_NS,
      p999: h.getValueAtPercentile(99.9) / TICKS_PER_NS,
      max: h.maxValue / TICKS_PER_NS,
    };
    h.destroy();
    return {
      case: c.name,
      contender: s.contender.name,
      anchor: s.contender.anchor === true,
      kind: 'batch' in s.contender ? 'batch' : 'async',
      isolated: isolate !== undefined,
      batchSize: s.batchSize,
      opsPerSec,
      roundsOpsPerSec: s.rounds,
      ratio,
      ratioRange:
        perRound === undefined ? undefined : { min: Math.min(...perRound), max: Math.max(...perRound) },
      latencyNs,
      totalOps: s.totalOps,
      target: checkTarget(s.contender.target, opsPerSec.median, ratio),
    };
  });
}

function checkTarget(
  target: Target | undefined,
  opsPerSec: number,
  ratio: number | undefined,
): TargetResult | undefined {
  if (target === undefined) return undefined;
  const parts: string[] = [];
  let met = true;
  if (target.minRatio !== undefined) {
    parts.push(`≥ ${target.minRatio}× anchor`);
    met &&= ratio !== undefined && ratio >= target.minRatio;
  }
  if (target.minOpsPerSec !== undefined) {
    parts.push(`≥ ${Math.round(target.minOpsPerSec).toLocaleString('en-US')}/s`);
    met &&= opsPerSec >= target.minOpsPerSec;
  }
  return { text: parts.join(', '), met };
}

/** Steps 1–3 of the method with every contender in this process. */
async function runInProcess(
  name: string,
  states: readonly ContenderState[],
  timing: TimingProfile,
  log: (message: string) => void,
): Promise<void> {
  try {
    for (const s of states) await s.contender.setup?.();
    for (const s of states) {
      log(`  ${name}: warm-up ${s.contender.name}`);
      collectGarbage();
      await warmUp(s, timing);
    }
    for (let round = 0; round < timing.rounds; round++) {
      log(`  ${name}: round ${round + 1}/${timing.rounds}`);
      for (let k = 0; k < states.length; k++) {
        const s = states[(k + round) % states.length] as ContenderState;
        collectGarbage();
        await timedRun(s, timing.roundMs);
      }
    }
  } finally {
    for (const s of states) await s.contender.teardown?.();
  }
}

/** Steps 1–3 of the method with each contender in its own child process (see isolate.ts). */
async function runIsolated(
  name: string,
  isolate: IsolateOptions,
  states: readonly ContenderState[],
  timing: TimingProfile,
  log: (message: string) => void,
): Promise<void> {
  const names = new Set(states.map((s) => s.contender.name));
  if (names.size !== states.length) throw new Error(`bench case ${name}: duplicate contender names`);
  const children: ChildContender[] = [];
  try {
    for (const s of states) {
      log(`  ${name}: warm-up ${s.contender.name} (child process)`);
      children.push(await ChildContender.start(s, isolate, timing));
    }
    for (let round = 0; round < timing.rounds; round++) {
      log(`  ${name}: round ${round + 1}/${timing.rounds}`);
      for (let k = 0; k < children.length; k++)
        await (children[(k + round) % children.length] as ChildContender).run();
    }
    for (const child of children) await child.finish();
  } finally {
    for (const child of children) child.kill();
  }
}
