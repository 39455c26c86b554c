// What the balancer keeps per backend, as stats and strategies see it: the peak-EWMA latency
// (peaks, blending, decay), request latencies on the balancer's clock, and the live candidates.
import { describe, expect, it } from 'vitest';
import type { Clock, PickCandidate, Picker, PickOutcome } from '../core/index.js';
import { FakeClock } from '../testing/index.js';
import { LoadBalancer } from './LoadBalancer.js';

/** A strategy that picks the first candidate and keeps what it saw and was told. */
class RecordingPicker implements Picker {
  readonly seen: { id: string; inFlight: number; latencyMs: number | undefined }[] = [];
  readonly reports: (PickOutcome & { id: string })[] = [];
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    for (const c of candidates) this.seen.push({ id: c.id, inFlight: c.inFlight, latencyMs: c.latencyMs });
    return candidates[0];
  }
  report(candidate: PickCandidate, outcome: PickOutcome): void {
    this.reports.push({ id: candidate.id, ...outcome });
  }
}

function setup(options: { ewmaDecayMs?: number; clock?: Clock } = {}) {
  const clock = options.clock ?? new FakeClock({ startMs: 1_000 });
  const strategy = new RecordingPicker();
  const lb = new LoadBalancer({
    backends: [{ id: 'a', target: 'a', weight: 2 }],
    clock,
    strategy,
    ...options,
  });
  /** One request on `a` that takes `ms` on the fake clock. */
  const request = (ms: number, result: 'success' | 'failure' | 'cancelled' = 'success') => {
    const lease = lb.acquire();
    (clock as FakeClock).advance(ms);
    lease.release(result);
  };
  const ewma = () => lb.stats().backends[0]?.ewmaMs;
  return { clock: clock as FakeClock, lb, strategy, request, ewma };
}

describe('peak-EWMA latency', () => {
  it('is null before the first sample, then takes the first sample whole', () => {
    const { request, ewma, lb } = setup();
    expect(ewma()).toBeNull();
    expect(lb.stats().backends[0]).toMatchObject({ weight: 2, latency: { count: 0 } });
    request(40);
    expect(ewma()).toBe(40);
  });

  it('decays toward 0 while idle, by e^(−t/τ) with τ = ewmaDecayMs (default 10 s)', () => {
    const { clock, request, ewma } = setup();
    request(100);
    clock.advance(10_000);
    expect(ewma()).toBeCloseTo(100 * Math.exp(-1), 9);
    const fast = setup({ ewmaDecayMs: 1_000 });
    fast.request(100);
    fast.clock.advance(2_000);
    expect(fast.ewma()).toBeCloseTo(100 * Math.exp(-2), 9);
  });

  it('blends a lower sample in by the time since the last one, and a peak replaces it', () => {
    const { clock, request, ewma } = setup({ ewmaDecayMs: 1_000 });
    request(100); // ends at t = 1100
    clock.advance(900);
    // The pick at t = 2000 reads the estimate (decaying it to 100 e^(−0.9)); the 10 ms sample at
    // t = 2010, below it, is blended in with weight 1 − e^(−10/τ).
    request(10);
    const w = Math.exp(-0.01);
    expect(ewma()).toBeCloseTo(100 * Math.exp(-0.9) * w + 10 * (1 - w), 9);
    request(500);
    expect(ewma()).toBe(500);
  });

  it('leaves cancelled requests out, and counts failures', () => {
    const { request, ewma, lb } = setup();
    request(30, 'cancelled');
    expect(ewma()).toBeNull();
    request(20, 'failure');
    expect(ewma()).toBe(20);
    expect(lb.stats().backends[0]?.latency).toMatchObject({ count: 1 });
  });

  it('is not inflated, nor a latency made negative, by a clock that steps back', () => {
    let now = 5_000;
    const clock = { now: () => now, advance: (ms: number) => (now += ms) };
    const { lb, ewma } = setup({ clock: clock as unknown as FakeClock });
    const lease = lb.acquire();
    now += 100;
    lease.release();
    expect(ewma()).toBe(100);
    now -= 1_000; // out of contract: a Clock is monotonic
    expect(ewma()).toBe(100);
    const back = lb.acquire();
    now -= 50;
    back.release('failure');
    expect(lb.stats().backends[0]?.latency).toMatchObject({ count: 2, minMs: 0 });
  });
});

describe('what strategies see and are told', () => {
  it('live load and latency on each candidate', () => {
    const { lb, strategy, clock } = setup({ ewmaDecayMs: 1_000 });
    const lease = lb.acquire();
    lb.pick();
    clock.advance(60);
    lease.release();
    lb.pick();
    expect(strategy.seen).toEqual([
      { id: 'a', inFlight: 0, latencyMs: undefined },
      { id: 'a', inFlight: 1, latencyMs: undefined },
      { id: 'a', inFlight: 0, latencyMs: 60 },
    ]);
  });

  it('each outcome with its latency, measured on the clock from acquire to release', () => {
    const { request, strategy } = setup();
    request(25);
    request(35, 'failure');
    request(45, 'cancelled');
    expect(strategy.reports).toEqual([
      { id: 'a', result: 'success', latencyMs: 25 },
      { id: 'a', result: 'failure', latencyMs: 35 },
      { id: 'a', result: 'cancelled', latencyMs: 45 },
    ]);
  });
});
