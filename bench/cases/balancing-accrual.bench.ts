// LoadBalancer failure accrual (#18) in a discrete-event simulation (virtual clock, seeded): 10
// backends, one answering in 1 ms and failing 30 % of its calls, nine answering in 5 to 15 ms
// (uniform) and never failing; one request every millisecond for 60 virtual seconds (20 with
// `--quick`), no retries, no queueing (each backend takes every request at once). Per strategy,
// with its defaults (outlier detection on) and with `failureAccrual: true`: the failing backend's
// share of the requests after the first second and the share of requests that succeed. Target (#18): with accrual, <= 1.5 % to the failing backend and >= 99.5 % succeed.
import type { Picker } from 'loadstone';
import type { BackendCandidate, BackendLease } from 'loadstone/balancing';
import {
  LeastConnectionsPicker,
  LoadBalancer,
  PeakEwmaPicker,
  PowerOfTwoPicker,
  RoundRobinPicker,
} from 'loadstone/balancing';
import { seededRandom } from 'loadstone/testing';
import { EventHeap } from '../eventHeap.js';
import { formatFixed, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

const BACKENDS = 10;
const FAILING = 0;
const FAILURE_RATE = 0.3;
const SEED = 0xacc2_0a1;
const DURATION_S = { full: 60, quick: 20 } as const;
const TARGET_SHARE = 0.015;
const TARGET_SUCCESS = 0.995;

const STRATEGIES: readonly { name: string; make: () => Picker<BackendCandidate<number>> }[] = [
  { name: 'peak-EWMA P2C', make: () => new PeakEwmaPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'round-robin', make: () => new RoundRobinPicker() },
  { name: 'least connections', make: () => new LeastConnectionsPicker({ random: seededRandom(SEED + 1) }) },
  { name: 'power of two choices', make: () => new PowerOfTwoPicker({ random: seededRandom(SEED + 1) }) },
];

type Completion = { at: number; failed: boolean; lease: BackendLease<number> };
type Result = { name: string; accrual: boolean; failingShare: number; success: number };

function simulate(
  name: string,
  strategy: Picker<BackendCandidate<number>>,
  accrual: boolean,
  durationMs: number,
): Result {
  let now = 0;
  const random = seededRandom(SEED); // the same draws for every configuration
  const lb = new LoadBalancer<number>({
    backends: Array.from({ length: BACKENDS }, (_, i) => ({ id: `b${i}`, target: i })),
    strategy,
    failureAccrual: accrual,
    clock: { now: () => now },
  });
  const events = new EventHeap<Completion>();
  let measured = 0;
  let toFailing = 0;
  let succeeded = 0;
  let requests = 0;
  for (let t = 0; t < durationMs; t++) {
    while ((events.peek()?.at ?? Number.POSITIVE_INFINITY) <= t) {
      const done = events.pop() as Completion;
      now = done.at;
      done.lease.release(done.failed ? 'failure' : 'success');
    }
    now = t;
    const draw = random();
    const jitter = random();
    requests++;
    let lease: BackendLease<number>;
    try {
      lease = lb.acquire();
    } catch {
      continue; // no backend up: a failed request
    }
    const failing = lease.backend.target === FAILING;
    const failed = failing && draw < FAILURE_RATE;
    const latencyMs = failing ? 1 : 5 + 10 * jitter;
    events.push({ at: t + latencyMs, failed, lease });
    if (!failed) succeeded++;
    if (t >= 1_000) {
      measured++;
      if (failing) toFailing++;
    }
  }
  return { name, accrual, failingShare: toFailing / measured, success: succeeded / requests };
}

export default defineSuite({
  name: 'balancing-accrual',
  title: 'Load balancing: one backend failing fast (failure accrual, simulation)',
  anchors: [],
  async run(ctx) {
    if (!ctx.selected('failing-backend')) return;
    const durationMs = DURATION_S[ctx.quick ? 'quick' : 'full'] * 1000;
    const results: Result[] = [];
    for (const s of STRATEGIES) {
      for (const accrual of [false, true]) results.push(simulate(s.name, s.make(), accrual, durationMs));
    }
    const withAccrual = results.filter((r) => r.accrual);
    const met = withAccrual.every((r) => r.failingShare <= TARGET_SHARE && r.success >= TARGET_SUCCESS);
    const rows = results.map((r) => [
      r.accrual ? `**${r.name} + failureAccrual**` : `${r.name} (outlier detection only)`,
      `${formatFixed(r.failingShare * 100, 2)} %`,
      `${formatFixed(r.success * 100, 2)} %`,
    ]);
    ctx.report(
      'failing-backend',
      'One backend answering in 1 ms and failing 30 % of its calls, 10 backends',
      `${markdownTable(['strategy', 'to the failing backend (after 1 s)', 'requests that succeed'], rows, ['l', 'r', 'r'])}\n\n` +
        `**Target** (#18) with failure accrual: <= ${TARGET_SHARE * 100} % of requests to the failing backend after the first second and >= ${TARGET_SUCCESS * 100} % succeed, for every strategy: **${met ? 'met' : 'NOT met'}**.\n\n` +
        `_Discrete-event simulation, virtual clock: a request every ms for ${durationMs / 1000} virtual s, no retries; the failing backend answers in 1 ms and fails 30 % of its calls, the nine others answer in 5–15 ms (uniform) and never fail. Default options otherwise (outlier detection: 5 failures in a row; failure accrual: open at 20 % failures over 30 s with 20 calls, or 5 in a row, for 5 s; failures cost 100 ms in the peak EWMA). Seeded; the same draws for every row._`,
    );
  },
});
