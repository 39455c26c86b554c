// MetricsHistory against a brute-force reference: every sample ever recorded kept in a plain
// array, the newest `capacity` of each series taken, the window filtered and sorted by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/index.js';
import { MetricsHistory } from './index.js';

const SERIES = ['a', 'b', 'c'];

/** One step: time moves on by `advanceMs`, then `series` gets `value` (NaN: a gap). */
const step = fc.record({
  advanceMs: fc.integer({ min: 0, max: 2_000 }),
  series: fc.constantFrom(...SERIES),
  value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Number.NaN)),
});

function reference(all: { t: number; v: number }[], capacity: number, now: number, windowMs: number) {
  const samples = all
    .slice(-capacity)
    .filter((sample) => sample.t > now - windowMs && !Number.isNaN(sample.v))
    .map((sample) => sample.v)
    .sort((x, y) => x - y);
  const count = samples.length;
  if (count === 0)
    return { count: 0, min: Number.NaN, mean: Number.NaN, max: Number.NaN, p50: Number.NaN, p99: Number.NaN };
  const rank = (q: number) => samples[Math.ceil(q * count) - 1];
  return {
    count,
    min: samples[0],
    mean: samples.reduce((sum, v) => sum + v, 0) / count,
    max: samples[count - 1],
    p50: rank(0.5),
    p99: rank(0.99),
  };
}

describe('MetricsHistory (properties)', () => {
  it('answers every window as the brute-force reference does, in memory fixed by capacity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.array(step, { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 600_000 }), { minLength: 1, maxLength: 5 }),
        (capacity, steps, windows) => {
          const clock = new FakeClock({ startMs: 1_000 });
          const history = new MetricsHistory({ capacity, clock });
          const recorded = new Map<string, { t: number; v: number }[]>();
          for (const { advanceMs, series, value } of steps) {
            const t = clock.advance(advanceMs);
            history.record(series, value);
            recorded.set(series, [...(recorded.get(series) ?? []), { t, v: value }]);
          }
          const now = clock.now();
          for (const series of SERIES) {
            const all = recorded.get(series) ?? [];
            // A window that ends exactly on a sample's time too: the boundary sample is outside.
            const edges = all.map((sample) => now - sample.t).filter((age) => age > 0);
            for (const windowMs of [...windows, ...edges.slice(-5)]) {
              const got = history.window(series, windowMs);
              const want = reference(all, capacity, now, windowMs);
              expect(got.count).toBe(want.count);
              for (const key of ['min', 'max', 'p50', 'p99'] as const) expect(got[key]).toBe(want[key]);
              if (want.count > 0) expect(got.mean).toBeCloseTo(want.mean as number, 6);
              else expect(got.mean).toBeNaN();
            }
            const kept = all.slice(-capacity);
            expect(history.snapshot().series[series] ?? { t: [], v: [] }).toEqual({
              t: kept.map((s) => s.t),
              v: kept.map((s) => (Number.isNaN(s.v) ? null : s.v)),
            });
          }
          expect(history.stats().bytes).toBe(recorded.size * capacity * 16);
          expect(history.stats().samples).toBe(
            [...recorded.values()].reduce((n, all) => n + Math.min(all.length, capacity), 0),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
