import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { FakeClock } from '../testing/FakeClock.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitResult } from './RateLimitResult.js';
import { rateLimitHeaders } from './rateLimitHeaders.js';

const allowed: RateLimitResult = {
  allowed: true,
  remaining: 99,
  resetMs: 600,
  retryAfterMs: 0,
  limit: 100,
  degraded: false,
};
const refused: RateLimitResult = {
  ...allowed,
  allowed: false,
  remaining: 0,
  resetMs: 59_001,
  retryAfterMs: 1_500,
};

describe('rateLimitHeaders', () => {
  it('writes the draft-8 fields by a limiter’s decision', async () => {
    // #region headers
    const limiter = new RateLimiter({ limit: 100, periodMs: 60_000, clock: new FakeClock() });
    const headersOf = rateLimitHeaders({ headers: 'draft-8', policy: 'per-user' });
    const fields = headersOf(await limiter.limit('user-42'), limiter.periodMs);
    // [['RateLimit-Policy', '"per-user";q=100;w=60'], ['RateLimit', '"per-user";r=99;t=1']]
    // #endregion headers
    expect(fields).toEqual([
      ['RateLimit-Policy', '"per-user";q=100;w=60'],
      ['RateLimit', '"per-user";r=99;t=1'],
    ]);
    expect(JSON.stringify(fields)).not.toContain('user-42');
  });

  it('gives a refusal Retry-After, and the same moment as its reset', () => {
    expect(rateLimitHeaders()(refused, 60_000)).toEqual([
      ['RateLimit-Policy', '"default";q=100;w=60'],
      ['RateLimit', '"default";r=0;t=2'],
      ['Retry-After', '2'],
    ]);
    // A cost above the limit can never pass: no Retry-After, and the reset is the full one.
    const never = { ...refused, retryAfterMs: Number.POSITIVE_INFINITY };
    expect(rateLimitHeaders()(never, 60_000)).toEqual([
      ['RateLimit-Policy', '"default";q=100;w=60'],
      ['RateLimit', '"default";r=0;t=60'],
    ]);
    // However soon the limiter says, at least a second.
    expect(rateLimitHeaders({ headers: 'none' })({ ...refused, retryAfterMs: 0 }, 1_000)).toEqual([
      ['Retry-After', '1'],
    ]);
  });

  it('writes the draft-6 trio with its policy, and the legacy X- fields with a Unix reset', () => {
    expect(rateLimitHeaders({ headers: 'draft-6' })(allowed, 1_500)).toEqual([
      ['RateLimit-Policy', '100;w=2'],
      ['RateLimit-Limit', '100'],
      ['RateLimit-Remaining', '99'],
      ['RateLimit-Reset', '1'],
    ]);
    expect(rateLimitHeaders({ headers: 'legacy' })(allowed, 60_000, 1_700_000_000_000)).toEqual([
      ['X-RateLimit-Limit', '100'],
      ['X-RateLimit-Remaining', '99'],
      ['X-RateLimit-Reset', '1700000001'],
    ]);
  });

  it('writes no rate-limit fields for none, nor for a degraded decision', () => {
    expect(rateLimitHeaders({ headers: 'none' })(allowed, 60_000)).toEqual([]);
    expect(rateLimitHeaders()({ ...allowed, degraded: true }, 60_000)).toEqual([]);
  });

  it('escapes a quote or backslash in a policy name, and refuses names a header cannot carry', () => {
    expect(rateLimitHeaders({ policy: 'a"b\\c' })(allowed, 1_000)[0]).toEqual([
      'RateLimit-Policy',
      '"a\\"b\\\\c";q=100;w=1',
    ]);
    for (const policy of ['', 'é', 'x\r\ny', 'x'.repeat(65), 5]) {
      expectInvalidOption(() => rateLimitHeaders({ policy } as never), 'options.policy', '1 to 64');
    }
    expectInvalidOption(() => rateLimitHeaders({ headers: 'draft-7' } as never), 'options.headers', 'one of');
    expectInvalidOption(
      () => rateLimitHeaders({ format: 'draft-8' } as never),
      'options.format',
      'absent: it is not an option of rateLimitHeaders',
    );
    expectInvalidOption(() => rateLimitHeaders('draft-8' as never), 'options', 'an object');
  });
});
