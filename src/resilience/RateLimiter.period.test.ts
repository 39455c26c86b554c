// The longest period: a year. At its bound an idle key's first calls are still allowed and
// counted exactly; past it the period is refused where it is given (1e15 ms once refused an idle
// key's first call, through float rounding, and 1e300 failed every call of the Redis store).
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { RateLimiter } from './RateLimiter.js';

const YEAR_MS = 365 * 24 * 3_600_000;

describe('RateLimiter period bound', () => {
  it.each(['gcra', 'sliding-window'] as const)(
    '%s: a year-long period still allows and counts',
    async (algorithm) => {
      const clock = new FakeClock({ startMs: 1e12 });
      const limiter = new RateLimiter({ algorithm, limit: 2, periodMs: YEAR_MS, clock });
      expect((await limiter.limit('idle')).allowed).toBe(true);
      expect((await limiter.limit('idle')).allowed).toBe(true);
      const third = await limiter.limit('idle');
      expect(third.allowed).toBe(false);
      expect(third.retryAfterMs).toBeGreaterThan(0);
      expect(third.retryAfterMs).toBeLessThanOrEqual(YEAR_MS);
    },
  );

  it('refuses a period past a year, 1e15 and 1e300 included', () => {
    for (const periodMs of [YEAR_MS + 1, 1e15, 1e300]) {
      expect(() => new RateLimiter({ limit: 1, periodMs })).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.periodMs' }),
      );
    }
  });
});
