import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';

// Mapping of the references' conventions onto ours:
// - quota `max_burst: 4, max_rate: per_second(1)` (redis-cell) / `MaxBurst: 4, MaxRate: PerSec(1)`
//   (throttled) is `{ limit: 1, periodMs: 1000, burst: 5 }`: our `burst` is the number allowed at
//   once, their `max_burst + 1` (their result's `limit`, 5).
// - `volume` is our `cost`; `limited` is `!allowed`; `remaining` and `limit` are the same numbers.
// - `reset_after` / `ResetAfter` is our `resetMs`, in ms instead of a Duration.
// - `retry_after` / `RetryAfter` is -1 whenever not limited, and -1 also when limited by a volume
//   that can never fit (case 0). Ours is `retryAfterMs`: 0 when allowed, `Infinity` when it can
//   never fit, so a -1 maps to `0` on allowed rows and to `Infinity` on limited ones.
// - their clock is `start + offset`; ours is a FakeClock at `offset` ms.
type Row = readonly [
  num: number,
  offsetMs: number,
  volume: number,
  remaining: number,
  resetMs: number,
  retryMs: number,
  limited: boolean,
];

// brandur/redis-cell, redis-cell-impl/src/lib.rs (earlier src/cell/mod.rs), test `it_rate_limits`:
// (test case #, now, volume, remaining, reset_after, retry_after, limited), durations in ms.
const REDIS_CELL_IT_RATE_LIMITS: readonly Row[] = [
  // You can never make a request larger than the maximum.
  [0, 0, 6, 5, 0, -1, true],
  // Rate limit normal requests appropriately.
  [1, 0, 1, 4, 1000, -1, false],
  [2, 0, 1, 3, 2000, -1, false],
  [3, 0, 1, 2, 3000, -1, false],
  [4, 0, 1, 1, 4000, -1, false],
  [5, 0, 1, 0, 5000, -1, false],
  [6, 0, 1, 0, 5000, 1000, true],
  [7, 3000, 1, 2, 3000, -1, false],
  [8, 3100, 1, 1, 3900, -1, false],
  [9, 4000, 1, 1, 4000, -1, false],
  [10, 8000, 1, 4, 1000, -1, false],
  [11, 9500, 1, 4, 1000, -1, false],
  // Zero-volume request just peeks at the state.
  [12, 9500, 0, 4, 1000, -1, false],
  // High-volume request uses up more of the limit.
  [13, 9500, 2, 2, 3000, -1, false],
  // Large requests cannot exceed limits
  [14, 9500, 5, 2, 3000, 3000, true],
];

// throttled/throttled, rate_test.go, `TestRateLimit` (v2): {now, volume, remaining, reset,
// retry, limited}; the same 15 cases as redis-cell plus case 15.
const THROTTLED_TEST_RATE_LIMIT: readonly Row[] = [
  ...REDIS_CELL_IT_RATE_LIMITS,
  // Requesting value larger than the maximum after some values have been added to store and
  // state was reset by timeout
  [15, 15000, 6, 5, 0, -1, true],
];

function runTable(rows: readonly Row[]): void {
  const clock = new FakeClock();
  const limiter = new RateLimiter({
    algorithm: 'gcra',
    limit: 1,
    periodMs: 1000,
    burst: 5,
    clock,
    store: new MemoryRateLimitStore(),
  });
  it.each(rows.map((row) => [row[0], row] as const))('case %i', async (_num, row) => {
    const [, offsetMs, volume, remaining, resetMs, retryMs, limited] = row;
    clock.set(offsetMs);
    const result = await limiter.limit('foo', { cost: volume });
    expect({
      limited: !result.allowed,
      limit: result.limit,
      remaining: result.remaining,
      resetMs: result.resetMs,
      retryAfterMs: result.retryAfterMs,
    }).toEqual({
      limited,
      limit: 5,
      remaining,
      resetMs,
      retryAfterMs: retryMs === -1 ? (limited ? Number.POSITIVE_INFINITY : 0) : retryMs,
    });
  });
}

// Cases run in order against one limiter: each depends on the state the previous ones left.
describe.sequential('GCRA reproduces redis-cell `it_rate_limits`', () => {
  runTable(REDIS_CELL_IT_RATE_LIMITS);
});

describe.sequential('GCRA reproduces throttled `TestRateLimit`', () => {
  runTable(THROTTLED_TEST_RATE_LIMIT);
});

describe('GCRA, throttled `TestRateLimitCustomPeriod`', () => {
  // throttled/throttled, rate_test.go: PerDuration(3, 10ms) with MaxBurst 0 limits every call
  // made sooner than 10/3 ms after the last allowed one. There it sleeps; here the clock moves.
  it('allows one call per emission interval with burst 1, at a non-integer interval', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ limit: 3, periodMs: 10, burst: 1, clock });
    const allowedAt: number[] = [];
    for (let step = 0; step < 300; step++) {
      const nowMs = step / 9; // 0.111 ms steps: 30 steps per emission interval
      clock.set(nowMs);
      if ((await limiter.limit('bar')).allowed) allowedAt.push(nowMs);
    }
    // Exactly every 10/3 ms despite float error: 0, 3.333…, 6.666…, …
    expect(allowedAt.length).toBe(10);
    allowedAt.forEach((t, i) => {
      expect(t).toBeCloseTo((i * 10) / 3, 9);
    });
  });

  it('allows exactly `burst` at once when the interval is not exact (3 per second)', async () => {
    const limiter = new RateLimiter({ limit: 3, periodMs: 1000, clock: new FakeClock() });
    const results = await Promise.all([1, 2, 3, 4].map(() => limiter.limit('k')));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.retryAfterMs).toBe(334); // 333.33… rounded up
  });
});
