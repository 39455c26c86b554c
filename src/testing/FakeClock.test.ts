import { describe, expect, it } from 'vitest';
import { isLoadstoneError, LatencyRecorder } from '../core/index.js';
import { FakeClock } from './FakeClock.js';

describe('FakeClock', () => {
  it('moves only when told to', () => {
    // #region fakeClock
    const clock = new FakeClock({ startMs: 1_000 });
    const latency = new LatencyRecorder();
    const start = clock.now();
    clock.advance(25); // the "work" took exactly 25 ms
    latency.record(clock.now() - start);
    // latency.percentile(50) === 25
    // #endregion fakeClock
    expect(latency.percentile(50)).toBe(25);
    expect(clock.now()).toBe(1_025);
    expect(clock.now()).toBe(1_025);
  });

  it('starts at 0 by default; advance and set return the new time', () => {
    const clock = new FakeClock();
    expect(clock.now()).toBe(0);
    expect(clock.advance(0.5)).toBe(0.5);
    expect(clock.set(10)).toBe(10);
    expect(clock.set(10)).toBe(10);
    expect(clock.now()).toBe(10);
  });

  it.each([
    [
      'backwards set',
      (c: FakeClock) => c.set(9),
      'Expected `ms` to be a finite number >= 10, got `9` (number)',
    ],
    [
      'negative advance',
      (c: FakeClock) => c.advance(-1),
      'Expected `ms` to be a finite number >= 0, got `-1` (number)',
    ],
    ['non-finite advance', (c: FakeClock) => c.advance(Number.POSITIVE_INFINITY), undefined],
  ])('rejects a %s and keeps its time', (_name, act, message) => {
    const clock = new FakeClock({ startMs: 10 });
    let caught: unknown;
    try {
      act(clock);
    } catch (error) {
      caught = error;
    }
    expect(isLoadstoneError(caught, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    if (message !== undefined) expect((caught as Error).message).toBe(message);
    expect(clock.now()).toBe(10);
  });

  it('validates its options', () => {
    expect(() => new FakeClock({ startMs: '5' as unknown as number })).toThrow(
      'Expected `options.startMs` to be a finite number, got `"5"` (string)',
    );
  });
});
