// Backoff edges: the draws at the ends of [0, 1), draws that are not numbers, and the defaults
// of backoffDelay and of the random source.
import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import {
  backoffDelay,
  decorrelatedJitterDelay,
  exponentialDelay,
  fullJitterDelay,
  jitters,
} from './backoff.js';

const options = { retryIndex: 2, baseDelayMs: 100, maxDelayMs: 10_000 };

describe('backoff edges', () => {
  it('lists the three jitters', () => {
    expect(jitters).toEqual(['none', 'full', 'decorrelated']);
    expect(Object.isFrozen(jitters)).toBe(true);
  });

  it('takes a draw of 0, the low end', () => {
    expect(fullJitterDelay(options, () => 0)).toBe(0);
    expect(
      decorrelatedJitterDelay({ previousDelayMs: 300, baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0),
    ).toBe(100);
  });

  it('refuses a draw that is not a number in [0, 1), naming random()', () => {
    for (const bad of [1, -0.1, Number.NaN, '0.5', undefined]) {
      expectInvalidOption(
        () => fullJitterDelay(options, () => bad as number),
        'random()',
        'a number in [0, 1)',
      );
      expectInvalidOption(
        () =>
          decorrelatedJitterDelay(
            { previousDelayMs: 100, baseDelayMs: 100, maxDelayMs: 100 },
            () => bad as number,
          ),
        'random()',
        'a number in [0, 1)',
      );
    }
  });

  it('draws from Math.random by default', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(fullJitterDelay(options)).toBe(200);
      expect(decorrelatedJitterDelay({ previousDelayMs: 100, baseDelayMs: 100, maxDelayMs: 1000 })).toBe(200);
      expect(backoffDelay('full', options)).toBe(200);
      expect(random).toHaveBeenCalledTimes(3);
    } finally {
      random.mockRestore();
    }
  });

  it('starts decorrelated jitter from baseDelayMs when no previous delay is given', () => {
    expect(
      backoffDelay('decorrelated', { retryIndex: 0, baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5),
    ).toBe(200);
    expect(
      backoffDelay(
        'decorrelated',
        { retryIndex: 0, baseDelayMs: 100, maxDelayMs: 150, previousDelayMs: 100 },
        () => 0.5,
      ),
    ).toBe(150);
  });

  it('caps at maxDelayMs, which may equal baseDelayMs', () => {
    expect(exponentialDelay({ retryIndex: 0, baseDelayMs: 100, maxDelayMs: 100 })).toBe(100);
    expect(exponentialDelay({ retryIndex: 1, baseDelayMs: 100, maxDelayMs: 150 })).toBe(150);
    expect(fullJitterDelay({ retryIndex: 3, baseDelayMs: 100, maxDelayMs: 500 }, () => 0.5)).toBe(250);
  });

  it('names each option it refuses, with the bound it breaks', () => {
    expectInvalidOption(
      () => exponentialDelay({ retryIndex: -1, baseDelayMs: 1, maxDelayMs: 1 }),
      'options.retryIndex',
      'an integer >= 0',
    );
    expectInvalidOption(
      () => exponentialDelay({ retryIndex: 0, baseDelayMs: -1, maxDelayMs: 1 }),
      'options.baseDelayMs',
      'a finite number >= 0',
    );
    expectInvalidOption(
      () => fullJitterDelay({ retryIndex: 0, baseDelayMs: 10, maxDelayMs: 5 }, () => 0),
      'options.maxDelayMs',
      'a finite number >= 10',
    );
    expectInvalidOption(
      () => decorrelatedJitterDelay({ previousDelayMs: 10, baseDelayMs: -1, maxDelayMs: 20 }),
      'options.baseDelayMs',
      'a finite number >= 0',
    );
    expectInvalidOption(
      () => decorrelatedJitterDelay({ previousDelayMs: 10, baseDelayMs: 10, maxDelayMs: 5 }),
      'options.maxDelayMs',
      'a finite number >= 10',
    );
    expectInvalidOption(
      () => decorrelatedJitterDelay({ previousDelayMs: 5, baseDelayMs: 10, maxDelayMs: 20 }),
      'options.previousDelayMs',
      'a finite number >= 10',
    );
    expectInvalidOption(
      () => backoffDelay('linear' as never, { retryIndex: 0, baseDelayMs: 1, maxDelayMs: 1 }),
      'jitter',
      'one of "none", "full", "decorrelated"',
    );
  });
});
