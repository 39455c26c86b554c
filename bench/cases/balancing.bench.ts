// LoadBalancer strategies in a discrete-event simulation: tail latency with one slow backend.
//
// No timers, no network: a virtual clock (the balancer's `clock`) jumps from event to event.
// 10 backends; 9 serve a request in an exponentially distributed time with mean 10 ms, the
// tenth with mean 100 ms (10× slower). Each backend is a FIFO queue in front of a fixed number of
// slots (finite concurrency): 4 for a fast backend, 40 for the slow one, so all ten have the
// same capacity (400 requests/s) and the slow one is slow because each request waits longer on
// it (a degraded disk, a slow dependency), not because it has less room. Requests arrive as a
// Poisson stream at 65 % of the total capacity (2,600/s), so queueing matters. A request's
// latency is its completion minus its arrival (queueing included), and that is also what the
// balancer records for it (its `run`/`acquire` latency), so the peak EWMA sees queueing.
//
// Seeded PRNGs; arrivals, service demands (unit exponentials scaled by the chosen backend's
// mean) and keys (10,000 users) are generated once and shared by every strategy (common random
// numbers), so the rows differ only by strategy. The first 5 % of requests are a warm-up and
// not recorded. `--quick` simulates 10 s instead of 30 s.
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import type { Picker } from 'loadstone';
import type { BackendCandidate, BackendLease } from 'loadstone/balancing';
import {
  BoundedLoadHashPicker,
  ConsistentHashPicker,
  LeastConnectionsPicker,
  LoadBalancer,
  PeakEwmaPicker,
  PowerOfTwoPicker,
  RandomPicker,
  RoundRobinPicker,
  WeightedRandomPicker,
  WeightedRoundRobinPicker,
} from 'loadstone/balancing';
import { seededRandom } from 'loadstone/testing';
import { EventHeap } from '../eventHeap.js';
import { formatFixed, formatRatio, formatSig, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

const FAST_MEAN_MS = 10;
const SLOW_MEAN_MS = 100;
const FAST_SLOTS = 4;
const SLOW_SLOTS = 40;
const BACKENDS = 10;
const CAPACITY_PER_S =
  (BACKENDS - 1) * ((FAST_SLOTS * 1000) / FAST_MEAN_MS) + (SLOW_SLOTS * 1000) / SLOW_MEAN_MS;
const LOAD = 0.65;
const RATE_PER_MS = (LOAD * CAPACITY_PER_S) / 1000;
const USERS = 10_000;
const WARMUP_SHARE = 0.05;
const SEED = 0x10ad_ba1a;
const DURATION_S = { full: 30, quick: 10 } as const;
const TARGET_RATIO = 0.5;

const exponential = (random: () => number): number => -Math.log(1 - random());

type Workload = {
  readonly arrivals: Float64Array; // ms
  readonly demands: Float64Array; // unit exponentials
  readonly keys: Uint32Array;
};

function makeWorkload(durationMs: number): Workload {
  const random = seededRandom(SEED);
  const times: number[] = [];
  for (let t = exponential(random) / RATE_PER_MS; t < durationMs; t += exponential(random) / RATE_PER_MS)
    times.push(t);
  const demands = new Float64Array(times.length);
  const keys = new Uint32Array(times.length);
  for (let i = 0; i < times.length; i++) {
    demands[i] = exponential(random);
    keys[i] = Math.floor(random() * USERS);
  }
  return { arrivals: Float64Array.from(times), demands, keys };
}

const STRATEGIES: readonly { name: string; make: () => Picker<BackendCandidate<number>> }[] = [
  { name: 'round-robin', make: () => new RoundRobinPicker() },
  { name: 'smooth weighted round-robin', make: () => new WeightedRoundRobinPicker() },
  { name: 'random', make: () => new RandomPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'weighted random', make: () => new WeightedRandomPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'least connections', make: () => new LeastConnectionsPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'power of two choices', make: () => new PowerOfTwoPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'peak-EWMA P2C', make: () => new PeakEwmaPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'consistent hash', make: () => new ConsistentHashPicker() },
  { name: 'bounded-load hash (ε 0.25)', make: () => new BoundedLoadHashPicker({ epsilon: 0.25 }) },
];

type Completion = { at: number; arrival: number; backend: number; lease: BackendLease<number> };
type Waiting = { arrival: number; demand: number; lease: BackendLease<number> };

type Result = { name: string; histogram: Histogram; slowShare: number; slowUtilisation: number };

function simulate(
  name: string,
  strategy: Picker<BackendCandidate<number>>,
  work: Workload,
  durationMs: number,
): Result {
  let now = 0;
  const means = Array.from({ length: BACKENDS }, (_, i) =>
    i === BACKENDS - 1 ? SLOW_MEAN_MS : FAST_MEAN_MS,
  );
  const slots = means.map((m) => (m === SLOW_MEAN_MS ? SLOW_SLOTS : FAST_SLOTS));
  const lb = new LoadBalancer<number>({
    backends: means.map((_, i) => ({ id: `b${i}`, target: i })),
    strategy,
    outlierDetection: false,
    clock: { now: () => now },
  });
  const busy = new Array<number>(BACKENDS).fill(0);
  const busyTime = new Array<number>(BACKENDS).fill(0);
  const queues: Waiting[][] = means.map(() => []);
  const heads = new Array<number>(BACKENDS).fill(0);
  const picked = new Array<number>(BACKENDS).fill(0);
  const events = new EventHeap<Completion>();
  const histogram = buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const warmupEnd = work.arrivals[Math.floor(work.arrivals.length * WARMUP_SHARE)] ?? 0;

  const start = (backend: number, arrival: number, demand: number, lease: BackendLease<number>): void => {
    const service = demand * (means[backend] as number);
    busyTime[backend] = (busyTime[backend] as number) + service;
    events.push({ at: now + service, arrival, backend, lease });
  };
  const complete = (c: Completion): void => {
    now = c.at;
    c.lease.release('success');
    if (c.arrival >= warmupEnd) histogram.recordValue(Math.max(1, Math.round((c.at - c.arrival) * 1000)));
    const queue = queues[c.backend] as Waiting[];
    const head = heads[c.backend] as number;
    if (head < queue.length) {
      const next = queue[head] as Waiting;
      heads[c.backend] = head + 1;
      if (head + 1 > 1024 && head + 1 > queue.length / 2) {
        queue.splice(0, head + 1);
        heads[c.backend] = 0;
      }
      start(c.backend, next.arrival, next.demand, next.lease);
    } else {
      busy[c.backend] = (busy[c.backend] as number) - 1;
    }
  };

  for (let i = 0; i < work.arrivals.length; i++) {
    const arrival = work.arrivals[i] as number;
    while ((events.peek()?.at ?? Number.POSITIVE_INFINITY) <= arrival) complete(events.pop() as Completion);
    now = arrival;
    const lease = lb.acquire({ key: work.keys[i] as number });
    const backend = lease.backend.target;
    picked[backend] = (picked[backend] as number) + 1;
    if ((busy[backend] as number) < (slots[backend] as number)) {
      busy[backend] = (busy[backend] as number) + 1;
      start(backend, arrival, work.demands[i] as number, lease);
    } else {
      (queues[backend] as Waiting[]).push({ arrival, demand: work.demands[i] as number, lease });
    }
  }
  while (events.size > 0) complete(events.pop() as Completion);
  const slow = BACKENDS - 1;
  return {
    name,
    histogram,
    slowShare: (picked[slow] as number) / work.arrivals.length,
    slowUtilisation: (busyTime[slow] as number) / (SLOW_SLOTS * durationMs),
  };
}

const ms = (histogram: Histogram, p: number): number => histogram.getValueAtPercentile(p) / 1000;

export default defineSuite({
  name: 'balancing',
  title: 'Load balancing: tail latency with one slow backend (simulation)',
  anchors: [],
  async run(ctx) {
    if (!ctx.selected('slow-backend')) return;
    const durationMs = DURATION_S[ctx.quick ? 'quick' : 'full'] * 1000;
    const work = makeWorkload(durationMs);
    ctx.log(`slow-backend: ${work.arrivals.length} requests over ${durationMs / 1000} virtual s`);
    const results: Result[] = [];
    for (const s of STRATEGIES) {
      const started = performance.now();
      results.push(simulate(s.name, s.make(), work, durationMs));
      ctx.log(`slow-backend: ${s.name} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    }
    const rr = results.find((r) => r.name === 'round-robin') as Result;
    const ewma = results.find((r) => r.name === 'peak-EWMA P2C') as Result;
    const rows = results.map((r) => [
      r.name === 'peak-EWMA P2C' ? `**${r.name}**` : r.name,
      formatSig(ms(r.histogram, 50)),
      formatSig(ms(r.histogram, 99)),
      formatSig(ms(r.histogram, 99.9)),
      `${formatFixed(r.slowShare * 100, 2)} %`,
      `${formatFixed(r.slowUtilisation * 100, 0)} %`,
      formatRatio(ms(r.histogram, 99) / ms(rr.histogram, 99)),
    ]);
    const ratio = ms(ewma.histogram, 99) / ms(rr.histogram, 99);
    const met = ratio <= TARGET_RATIO;
    ctx.report(
      'slow-backend',
      'Latency per strategy, 10 backends, one 10× slower, 65 % load',
      `${markdownTable(
        [
          'strategy',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'to the slow backend',
          'slow backend busy',
          'p99 × round-robin',
        ],
        rows,
      )}\n\n` +
        `**Target** peak-EWMA P2C p99 ≤ ${TARGET_RATIO}× round-robin p99: ${formatRatio(ratio)} ` +
        `(${formatSig(ms(ewma.histogram, 99))} ms vs ${formatSig(ms(rr.histogram, 99))} ms), **${met ? 'met' : 'NOT met'}**.\n\n` +
        `_Discrete-event simulation, virtual clock: ${formatFixed(work.arrivals.length, 0)} requests (Poisson, ` +
        `${formatFixed(RATE_PER_MS * 1000, 0)}/s = ${LOAD * 100} % of capacity) over ${durationMs / 1000} virtual s, first ` +
        `${WARMUP_SHARE * 100} % not recorded. 9 backends: 4 slots, exponential service with mean ${FAST_MEAN_MS} ms; ` +
        `1 backend: ${SLOW_SLOTS} slots, mean ${SLOW_MEAN_MS} ms (same capacity, 10× the latency); FIFO queue in front of ` +
        `the slots. Latency = completion − arrival, queueing included. Keys for the hash strategies: ${USERS.toLocaleString('en-US')} ` +
        'users, uniform. Seeded; same arrivals and service demands for every strategy._',
    );
    for (const r of results) r.histogram.destroy();
  },
});
