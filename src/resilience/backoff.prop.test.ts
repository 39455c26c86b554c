// The AWS blog's bounds, over random bases, caps, retry numbers and random draws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decorrelatedJitterDelay, exponentialDelay, fullJitterDelay } from './backoff.js';

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const baseAndCap = fc
  .tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }))
  .map(([base, extra]) => ({ baseDelayMs: base, maxDelayMs: base + extra }));
/** The ceiling `min(cap, base·2^n)`, with `0·∞` read as 0. */
const ceiling = (base: number, cap: number, n: number) => (base === 0 ? 0 : Math.min(cap, base * 2 ** n));
const params = { numRuns: 500 };

describe('backoff bounds', () => {
  it('full jitter ∈ [0, min(cap, base·2^n)]', () => {
    fc.assert(
      fc.property(baseAndCap, fc.nat({ max: 2000 }), unit, ({ baseDelayMs, maxDelayMs }, n, r) => {
        const delay = fullJitterDelay({ retryIndex: n, baseDelayMs, maxDelayMs }, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling(baseDelayMs, maxDelayMs, n));
      }),
      params,
    );
  });

  it('no jitter = min(cap, base·2^n), never decreasing in n', () => {
    fc.assert(
      fc.property(baseAndCap, fc.nat({ max: 2000 }), ({ baseDelayMs, maxDelayMs }, n) => {
        const a = exponentialDelay({ retryIndex: n, baseDelayMs, maxDelayMs });
        const b = exponentialDelay({ retryIndex: n + 1, baseDelayMs, maxDelayMs });
        expect(a).toBe(ceiling(baseDelayMs, maxDelayMs, n));
        expect(b).toBeGreaterThanOrEqual(a);
      }),
      params,
    );
  });

  it('decorrelated jitter ∈ [base, min(cap, prev·3)] along a whole sequence', () => {
    fc.assert(
      fc.property(
        baseAndCap,
        fc.array(unit, { minLength: 1, maxLength: 30 }),
        ({ baseDelayMs, maxDelayMs }, draws) => {
          let previousDelayMs = baseDelayMs;
          for (const r of draws) {
            const delay = decorrelatedJitterDelay({ previousDelayMs, baseDelayMs, maxDelayMs }, () => r);
            expect(delay).toBeGreaterThanOrEqual(baseDelayMs);
            expect(delay).toBeLessThanOrEqual(Math.min(maxDelayMs, previousDelayMs * 3));
            previousDelayMs = delay;
          }
        },
      ),
      params,
    );
  });
});
