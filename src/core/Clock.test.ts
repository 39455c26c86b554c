import { describe, expect, it } from 'vitest';
import type { Clock } from './Clock.js';
import { systemClock } from './Clock.js';

describe('systemClock', () => {
  it('reads performance.now and never goes backwards', () => {
    // #region systemClock
    const start = systemClock.now();
    // … do some work …
    const elapsedMs = systemClock.now() - start;
    // #endregion systemClock
    expect(elapsedMs).toBeGreaterThanOrEqual(0);
    let previous = systemClock.now();
    for (let i = 0; i < 1000; i++) {
      const now = systemClock.now();
      expect(now).toBeGreaterThanOrEqual(previous);
      previous = now;
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});

describe('Clock', () => {
  it('is a one-method interface any time source can implement', () => {
    // #region clock
    class Stopwatch {
      readonly #clock: Clock;
      readonly #startMs: number;
      constructor(clock: Clock = systemClock) {
        this.#clock = clock;
        this.#startMs = clock.now();
      }
      get elapsedMs(): number {
        return this.#clock.now() - this.#startMs;
      }
    }
    let nowMs = 100;
    const watch = new Stopwatch({ now: () => nowMs });
    nowMs += 250;
    // watch.elapsedMs === 250
    // #endregion clock
    expect(watch.elapsedMs).toBe(250);
  });
});
