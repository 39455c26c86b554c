// Written after the last mutation run of the rate-limit files (not yet measured): a late store
// answer, the timeout's message, the handler's missing key, and sliding-window denials.
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitDecision, RateLimitStore } from './RateLimitStore.js';
import { rateLimitHandler } from './rateLimitHandler.js';

describe('RateLimiter, late and odd answers', () => {
  it('ignores a store answer that arrives after the timeout, naming the store call in the error', async () => {
    vi.useFakeTimers();
    try {
      let answer: ((d: RateLimitDecision) => void) | undefined;
      const store: RateLimitStore = { consume: () => new Promise((resolve) => (answer = resolve)) };
      const onDegraded = vi.fn();
      const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 50, onDegraded });
      const p = limiter.limit('k');
      await vi.advanceTimersByTimeAsync(50);
      expect((await p).degraded).toBe(true);
      expect(onDegraded.mock.calls[0]?.[0]).toMatchObject({
        message: 'rate-limit store call timed out after 50 ms',
      });
      answer?.({ allowed: true, remaining: 4, resetMs: 200, retryAfterMs: 0 });
      await vi.advanceTimersByTimeAsync(0);
      expect(limiter.stats()).toEqual({ algorithm: 'gcra', allowed: 0, denied: 0, degraded: 1, pending: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('names options.key when the handler has none', () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
    expect(() => rateLimitHandler(limiter, {} as never)).toThrow(
      'Expected `options.key` to be a function, got undefined',
    );
  });
});

describe('sliding window denials', () => {
  const make = () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 10, periodMs: 1000, clock, store });
    return { clock, store, limiter };
  };

  it('denies a cost above the limit forever, even on a key in use', async () => {
    const { limiter } = make();
    await limiter.limit('k', { cost: 1 });
    expect(await limiter.limit('k', { cost: 11 })).toMatchObject({
      allowed: false,
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
  });

  it('waits for the previous window to slide out before a cost equal to the limit', async () => {
    const { clock, limiter } = make();
    await limiter.limit('k', { cost: 5 });
    clock.set(1000);
    expect(await limiter.limit('k', { cost: 10 })).toMatchObject({ allowed: false, retryAfterMs: 1000 });
  });

  it('does not store a peek (cost 0) at a fresh key', async () => {
    const { store, limiter } = make();
    expect(await limiter.limit('k', { cost: 0 })).toMatchObject({ allowed: true, remaining: 10 });
    expect(store.size).toBe(0);
  });
});
