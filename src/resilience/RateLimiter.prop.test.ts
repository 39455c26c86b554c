import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';

const params = { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true };

const config = fc.record({
  limit: fc.integer({ min: 1, max: 20 }),
  periodMs: fc.integer({ min: 1, max: 5000 }),
  burst: fc.integer({ min: 1, max: 30 }),
});

/** Arrivals: a gap (as a fraction of the emission interval, often 0) and a cost, often 1. */
const arrivals = fc.array(
  fc.record({
    gap: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true })),
    cost: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 32 })),
  }),
  { minLength: 1, maxLength: 120 },
);

describe('memory GCRA properties', () => {
  it('never allows more than burst + rate·t cost in any interval of length t', async () => {
    await fc.assert(
      fc.asyncProperty(config, arrivals, async ({ limit, periodMs, burst }, events) => {
        const clock = new FakeClock({ startMs: 1e6 });
        const limiter = new RateLimiter({ limit, periodMs, burst, clock, store: new MemoryRateLimitStore() });
        const interval = periodMs / limit;
        const allowed: { t: number; cost: number }[] = [];
        for (const { gap, cost } of events) {
          clock.advance(gap * interval);
          const result = await limiter.limit('k', { cost });
          expect(result.remaining).toBeGreaterThanOrEqual(0);
          expect(result.remaining).toBeLessThanOrEqual(burst);
          if (result.allowed && cost > 0) allowed.push({ t: clock.now(), cost });
        }
        for (let i = 0; i < allowed.length; i++) {
          let sum = 0;
          for (let j = i; j < allowed.length; j++) {
            sum += (allowed[j] as { cost: number }).cost;
            const t = (allowed[j] as { t: number }).t - (allowed[i] as { t: number }).t;
            // Float slack: the limiter tolerates min(1e-4 ms, T/100) of rounding.
            expect(sum).toBeLessThanOrEqual(burst + (t + 1e-4) / interval);
          }
        }
      }),
      params,
    );
  });

  it('remaining and retryAfterMs tell the truth', async () => {
    await fc.assert(
      fc.asyncProperty(config, arrivals, async ({ limit, periodMs, burst }, events) => {
        const clock = new FakeClock({ startMs: 1e6 });
        const limiter = new RateLimiter({ limit, periodMs, burst, clock });
        for (const { gap, cost } of events) {
          clock.advance(gap * (periodMs / limit));
          const result = await limiter.limit('k', { cost });
          if (result.allowed) {
            if (result.remaining > 0) {
              // `remaining` more fit right now…
              const peek = await limiter.limit('k', { cost: result.remaining });
              expect(peek.allowed).toBe(true);
              // …and then nothing (a whole unit) more.
              const over = await limiter.limit('k', { cost: 1 });
              expect(over.allowed).toBe(false);
            }
          } else if (Number.isFinite(result.retryAfterMs)) {
            // Denied: still denied just before retryAfterMs, allowed at it.
            if (result.retryAfterMs >= 1) {
              clock.advance(result.retryAfterMs - 1);
              expect((await limiter.limit('k', { cost })).allowed).toBe(false);
              clock.advance(1);
            } else {
              clock.advance(result.retryAfterMs);
            }
            expect((await limiter.limit('k', { cost })).allowed).toBe(true);
          } else {
            expect(cost).toBeGreaterThan(burst);
          }
        }
      }),
      params,
    );
  });
});

describe('memory sliding-window properties', () => {
  it('never allows more than limit within one fixed window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 1000 }),
        arrivals,
        async (limit, periodMs, events) => {
          const clock = new FakeClock({ startMs: 0 });
          const limiter = new RateLimiter({ algorithm: 'sliding-window', limit, periodMs, clock });
          const perWindow = new Map<number, number>();
          for (const { gap, cost } of events) {
            clock.advance((gap * periodMs) / limit);
            const result = await limiter.limit('k', { cost });
            if (result.allowed) {
              const w = Math.floor(clock.now() / periodMs);
              perWindow.set(w, (perWindow.get(w) ?? 0) + cost);
            }
          }
          for (const sum of perWindow.values()) expect(sum).toBeLessThanOrEqual(limit);
        },
      ),
      params,
    );
  });
});

describe('MemoryRateLimitStore bound', () => {
  it('never holds more than maxKeys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50 }))),
        (maxKeys, calls) => {
          const store = new MemoryRateLimitStore({ maxKeys });
          const rule = (keyPrefix: string) => ({
            algorithm: 'gcra' as const,
            keyPrefix,
            emissionIntervalMs: 10,
            burst: 1,
            toleranceMs: 10,
            epsilonMs: 1e-4,
          });
          const rules = [rule('a:'), rule('b:')];
          let now = 0;
          for (const [key, gap] of calls) {
            now += gap;
            store.consume(`k${key}`, rules[key % 2] as ReturnType<typeof rule>, 1, now);
            expect(store.size).toBeLessThanOrEqual(maxKeys);
          }
        },
      ),
      params,
    );
  });
});
