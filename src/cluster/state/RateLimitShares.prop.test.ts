import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sharesMachine } from '../../../test/helpers/rateLimitShares.js';
import { MemoryRateLimitStore, type RateLimitRule } from '../../resilience/index.js';

const rules = fc.oneof(
  fc.record({
    algorithm: fc.constant('sliding-window' as const),
    keyPrefix: fc.constant('w:'),
    limit: fc.integer({ min: 1, max: 20 }),
    periodMs: fc.constant(60_000),
  }),
  fc.integer({ min: 1, max: 20 }).map((burst) => ({
    algorithm: 'gcra' as const,
    keyPrefix: 'g:',
    emissionIntervalMs: 60_000 / burst,
    burst,
    toleranceMs: 60_000,
    epsilonMs: 1e-4,
  })),
);
const calls = fc.array(
  fc.record({
    worker: fc.nat(2),
    key: fc.constantFrom('a', 'b', '__proto__'),
    cost: fc.integer({ min: 0, max: 5 }),
  }),
  { maxLength: 60 },
);

// With the clock frozen, shares change who decides, never what: the machine must answer every
// call as one store would.
describe('ClusterRateLimitStore shares (property)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('decide every call, one at a time, as a single store would', async () => {
    await fc.assert(
      fc.asyncProperty(rules, fc.constantFrom(3, 6), calls, async (rule, shares, sequence) => {
        const { workers } = sharesMachine(3, shares);
        const one = new MemoryRateLimitStore();
        const now = performance.now();
        for (const { worker, key, cost } of sequence) {
          const decided = await workers[worker]?.client.consume(key, rule as RateLimitRule, cost, now);
          const expected = one.consume(key, rule as RateLimitRule, cost, now);
          expect(decided?.allowed).toBe(expected.allowed);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('allow exactly the limit of a burst of calls made at once from every worker', async () => {
    await fc.assert(
      fc.asyncProperty(rules, fc.array(fc.nat(2), { minLength: 1, maxLength: 40 }), async (rule, callers) => {
        const { workers } = sharesMachine(3, 6);
        const now = performance.now();
        const results = await Promise.all(
          callers.map((w) => workers[w]?.client.consume('k', rule as RateLimitRule, 1, now)),
        );
        const capacity = rule.algorithm === 'gcra' ? rule.burst : rule.limit;
        expect(results.filter((r) => r?.allowed).length).toBe(Math.min(callers.length, capacity));
      }),
      { numRuns: 150 },
    );
  });

  it('never allow more than GCRA allows over any span, while time passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.record({ worker: fc.nat(2), cost: fc.integer({ min: 1, max: 3 }), gapMs: fc.nat(400) }), {
          maxLength: 80,
        }),
        async (burst, sequence) => {
          const rule: RateLimitRule = Object.freeze({
            algorithm: 'gcra',
            keyPrefix: 't:',
            emissionIntervalMs: 1_000 / burst,
            burst,
            toleranceMs: 1_000,
            epsilonMs: 1e-4,
          });
          const { workers } = sharesMachine(3, 4);
          const allowed: { at: number; cost: number }[] = [];
          for (const { worker, cost, gapMs } of sequence) {
            vi.advanceTimersByTime(gapMs);
            const at = performance.now();
            const d = await workers[worker]?.client.consume('k', rule, cost, at);
            if (d?.allowed) allowed.push({ at, cost });
          }
          // Any span [a, b] holds at most the burst plus what drips away in it.
          for (let i = 0; i < allowed.length; i++) {
            let spent = 0;
            for (let j = i; j < allowed.length; j++) {
              spent += (allowed[j] as { cost: number }).cost;
              const span = (allowed[j] as { at: number }).at - (allowed[i] as { at: number }).at;
              expect(spent).toBeLessThanOrEqual(burst + span / rule.emissionIntervalMs + 1e-6);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
