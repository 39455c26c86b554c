import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../core/errors/index.js';
import { backoffDelay, decorrelatedJitterDelay, exponentialDelay, fullJitterDelay } from './backoff.js';

describe('backoff policies', () => {
  it('doubles without jitter, up to the cap', () => {
    // #region exponentialDelay
    const delays = [0, 1, 2, 3, 4].map((retryIndex) =>
      exponentialDelay({ retryIndex, baseDelayMs: 100, maxDelayMs: 1000 }),
    );
    // delays: [100, 200, 400, 800, 1000]
    // #endregion exponentialDelay
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    expect(exponentialDelay({ retryIndex: 5000, baseDelayMs: 1, maxDelayMs: 7 })).toBe(7);
    expect(exponentialDelay({ retryIndex: 3, baseDelayMs: 0, maxDelayMs: 0 })).toBe(0);
  });

  it('draws full jitter below the exponential ceiling', () => {
    // #region fullJitterDelay
    // Uniform in [0, min(maxDelayMs, baseDelayMs · 2^retryIndex)]: here [0, 400).
    const delay = fullJitterDelay({ retryIndex: 2, baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0.5);
    // delay: 200
    // #endregion fullJitterDelay
    expect(delay).toBe(200);
  });

  it('draws decorrelated jitter from the previous delay', () => {
    // #region decorrelatedJitterDelay
    // min(maxDelayMs, uniform in [baseDelayMs, 3 · previousDelayMs]): here [100, 900).
    let previousDelayMs = 300;
    previousDelayMs = decorrelatedJitterDelay(
      { previousDelayMs, baseDelayMs: 100, maxDelayMs: 10_000 },
      () => 0.5,
    );
    // previousDelayMs: 500, the input of the next draw
    // #endregion decorrelatedJitterDelay
    expect(previousDelayMs).toBe(500);
    expect(
      decorrelatedJitterDelay({ previousDelayMs: 5000, baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.9),
    ).toBe(1000);
  });

  it('dispatches on the jitter name', () => {
    // #region backoffDelay
    const options = { retryIndex: 1, previousDelayMs: 100, baseDelayMs: 100, maxDelayMs: 5000 };
    const random = () => 0.25;
    const none = backoffDelay('none', options, random); // 200
    const full = backoffDelay('full', options, random); // 50
    const decorrelated = backoffDelay('decorrelated', options, random); // 150
    // #endregion backoffDelay
    expect([none, full, decorrelated]).toEqual([200, 50, 150]);
  });

  it('refuses bad arguments with ERR_LOADSTONE_INVALID_OPTION', () => {
    const cases: [() => unknown, string][] = [
      [() => exponentialDelay({ retryIndex: -1, baseDelayMs: 1, maxDelayMs: 1 }), 'options.retryIndex'],
      [() => exponentialDelay({ retryIndex: 0.5, baseDelayMs: 1, maxDelayMs: 1 }), 'options.retryIndex'],
      [() => exponentialDelay({ retryIndex: 0, baseDelayMs: -1, maxDelayMs: 1 }), 'options.baseDelayMs'],
      [() => exponentialDelay({ retryIndex: 0, baseDelayMs: 10, maxDelayMs: 5 }), 'options.maxDelayMs'],
      [() => fullJitterDelay({ retryIndex: 0, baseDelayMs: 1, maxDelayMs: 1 }, () => 1), 'random()'],
      [
        () => decorrelatedJitterDelay({ previousDelayMs: 5, baseDelayMs: 10, maxDelayMs: 20 }),
        'options.previousDelayMs',
      ],
      [() => backoffDelay('linear' as never, { retryIndex: 0, baseDelayMs: 1, maxDelayMs: 1 }), 'jitter'],
    ];
    for (const [act, option] of cases) {
      let caught: unknown;
      try {
        act();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidOptionError);
      expect((caught as InvalidOptionError).option).toBe(option);
    }
  });
});
