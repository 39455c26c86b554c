import { describe, expect, expectTypeOf, it } from 'vitest';
import type { JsonCompatible } from './Json.js';
import type { LatencySnapshot } from './LatencyRecorder.js';
import { LatencyRecorder } from './LatencyRecorder.js';

describe('LatencyRecorder', () => {
  it('records durations and reports percentiles', () => {
    // #region latencyRecorder
    const latency = new LatencyRecorder();
    for (const ms of [1.2, 3.4, 2.25, 150, 2.5]) latency.record(ms);
    latency.percentile(50); // 2.501: the top of 2.5's bucket, within 0.1 %
    const { count, p99Ms, maxMs } = latency.snapshot(); // 5, 150, 150
    latency.reset(); // e.g. at the start of each reporting interval
    // #endregion latencyRecorder
    expect(count).toBe(5);
    expect(latency.count).toBe(0);
    expect(p99Ms).toBe(150);
    expect(maxMs).toBe(150);
  });

  it('summarises with exact min, mean and max, and percentiles within precision', () => {
    const latency = new LatencyRecorder();
    for (const ms of [1.2, 3.4, 2.25, 150, 2.5]) latency.record(ms);
    expect(latency.snapshot()).toEqual({
      count: 5,
      minMs: 1.2,
      meanMs: 31.87,
      maxMs: 150,
      p50Ms: 2.501, // from 2 ms up, buckets are 2 µs wide or more; hdr reports a bucket's top
      p90Ms: 150, // capped by the exact maximum
      p99Ms: 150,
      p999Ms: 150,
    });
    expect(latency.percentile(0)).toBe(1.2);
    expect(latency.percentile(100)).toBe(150);
  });

  it('is all zeros when empty, and after reset', () => {
    const zeros = { count: 0, minMs: 0, meanMs: 0, maxMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0 };
    const latency = new LatencyRecorder();
    expect(latency.snapshot()).toEqual(zeros);
    expect(latency.percentile(99)).toBe(0);
    latency.record(5);
    latency.reset();
    expect(latency.count).toBe(0);
    expect(latency.snapshot()).toEqual(zeros);
    latency.record(7);
    expect(latency.snapshot()).toMatchObject({ count: 1, minMs: 7, maxMs: 7, p50Ms: 7 });
  });

  it('stores whole microseconds', () => {
    const latency = new LatencyRecorder();
    latency.record(0.0004); // rounds to 0 µs
    latency.record(0.0015); // rounds to 2 µs
    expect(latency.percentile(0)).toBe(0);
    expect(latency.percentile(100)).toBe(0.002);
    expect(latency.count).toBe(2);
  });

  it('clamps recordings above highestTrackableMs instead of throwing', () => {
    const latency = new LatencyRecorder({ highestTrackableMs: 1_000 });
    latency.record(5);
    latency.record(86_400_000);
    expect(latency.snapshot()).toMatchObject({ count: 2, maxMs: 1_000, p99Ms: 1_000 });
  });

  it('answers within the precision asked for', () => {
    // 1 significant digit: buckets a tenth of their values wide; 3 digits: a thousandth.
    const coarse = new LatencyRecorder({ significantDigits: 1 });
    const fine = new LatencyRecorder();
    for (let ms = 1; ms <= 100; ms++) {
      coarse.record(ms);
      fine.record(ms);
    }
    expect(Math.abs(fine.percentile(50) - 50)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(coarse.percentile(50) - 50)).toBeGreaterThan(0.05);
    expect(Math.abs(coarse.percentile(50) - 50)).toBeLessThanOrEqual(5);
  });

  it('returns a fresh, JSON-serialisable snapshot each call', () => {
    const latency = new LatencyRecorder();
    latency.record(1);
    const first = latency.snapshot();
    expect(latency.snapshot()).not.toBe(first);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    expectTypeOf<LatencySnapshot>().toExtend<JsonCompatible<LatencySnapshot>>();
  });

  it.each([
    [
      () => new LatencyRecorder({ highestTrackableMs: 0 }),
      'Expected `options.highestTrackableMs` to be an integer from 1 to 1000000000, got `0` (number)',
    ],
    [
      () => new LatencyRecorder({ significantDigits: 6 }),
      'Expected `options.significantDigits` to be an integer from 1 to 5, got `6` (number)',
    ],
    [
      () => new LatencyRecorder({ significantDigits: 2.5 }),
      'Expected `options.significantDigits` to be an integer from 1 to 5, got `2.5` (number)',
    ],
    [
      () => new LatencyRecorder({ digits: 2 } as never),
      'Expected `options.digits` to be absent: it is not an option of LatencyRecorder, got `2` (number)',
    ],
    [() => new LatencyRecorder(3 as never), 'Expected `options` to be an object, got `3` (number)'],
    [() => new LatencyRecorder().record(-1), 'Expected `ms` to be a finite number >= 0, got `-1` (number)'],
    [
      () => new LatencyRecorder().record('3' as unknown as number),
      'Expected `ms` to be a finite number >= 0, got `"3"` (string)',
    ],
    [
      () => new LatencyRecorder().percentile(101),
      'Expected `p` to be a finite number >= 0 and <= 100, got `101` (number)',
    ],
  ])('validates: %#', (act, message) => {
    expect(act).toThrow(expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', message }));
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'rejects %s and records nothing',
    (ms) => {
      const latency = new LatencyRecorder();
      expect(() => latency.record(ms)).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION' }),
      );
      expect(() => latency.percentile(ms)).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION' }),
      );
      expect(latency.count).toBe(0);
    },
  );
});
