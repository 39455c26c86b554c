import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './LatencyRecorder.js';

const HIGHEST_MS = 60_000;
/** Values as the recorder stores them: whole microseconds, expressed in ms. */
const toStoredMs = (ms: number): number => Math.round(ms * 1000) / 1000;

describe('LatencyRecorder (properties)', () => {
  it('agrees with a sorted-array model within hdr precision; percentiles are monotone and within [min, max]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: HIGHEST_MS, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 5 }),
        (values, ps, significantDigits) => {
          const latency = new LatencyRecorder({ significantDigits });
          for (const ms of values) latency.record(ms);
          const sorted = values.map(toStoredMs).sort((a, b) => a - b);
          const n = sorted.length;
          const min = sorted[0] as number;
          const max = sorted[n - 1] as number;
          const tolerance = 10 ** -significantDigits;
          let previous = Number.NEGATIVE_INFINITY;
          for (const p of [0, ...ps.sort((a, b) => a - b), 100]) {
            const actual = latency.percentile(p);
            // nearest rank, allowing for floating-point rounding of p/100·n either way
            const rank = (p / 100) * n;
            const low = sorted[Math.max(Math.ceil(rank - 1e-9), 1) - 1] as number;
            const high = sorted[Math.min(Math.max(Math.ceil(rank + 1e-9), 1), n) - 1] as number;
            expect(actual).toBeGreaterThanOrEqual(previous);
            expect(actual).toBeGreaterThanOrEqual(min);
            expect(actual).toBeLessThanOrEqual(max);
            expect(actual).toBeGreaterThanOrEqual(low - 1e-9);
            expect(actual).toBeLessThanOrEqual(high * (1 + tolerance) + 1e-9);
            previous = actual;
          }
          const snapshot = latency.snapshot();
          expect(snapshot.count).toBe(n);
          expect(snapshot.minMs).toBe(min);
          expect(snapshot.maxMs).toBe(max);
          expect(snapshot.meanMs).toBeCloseTo(sorted.reduce((sum, v) => sum + v, 0) / n, 6);
          expect(snapshot.p50Ms).toBeLessThanOrEqual(snapshot.p90Ms);
          expect(snapshot.p90Ms).toBeLessThanOrEqual(snapshot.p99Ms);
          expect(snapshot.p99Ms).toBeLessThanOrEqual(snapshot.p999Ms);
        },
      ),
      { numRuns: 100 },
    );
  });
});
