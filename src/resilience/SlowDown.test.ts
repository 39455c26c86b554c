import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import type { RateLimitStore } from './RateLimitStore.js';
import { SlowDown } from './SlowDown.js';

afterEach(() => {
  vi.useRealTimers();
});

const INVALID = { code: 'ERR_LOADSTONE_INVALID_OPTION' };

describe('SlowDown', () => {
  it('lets the first calls through, then delays each one a step more, up to the cap', async () => {
    const clock = new FakeClock();
    // #region slowDown
    // 2 calls a minute at full speed; then 100 ms more for each call, never more than 1 s.
    const slowDown = new SlowDown({
      delayAfter: 2,
      periodMs: 60_000,
      delayStepMs: 100,
      maxDelayMs: 1_000,
      clock,
    });
    // In a handler: `await slowDown.wait(userId, { signal })`, or use rateLimitHandler(slowDown, …).
    // #endregion slowDown
    const delays = [];
    for (let i = 0; i < 15; i++) delays.push((await slowDown.check('alice')).delayMs);
    expect(delays).toEqual([0, 0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000, 1000]);
    expect(await slowDown.check('bob')).toMatchObject({ delayMs: 0, used: 1, remaining: 1, delayAfter: 2 });
    expect(slowDown.stats()).toEqual({ undelayed: 3, delayed: 13, abandoned: 0, degraded: 0, waiting: 0 });
  });

  it('property: within one window, call n waits min(cap, (n − delayAfter) × step)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 60 }),
        async (delayAfter, delayStepMs, maxDelayMs, costs) => {
          const slowDown = new SlowDown({
            delayAfter,
            periodMs: 1_000,
            delayStepMs,
            maxDelayMs,
            clock: new FakeClock(),
          });
          let used = 0;
          const cap = delayAfter + Math.ceil(maxDelayMs / delayStepMs);
          for (const cost of costs) {
            const result = await slowDown.check('k', { cost });
            // Counted while the count stays within the cap's; past it, a call waits the cap uncounted.
            if (used + cost <= cap) {
              used += cost;
              expect(result.delayMs).toBe(Math.min(maxDelayMs, Math.max(0, used - delayAfter) * delayStepMs));
            } else expect(result.delayMs).toBe(maxDelayMs);
          }
        },
      ),
    );
  });

  it('forgets calls as the window slides', async () => {
    const clock = new FakeClock();
    const slowDown = new SlowDown({ delayAfter: 4, periodMs: 1_000, delayStepMs: 10, clock });
    for (let i = 0; i < 8; i++) await slowDown.check('k');
    expect((await slowDown.check('k')).delayMs).toBe(50);
    clock.advance(1_500); // half of the previous window still counts: 9 × 0.5
    expect(await slowDown.check('k')).toMatchObject({ used: 6, delayMs: 20 });
    clock.advance(2_000);
    expect(await slowDown.check('k')).toMatchObject({ used: 1, delayMs: 0, remaining: 3 });
  });

  it('wait resolves after the delay, and a call within delayAfter does not wait', async () => {
    vi.useFakeTimers();
    const slowDown = new SlowDown({ delayAfter: 1, periodMs: 60_000, delayStepMs: 250 });
    expect(await slowDown.wait('k')).toMatchObject({ delayMs: 0 });
    let done = false;
    const waited = slowDown.wait('k').then((r) => {
      done = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(done).toBe(false);
    expect(slowDown.stats().waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waited).toMatchObject({ delayMs: 250 });
    expect(slowDown.stats()).toMatchObject({ waiting: 0, delayed: 1, undelayed: 1 });
  });

  it('an abort ends the wait at once, clears its timer and keeps the count', async () => {
    vi.useFakeTimers();
    const slowDown = new SlowDown({
      delayAfter: 0,
      periodMs: 60_000,
      delayStepMs: 10_000,
      maxDelayMs: 60_000,
    });
    const gone = new AbortController();
    const waited = slowDown.wait('k', { signal: gone.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    gone.abort();
    await expect(waited).rejects.toMatchObject({ name: 'AbortError' });
    expect(vi.getTimerCount()).toBe(0);
    expect(slowDown.stats()).toMatchObject({ abandoned: 1, waiting: 0 });
    // The abandoned call still counts: the next one waits two steps.
    expect((await slowDown.check('k')).delayMs).toBe(20_000);
    // A signal aborted before the call: rejected with its reason (an AbortedError for a string).
    const before = new AbortController();
    before.abort('shutdown');
    await expect(slowDown.wait('k', { signal: before.signal })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
    });
  });

  it('follows onStoreError when the store fails: no delay failing open, the cap failing closed', async () => {
    const broken: RateLimitStore = {
      consume: () => {
        throw new Error('store down');
      },
    };
    const errors: unknown[] = [];
    const open = new SlowDown({
      delayAfter: 0,
      periodMs: 1_000,
      store: broken,
      onDegraded: (e) => errors.push(e),
    });
    expect(await open.check('k')).toMatchObject({ delayMs: 0, degraded: true });
    const closed = new SlowDown({
      delayAfter: 0,
      periodMs: 1_000,
      store: broken,
      onStoreError: 'fail-closed',
      maxDelayMs: 700,
    });
    expect(await closed.check('k')).toMatchObject({ delayMs: 700, degraded: true });
    expect(closed.stats()).toMatchObject({ degraded: 1, delayed: 1 });
    expect(errors).toHaveLength(1);
  });

  it('keeps its count apart from a RateLimiter on the same store', async () => {
    const { MemoryRateLimitStore, RateLimiter } = await import('./index.js');
    const store = new MemoryRateLimitStore();
    const clock = new FakeClock();
    const limiter = new RateLimiter({ limit: 1, periodMs: 1_000, store, clock });
    const slowDown = new SlowDown({ delayAfter: 1, periodMs: 1_000, store, clock });
    expect((await limiter.limit('k')).allowed).toBe(true);
    expect((await slowDown.check('k')).delayMs).toBe(0);
  });

  it('rejects bad options and arguments with coded errors, at the call', async () => {
    const ok = { delayAfter: 1, periodMs: 1_000 };
    for (const bad of [
      { ...ok, delayAfter: -1 },
      { ...ok, delayAfter: 1.5 },
      { ...ok, periodMs: 0 },
      { ...ok, delayStepMs: 0 },
      { ...ok, maxDelayMs: Number.POSITIVE_INFINITY },
      { ...ok, maxDelayMs: 2 ** 31 },
      { ...ok, delayStepMs: 1e-12, maxDelayMs: 1e9 },
      { ...ok, limit: 5 },
      { ...ok, onStoreError: 'ignore' },
    ]) {
      expect(() => new SlowDown(bad as never)).toThrow(expect.objectContaining(INVALID));
    }
    const slowDown = new SlowDown(ok);
    await expect(slowDown.check('')).rejects.toMatchObject(INVALID);
    await expect(slowDown.check('k', { cost: -1 })).rejects.toMatchObject(INVALID);
    await expect(slowDown.wait('k', { signal: 'nope' as never })).rejects.toMatchObject(INVALID);
  });
});
