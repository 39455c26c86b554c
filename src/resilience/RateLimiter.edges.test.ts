// RateLimiter edges: argument checks on the fast path, defaults, stores that are not this
// module's (raw decisions), asynchronous stores with and without a time limit, degraded results.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitResult } from './RateLimitResult.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from './RateLimitStore.js';

/** A store that answers every call with `decision`, remembering what it was asked. */
function fixedStore(decision: RateLimitDecision) {
  const calls: { key: string; rule: RateLimitRule; cost: number; nowMs: number }[] = [];
  const store: RateLimitStore = {
    consume(key, rule, cost, nowMs) {
      calls.push({ key, rule, cost, nowMs });
      return decision;
    },
  };
  return { store, calls };
}

/** A store whose answers the test gives, one per call, in order. */
function manualStore() {
  const answers: { resolve: (d: RateLimitDecision) => void; reject: (e: Error) => void }[] = [];
  const store: RateLimitStore = {
    consume: () => new Promise<RateLimitDecision>((resolve, reject) => answers.push({ resolve, reject })),
  };
  return { store, answers };
}

const allowedDecision: RateLimitDecision = { allowed: true, remaining: 4, resetMs: 200, retryAfterMs: 0 };

describe('RateLimiter arguments and defaults', () => {
  it('rejects a key that is not a string even without options', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
    await expect(limiter.limit(5 as never)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      option: 'key',
    });
    expect(limiter.stats()).toMatchObject({ allowed: 0, denied: 0 });
  });

  it('spends a cost of 1 when options leave it out, and the given cost otherwise', async () => {
    const { store, calls } = fixedStore(allowedDecision);
    const limiter = new RateLimiter({
      limit: 5,
      periodMs: 1000,
      store,
      clock: new FakeClock({ startMs: 7 }),
    });
    await limiter.limit('a');
    await limiter.limit('b', {});
    await limiter.limit('c', { cost: 3 });
    await limiter.limit('d', { cost: 0 });
    expect(calls.map(({ key, cost, nowMs }) => [key, cost, nowMs])).toEqual([
      ['a', 1, 7],
      ['b', 1, 7],
      ['c', 3, 7],
      ['d', 0, 7],
    ]);
  });

  it('hands the store a frozen rule with the key prefix and the algorithm parameters', async () => {
    const gcra = fixedStore(allowedDecision);
    await new RateLimiter({ limit: 4, periodMs: 1000, burst: 6, store: gcra.store }).limit('k');
    const rule = gcra.calls[0]?.rule;
    expect(rule).toEqual({
      algorithm: 'gcra',
      keyPrefix: 'loadstone:rl:',
      emissionIntervalMs: 250,
      burst: 6,
      toleranceMs: 1500,
      epsilonMs: 1e-4,
    });
    expect(Object.isFrozen(rule)).toBe(true);
    const fine = fixedStore(allowedDecision);
    await new RateLimiter({ limit: 1000, periodMs: 1, store: fine.store }).limit('k');
    expect(fine.calls[0]?.rule).toMatchObject({ emissionIntervalMs: 0.001, burst: 1000 });
    expect(fine.calls[0]?.rule.algorithm === 'gcra' && fine.calls[0].rule.epsilonMs).toBeCloseTo(1e-5, 12);
    const sw = fixedStore(allowedDecision);
    await new RateLimiter({
      algorithm: 'sliding-window',
      limit: 4,
      periodMs: 1000,
      keyPrefix: '',
      store: sw.store,
    }).limit('k');
    expect(sw.calls[0]?.rule).toEqual({
      algorithm: 'sliding-window',
      keyPrefix: '',
      limit: 4,
      periodMs: 1000,
    });
    expect(Object.isFrozen(sw.calls[0]?.rule)).toBe(true);
  });

  it('shares keys with a limiter whose keyPrefix is the default one', async () => {
    const store = new MemoryRateLimitStore();
    const clock = new FakeClock();
    const implicit = new RateLimiter({ limit: 1, periodMs: 1000, store, clock });
    const explicit = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'loadstone:rl:' });
    expect((await implicit.limit('k')).allowed).toBe(true);
    expect((await explicit.limit('k')).allowed).toBe(false);
  });

  it('uses the system clock by default', async () => {
    const { store, calls } = fixedStore(allowedDecision);
    const before = performance.now();
    await new RateLimiter({ limit: 5, periodMs: 1000, store }).limit('k');
    const after = performance.now();
    expect(calls[0]?.nowMs).toBeGreaterThanOrEqual(before);
    expect(calls[0]?.nowMs).toBeLessThanOrEqual(after);
  });

  it('refuses a storeTimeoutMs past what setTimeout takes', () => {
    expect(() => new RateLimiter({ limit: 5, periodMs: 1000, storeTimeoutMs: 2 ** 31 })).toThrow(
      'Expected `options.storeTimeoutMs` to be a finite number >= 0 and <= 2147483647, got `2147483648` (number)',
    );
    expect(() => new RateLimiter({ limit: 5, periodMs: 1000, storeTimeoutMs: 2 ** 31 - 1 })).not.toThrow();
    expect(() => new RateLimiter({ limit: 5, periodMs: 1000, store: {} as never })).toThrow(
      'Expected `options.store` to be a RateLimitStore',
    );
    expect(() => new RateLimiter({ limit: 5, periodMs: 1000, store: null as never })).toThrow(
      'Expected `options.store` to be a value, or absent for the default (not null), got null',
    );
    expect(() => new RateLimiter({ limit: 5, periodMs: 1000, clock: {} as never })).toThrow(
      'Expected `options.clock` to be a Clock',
    );
  });
});

describe('RateLimiter with a store of its own kind', () => {
  it('completes and rounds up a raw decision, with the limit from the options', async () => {
    const { store } = fixedStore({ allowed: false, remaining: 0, resetMs: 1000.4, retryAfterMs: 250.2 });
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, burst: 8, store });
    expect(await limiter.limit('k')).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 1001,
      retryAfterMs: 251,
      limit: 8,
      degraded: false,
    });
    const sw = new RateLimiter({
      algorithm: 'sliding-window',
      limit: 3,
      periodMs: 1000,
      store: fixedStore(allowedDecision).store,
    });
    expect(await sw.limit('k')).toEqual({ ...allowedDecision, limit: 3, degraded: false });
    expect(sw.stats()).toMatchObject({ allowed: 1, denied: 0 });
    expect(limiter.stats()).toMatchObject({ allowed: 0, denied: 1 });
  });

  it('takes an asynchronous answer without a time limit when storeTimeoutMs is 0', async () => {
    vi.useFakeTimers();
    try {
      const { store, answers } = manualStore();
      const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 0 });
      const first = limiter.limit('a');
      const second = limiter.limit('b');
      expect(vi.getTimerCount()).toBe(0);
      expect(limiter.stats().pending).toBe(2);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(limiter.stats().pending).toBe(2);
      answers[0]?.resolve(allowedDecision);
      expect(await first).toEqual({ ...allowedDecision, limit: 5, degraded: false });
      expect(limiter.stats().pending).toBe(1);
      answers[1]?.reject(new Error('down'));
      expect(await second).toMatchObject({ allowed: true, degraded: true });
      expect(limiter.stats()).toEqual({ algorithm: 'gcra', allowed: 1, denied: 0, degraded: 1, pending: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RateLimiter asynchronous store, timed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits 1000 ms by default, counting the call as pending meanwhile', async () => {
    vi.useFakeTimers();
    const { store } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store });
    const settled: RateLimitResult[] = [];
    const p = limiter.limit('k').then((r) => settled.push(r));
    expect(limiter.stats().pending).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(settled[0]).toMatchObject({ allowed: true, degraded: true });
    expect(limiter.stats()).toMatchObject({ pending: 0, degraded: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers calls as the store does, in any order, and stops the timer once none is left', async () => {
    vi.useFakeTimers();
    const { store, answers } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100 });
    const a = limiter.limit('a');
    const b = limiter.limit('b');
    const c = limiter.limit('c');
    expect(limiter.stats().pending).toBe(3);
    answers[1]?.resolve({ ...allowedDecision, remaining: 1 });
    expect(await b).toMatchObject({ remaining: 1, degraded: false });
    answers[0]?.resolve({ ...allowedDecision, remaining: 0 });
    expect(await a).toMatchObject({ remaining: 0, degraded: false });
    answers[2]?.reject(new Error('down'));
    expect(await c).toMatchObject({ degraded: true });
    expect(limiter.stats()).toMatchObject({ pending: 0, allowed: 2, degraded: 1 });
    // Answers after the fact change nothing, and a new call gets a timer of its own.
    answers[2]?.resolve(allowedDecision);
    await vi.advanceTimersByTimeAsync(1000);
    expect(limiter.stats()).toMatchObject({ pending: 0, allowed: 2, degraded: 1 });
    const d = limiter.limit('d');
    await vi.advanceTimersByTimeAsync(99);
    expect(limiter.stats().pending).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await d).toMatchObject({ degraded: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out a call answered after the one the timer was armed for, on its own deadline', async () => {
    vi.useFakeTimers();
    const { store, answers } = manualStore();
    const onDegraded = vi.fn();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100, onDegraded });
    const a = limiter.limit('a'); // due at 100
    await vi.advanceTimersByTimeAsync(10);
    const b = limiter.limit('b'); // due at 110
    await vi.advanceTimersByTimeAsync(50);
    answers[0]?.resolve(allowedDecision); // the armed-for call answers first
    expect((await a).degraded).toBe(false);
    await vi.advanceTimersByTimeAsync(40); // t = 100: the timer fires with nothing due
    expect(onDegraded).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(9);
    expect(onDegraded).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect((await b).degraded).toBe(true);
    expect(onDegraded).toHaveBeenCalledWith(expect.objectContaining({ code: 'ERR_LOADSTONE_TIMEOUT' }), 'b');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('RateLimiter degraded results', () => {
  const down: RateLimitStore = {
    consume() {
      throw new Error('down');
    },
  };

  it('fails open with the burst as what remains', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, burst: 9, store: down });
    expect(await limiter.limit('k')).toEqual({
      allowed: true,
      remaining: 9,
      resetMs: 0,
      retryAfterMs: 0,
      limit: 9,
      degraded: true,
    });
    expect(limiter.stats()).toEqual({ algorithm: 'gcra', allowed: 0, denied: 0, degraded: 1, pending: 0 });
  });

  it('fails closed asking to retry after the period when it is under a second', async () => {
    const limiter = new RateLimiter({
      algorithm: 'sliding-window',
      limit: 3,
      periodMs: 250.5,
      store: down,
      onStoreError: 'fail-closed',
    });
    expect(await limiter.limit('k')).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 251,
      retryAfterMs: 251,
      limit: 3,
      degraded: true,
    });
  });

  it('names the hook and its error in the warning when onDegraded throws', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const limiter = new RateLimiter({
        limit: 5,
        periodMs: 1000,
        store: down,
        onDegraded: () => {
          throw new Error('hook bug');
        },
      });
      await limiter.limit('k');
      expect(warn).toHaveBeenCalledWith('RateLimiter onDegraded hook threw: Error: hook bug', {
        code: 'LOADSTONE_WARN_RATE_LIMIT_HOOK_THREW',
      });
    } finally {
      warn.mockRestore();
    }
  });
});
