import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, isLoadstoneError } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimiterOptions } from './RateLimiterOptions.js';
import type { RateLimitResult } from './RateLimitResult.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from './RateLimitStore.js';

describe('RateLimiter', () => {
  it('limits per key with GCRA', async () => {
    // #region rateLimiter
    // 10 requests per second per key, sustained, and bursts of up to 20 at once.
    const limiter = new RateLimiter({ algorithm: 'gcra', limit: 10, periodMs: 1000, burst: 20 });

    const result = await limiter.limit('user:42');
    if (!result.allowed) {
      // Denied: tell the client when to come back.
      console.log(`retry in ${result.retryAfterMs} ms`);
    }
    // A bigger operation spends more of the same budget.
    const upload = await limiter.limit('user:42', { cost: 5 });
    // #endregion rateLimiter
    expect(result).toEqual({
      allowed: true,
      remaining: 19,
      resetMs: 100,
      retryAfterMs: 0,
      limit: 20,
      degraded: false,
    });
    expect(upload.allowed).toBe(true);
    expect(upload.remaining).toBeLessThanOrEqual(14);
    expect(limiter.algorithm).toBe('gcra');
  });

  it('defaults burst to limit: a whole period at once, then one per emission interval', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ limit: 4, periodMs: 1000, clock });
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await limiter.limit('k')).allowed);
    expect(first).toEqual([true, true, true, true, false]);
    clock.advance(249);
    expect((await limiter.limit('k')).allowed).toBe(false);
    clock.advance(1);
    expect((await limiter.limit('k')).allowed).toBe(true);
  });

  it('counts allowed and denied calls in stats()', async () => {
    const limiter = new RateLimiter({ limit: 2, periodMs: 1000, clock: new FakeClock() });
    for (let i = 0; i < 5; i++) await limiter.limit('k');
    const stats = limiter.stats();
    expect(stats).toEqual({ algorithm: 'gcra', allowed: 2, denied: 3, degraded: 0, pending: 0 });
    expect(limiter.stats()).not.toBe(stats);
  });

  it('keeps keys and prefixes apart', async () => {
    const store = new MemoryRateLimitStore();
    const clock = new FakeClock();
    const a = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'a:' });
    const b = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'b:' });
    expect((await a.limit('x')).allowed).toBe(true);
    expect((await a.limit('x')).allowed).toBe(false);
    expect((await a.limit('y')).allowed).toBe(true);
    expect((await b.limit('x')).allowed).toBe(true);
    expect(store.size).toBe(3);
  });

  it('denies a cost above the burst forever, with retryAfterMs Infinity, and records nothing', async () => {
    const limiter = new RateLimiter({ limit: 2, periodMs: 1000, clock: new FakeClock() });
    const result = await limiter.limit('k', { cost: 3 });
    expect(result).toMatchObject({ allowed: false, remaining: 2, retryAfterMs: Number.POSITIVE_INFINITY });
    expect((await limiter.limit('k', { cost: 2 })).allowed).toBe(true);
  });

  describe('options', () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      [
        'limit missing',
        { limit: undefined },
        'options.limit',
        'Expected `options.limit` to be an integer >= 1, got undefined',
      ],
      [
        'limit 0',
        { limit: 0 },
        'options.limit',
        'Expected `options.limit` to be an integer >= 1, got `0` (number)',
      ],
      [
        'periodMs 0',
        { periodMs: 0 },
        'options.periodMs',
        'Expected `options.periodMs` to be a finite number > 0 and <= 31536000000, got `0` (number)',
      ],
      [
        'algorithm',
        { algorithm: 'leaky' },
        'options.algorithm',
        'Expected `options.algorithm` to be one of "gcra", "sliding-window", got `"leaky"` (string)',
      ],
      [
        'burst 0',
        { burst: 0 },
        'options.burst',
        'Expected `options.burst` to be an integer >= 1, got `0` (number)',
      ],
      [
        'burst with sliding-window',
        { algorithm: 'sliding-window', burst: 3 },
        'options.burst',
        "Expected `options.burst` to be undefined with `algorithm: 'sliding-window'`, got `3` (number)",
      ],
      [
        'store',
        { store: {} },
        'options.store',
        'Expected `options.store` to be a RateLimitStore (an object with `consume`), got `{}` (object)',
      ],
      [
        'clock',
        { clock: 5 },
        'options.clock',
        'Expected `options.clock` to be a Clock (an object with a now() method), got `5` (number)',
      ],
      [
        'keyPrefix',
        { keyPrefix: 1 },
        'options.keyPrefix',
        'Expected `options.keyPrefix` to be a string, got `1` (number)',
      ],
      [
        'onStoreError',
        { onStoreError: 'ignore' },
        'options.onStoreError',
        'Expected `options.onStoreError` to be one of "fail-open", "fail-closed", got `"ignore"` (string)',
      ],
      [
        'storeTimeoutMs',
        { storeTimeoutMs: -1 },
        'options.storeTimeoutMs',
        'Expected `options.storeTimeoutMs` to be a finite number >= 0 and <= 2147483647, got `-1` (number)',
      ],
      [
        'onDegraded',
        { onDegraded: 'log' },
        'options.onDegraded',
        'Expected `options.onDegraded` to be a function, got `"log"` (string)',
      ],
    ];
    it.each(cases)('rejects %s', (_name, override, option, message) => {
      const options = { limit: 5, periodMs: 1000, ...override } as unknown as RateLimiterOptions;
      let caught: unknown;
      try {
        new RateLimiter(options);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidOptionError);
      expect(isLoadstoneError(caught, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
      expect(caught).toMatchObject({ option, message });
    });

    it('rejects (never throws) a bad key or cost', async () => {
      const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
      const bad: [string, unknown, string][] = [
        ['', undefined, 'Expected `key` to be a non-empty string, got `""` (string)'],
        ['k', { cost: -1 }, 'Expected `options.cost` to be an integer >= 0, got `-1` (number)'],
        ['k', { cost: 1.5 }, 'Expected `options.cost` to be an integer >= 0, got `1.5` (number)'],
        ['k', 7, 'Expected `options` to be an object, got `7` (number)'],
      ];
      for (const [key, options, message] of bad) {
        // Returns a promise even for bad arguments (it would throw out of this line otherwise).
        const pending = limiter.limit(key, options as never);
        await expect(pending).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', message });
      }
    });
  });

  describe('store failures', () => {
    const failing = (how: 'throw' | 'reject' | 'hang'): RateLimitStore => ({
      consume() {
        if (how === 'throw') throw new Error('store down');
        if (how === 'reject') return Promise.reject(new Error('store down'));
        return new Promise<RateLimitDecision>(() => {});
      },
    });

    it.each(['throw', 'reject'] as const)('fails open by default when the store %ss', async (how) => {
      const onDegraded = vi.fn();
      const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store: failing(how), onDegraded });
      const result = await limiter.limit('k');
      expect(result).toEqual({
        allowed: true,
        remaining: 5,
        resetMs: 0,
        retryAfterMs: 0,
        limit: 5,
        degraded: true,
      });
      expect(onDegraded).toHaveBeenCalledWith(expect.objectContaining({ message: 'store down' }), 'k');
    });

    it('fails closed when asked', async () => {
      const limiter = new RateLimiter({
        limit: 5,
        periodMs: 60_000,
        store: failing('reject'),
        onStoreError: 'fail-closed',
      });
      expect(await limiter.limit('k')).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 1000,
        limit: 5,
        degraded: true,
      });
    });

    it('times out a hanging store after storeTimeoutMs', async () => {
      vi.useFakeTimers();
      try {
        const onDegraded = vi.fn();
        const limiter = new RateLimiter({
          limit: 5,
          periodMs: 1000,
          store: failing('hang'),
          storeTimeoutMs: 50,
          onStoreError: 'fail-closed',
          onDegraded,
        });
        const pending = limiter.limit('k');
        await vi.advanceTimersByTimeAsync(50);
        expect(await pending).toMatchObject({ allowed: false, degraded: true });
        expect(onDegraded.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 50 });
      } finally {
        vi.useRealTimers();
      }
    });

    it('times out each call on its own deadline, answered ones not at all', async () => {
      vi.useFakeTimers();
      try {
        const answers: ((d: RateLimitDecision) => void)[] = [];
        const store: RateLimitStore = {
          consume: () => new Promise<RateLimitDecision>((resolve) => answers.push(resolve)),
        };
        const onDegraded = vi.fn();
        const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100, onDegraded });
        const settled: string[] = [];
        const track = (name: string, p: Promise<RateLimitResult>) =>
          p.then((r) => settled.push(`${name}:${r.degraded ? 'timeout' : 'answered'}`));
        const a = track('a', limiter.limit('a')); // due at 100
        await vi.advanceTimersByTimeAsync(30);
        const b = track('b', limiter.limit('b')); // due at 130, answered at 40 (before a)
        await vi.advanceTimersByTimeAsync(10);
        answers[1]?.({ allowed: true, remaining: 4, resetMs: 200, retryAfterMs: 0 });
        const c = track('c', limiter.limit('c')); // due at 140
        await vi.advanceTimersByTimeAsync(59);
        expect(settled).toEqual(['b:answered']);
        await vi.advanceTimersByTimeAsync(1);
        expect(settled).toEqual(['b:answered', 'a:timeout']);
        await vi.advanceTimersByTimeAsync(39);
        expect(settled).toEqual(['b:answered', 'a:timeout']);
        await vi.advanceTimersByTimeAsync(1);
        await Promise.all([a, b, c]);
        expect(settled).toEqual(['b:answered', 'a:timeout', 'c:timeout']);
        expect(onDegraded.mock.calls.map((call) => call[1])).toEqual(['a', 'c']);
        // Late answers are ignored.
        answers[0]?.({ allowed: true, remaining: 4, resetMs: 200, retryAfterMs: 0 });
        await vi.advanceTimersByTimeAsync(0);
        expect(onDegraded).toHaveBeenCalledTimes(2);
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        vi.useRealTimers();
      }
    });

    it('ignores a late rejection after a timeout, and recovers when the store does', async () => {
      let healthy = false;
      let rejectLate: ((error: Error) => void) | undefined;
      const store: RateLimitStore = {
        consume(key, rule, cost, nowMs) {
          if (healthy) return Promise.resolve(new MemoryRateLimitStore().consume(key, rule, cost, nowMs));
          return new Promise((_, reject) => {
            rejectLate = reject;
          });
        },
      };
      const onDegraded = vi.fn();
      const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 1, onDegraded });
      expect((await limiter.limit('k')).degraded).toBe(true);
      rejectLate?.(new Error('late'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(onDegraded).toHaveBeenCalledTimes(1);
      healthy = true;
      expect(await limiter.limit('k')).toMatchObject({ allowed: true, degraded: false, remaining: 4 });
      // The late rejection counts once (as the timeout), and nothing is left pending.
      expect(limiter.stats()).toEqual({ algorithm: 'gcra', allowed: 1, denied: 0, degraded: 1, pending: 0 });
    });

    it('warns once per throw of onDegraded instead of rejecting', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      try {
        const limiter = new RateLimiter({
          limit: 5,
          periodMs: 1000,
          store: failing('throw'),
          onDegraded: () => {
            throw new Error('hook bug');
          },
        });
        expect((await limiter.limit('k')).degraded).toBe(true);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('hook bug'), {
          code: 'LOADSTONE_WARN_RATE_LIMIT_HOOK_THREW',
        });
      } finally {
        warn.mockRestore();
      }
    });
  });

  it('accepts any RateLimitStore', async () => {
    // #region customStore
    // A store that logs every decision of the memory store it wraps. A real custom store
    // (a database, another cache) must decide and record atomically.
    class LoggingStore implements RateLimitStore {
      readonly #inner = new MemoryRateLimitStore();
      readonly log: string[] = [];
      consume(key: string, rule: RateLimitRule, cost: number, nowMs: number): RateLimitDecision {
        const decision = this.#inner.consume(key, rule, cost, nowMs);
        this.log.push(`${rule.keyPrefix}${key} ${rule.algorithm} ${decision.allowed ? 'allowed' : 'denied'}`);
        return decision;
      }
    }
    const store = new LoggingStore();
    const limiter = new RateLimiter({ limit: 1, periodMs: 1000, store, keyPrefix: 'api:' });
    await limiter.limit('alice');
    await limiter.limit('alice');
    // store.log: ['api:alice gcra allowed', 'api:alice gcra denied']
    // #endregion customStore
    expect(store.log).toEqual(['api:alice gcra allowed', 'api:alice gcra denied']);
  });
});

describe('RateLimiter, sliding window', () => {
  it('counts over a sliding window', async () => {
    // #region slidingWindow
    // At most ~100 requests in any 60 s, estimated from two fixed one-minute windows.
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 100, periodMs: 60_000 });
    const { allowed, remaining } = await limiter.limit('203.0.113.7');
    // #endregion slidingWindow
    expect(allowed).toBe(true);
    expect(remaining).toBe(99);
    expect(limiter.algorithm).toBe('sliding-window');
  });

  it('weights the previous window by the part of it still inside the sliding window', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 10, periodMs: 1000, clock });
    // Window 0: 10 allowed, the 11th denied, to come back at the next window's start + 10 %.
    for (let i = 0; i < 10; i++) expect((await limiter.limit('k')).allowed).toBe(true);
    const denied = await limiter.limit('k');
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1100, resetMs: 2000 });
    // Window 1 at 25 %: previous 10 × 0.75 = 7.5, so 2 more fit (9.5), a third does not.
    clock.set(1250);
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 0 });
    const third = await limiter.limit('k');
    // 10·(1 − e) + 2 <= 9 → e >= 0.3: at 1300 ms, 50 ms from now.
    expect(third).toMatchObject({ allowed: false, retryAfterMs: 50 });
    clock.set(1300);
    expect((await limiter.limit('k')).allowed).toBe(true);
    // Two windows later everything has slid out.
    clock.set(3000);
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 9, resetMs: 2000 });
  });

  it('never allows more than limit in one fixed window, nor 2 × limit in any period', async () => {
    const clock = new FakeClock();
    const limit = 7;
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit, periodMs: 100, clock });
    const allowedAt: number[] = [];
    for (let t = 0; t < 2000; t += 3) {
      clock.set(t);
      if ((await limiter.limit('k')).allowed) allowedAt.push(t);
    }
    for (const start of allowedAt) {
      const inPeriod = allowedAt.filter((t) => t >= start && t < start + 100).length;
      expect(inPeriod).toBeLessThanOrEqual(limit + 1); // estimate error at the boundary
      const inWindow = allowedAt.filter((t) => Math.floor(t / 100) === Math.floor(start / 100)).length;
      expect(inWindow).toBeLessThanOrEqual(limit);
    }
    // Under steady overload it lets through most of the limit's rate (7 per 100 ms over 2 s):
    // the estimate is conservative early in each window.
    expect(allowedAt.length).toBeGreaterThanOrEqual(0.8 * 20 * limit);
    expect(allowedAt.length).toBeLessThanOrEqual(20 * limit + limit);
  });

  it('denies a cost above the limit forever', async () => {
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 3, periodMs: 1000 });
    expect(await limiter.limit('k', { cost: 4 })).toMatchObject({
      allowed: false,
      remaining: 3,
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
  });

  it('peeks with cost 0', async () => {
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 3, periodMs: 1000 });
    await limiter.limit('k', { cost: 2 });
    expect(await limiter.limit('k', { cost: 0 })).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.limit('k', { cost: 0 })).toMatchObject({ allowed: true, remaining: 1 });
  });
});
