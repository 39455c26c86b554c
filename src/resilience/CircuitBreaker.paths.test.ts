// The closed-state fast path (no signal, no timeoutMs) and the timed path (timeoutMs, through
// the shared deadline queue): the breaker's first call, and one in 16 after it, take the full
// path, so each test here warms the breaker with one call before the calls it looks at.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  advanceBoth,
  breakerOnFakeClock,
  ok,
  outcomeLog,
  settle,
} from '../../test/helpers/circuitBreaker.js';
import { TimeoutError } from '../core/errors/index.js';
import type { CircuitBreaker } from './CircuitBreaker.js';

/** A breaker on a fake clock, already past its first (full-path) call, recording its changes. */
async function warmBreaker(options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const warm = breakerOnFakeClock(3, options);
  await warm.b.execute(ok);
  return warm;
}

describe('CircuitBreaker fast path (closed, no signal, no timeoutMs)', () => {
  it('turns a synchronous throw into a rejection counted as a failure', async () => {
    const { b, changes } = await warmBreaker({ consecutiveFailures: 1 });
    const error = new Error('sync');
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = b.execute(() => {
        throw error;
      });
    }).not.toThrow();
    await expect(p).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ state: 'open', calls: 2, successes: 1, failures: 1, opened: 1 });
    expect(changes).toEqual(['closed->open:consecutive-failures']);
  });

  it('counts a synchronous throw that isFailure refuses as a success', async () => {
    const { b } = await warmBreaker({ consecutiveFailures: 1, isFailure: () => false });
    const error = new Error('not an outage');
    await expect(
      b.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ state: 'closed', successes: 2, failures: 0, consecutiveFailures: 0 });
  });

  it('resolves with what fn returns, synchronously or not', async () => {
    const { b } = await warmBreaker();
    await expect(b.execute(() => 7)).resolves.toBe(7);
    await expect(b.execute(async () => 8)).resolves.toBe(8);
    expect(b.stats()).toMatchObject({ calls: 3, successes: 3 });
  });

  it('counts the failures of the window, and a success resets the run of failures', async () => {
    const { b } = await warmBreaker({ failureRatio: 1, minimumCalls: 100, consecutiveFailures: 5 });
    const boom = async (): Promise<never> => {
      throw new Error('boom');
    };
    for (let i = 0; i < 3; i++) await b.execute(boom).catch(() => {});
    expect(b.stats()).toMatchObject({
      consecutiveFailures: 3,
      window: { calls: 4, failures: 3, failureRatio: 0.75 },
    });
    await b.execute(ok);
    expect(b.stats()).toMatchObject({
      consecutiveFailures: 0,
      window: { calls: 5, failures: 3, failureRatio: 0.6 },
    });
  });

  it('lets outcomes that arrive after the breaker opened move nothing', async () => {
    const { b, clock, changes } = await warmBreaker({ failureRatio: 1, minimumCalls: 100 });
    let finish: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const lateOk = settle(b.execute(() => new Promise<void>((resolve) => (finish = resolve))));
    const lateFail = settle(b.execute(() => new Promise<void>((_, reject) => (fail = reject))));
    const boom = () => Promise.reject(new Error('boom'));
    for (let i = 0; i < 3; i++) await b.execute(boom).catch(() => {});
    expect(b.state).toBe('open');
    const before = b.stats();
    clock.advance(500);
    finish?.();
    fail?.(new Error('late'));
    await Promise.all([lateOk, lateFail]);
    const after = b.stats();
    expect(after).toMatchObject({
      state: 'open',
      opened: 1,
      consecutiveFailures: before.consecutiveFailures,
      window: before.window,
      successes: before.successes + 1,
      failures: before.failures + 1,
    });
    expect(changes).toEqual(['closed->open:consecutive-failures']);
    clock.advance(500); // the late failure did not restart the open time
    expect(b.state).toBe('half-open');
  });
});

describe('CircuitBreaker timed path (closed, timeoutMs, no signal)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts the signal of a call that times out, and counts it once', async () => {
    vi.useFakeTimers();
    const { b, changes } = await warmBreaker({ consecutiveFailures: 1, timeoutMs: 50 });
    let seen: AbortSignal | undefined;
    let finish: (() => void) | undefined;
    const p = settle(
      b.execute((signal) => {
        seen = signal;
        return new Promise<void>((resolve) => (finish = resolve));
      }),
    );
    await vi.advanceTimersByTimeAsync(49);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = (await p) as { error: TimeoutError };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 50 });
    expect(error.message).toContain('CircuitBreaker "dep" call');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    finish?.(); // a late success moves nothing
    await vi.advanceTimersByTimeAsync(0);
    expect(b.stats()).toMatchObject({ state: 'open', successes: 1, failures: 1, timeouts: 1, opened: 1 });
    expect(changes).toEqual(['closed->open:consecutive-failures']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a late failure of a call that timed out', async () => {
    vi.useFakeTimers();
    const { b } = await warmBreaker({ consecutiveFailures: 5, timeoutMs: 50 });
    let fail: ((e: Error) => void) | undefined;
    const p = settle(b.execute(() => new Promise<void>((_, reject) => (fail = reject))));
    await vi.advanceTimersByTimeAsync(50);
    expect(((await p) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    fail?.(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.stats()).toMatchObject({ failures: 1, timeouts: 1, consecutiveFailures: 1 });
  });

  it('gives a fn that declares no parameter a signal that never aborts', async () => {
    vi.useFakeTimers();
    const { b } = await warmBreaker({ timeoutMs: 50 });
    let seen: AbortSignal | undefined;
    const p = settle(
      b.execute(function (this: unknown) {
        // biome-ignore lint/complexity/noArguments: reads the signal a 0-parameter fn is passed
        seen = arguments[0] as AbortSignal;
        return new Promise(() => {});
      }),
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(((await p) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
  });

  it('turns a synchronous throw into a rejection, leaving no timer', async () => {
    vi.useFakeTimers();
    const { b } = await warmBreaker({ consecutiveFailures: 1, timeoutMs: 50 });
    const error = new Error('sync');
    await expect(
      b.execute((_signal) => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ state: 'open', failures: 1, timeouts: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settles calls that finish in time with their own outcome', async () => {
    vi.useFakeTimers();
    const { b } = await warmBreaker({ consecutiveFailures: 5, timeoutMs: 50 });
    await expect(b.execute(async (_signal) => 'fine')).resolves.toBe('fine');
    const error = new Error('boom');
    await expect(b.execute(async (_signal) => Promise.reject(error))).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ successes: 2, failures: 1, timeouts: 0, consecutiveFailures: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(b.stats()).toMatchObject({ timeouts: 0 });
  });

  it('times out calls started together at one deadline, and counts a timeout while open once', async () => {
    vi.useFakeTimers();
    const { b, changes } = await warmBreaker({ consecutiveFailures: 1, timeoutMs: 50 });
    const hang = () => new Promise(() => {});
    const calls = [settle(b.execute(hang)), settle(b.execute(hang)), settle(b.execute(hang))];
    await vi.advanceTimersByTimeAsync(50);
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => (o as { error: unknown }).error instanceof TimeoutError)).toBe(true);
    // The first timeout opened the breaker; the other two are counted but do not reopen it.
    expect(b.stats()).toMatchObject({ state: 'open', timeouts: 3, failures: 3, opened: 1 });
    expect(changes).toEqual(['closed->open:consecutive-failures']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms the shared timer for a call that started later, for what remains of its time', async () => {
    vi.useFakeTimers();
    const { b, clock } = await warmBreaker({ consecutiveFailures: 10, timeoutMs: 100 });
    const { outcomes, track } = outcomeLog();
    let finishFirst: (() => void) | undefined;
    const first = track(
      'first',
      b.execute(() => new Promise<void>((resolve) => (finishFirst = resolve))),
    );
    await advanceBoth(clock, 30);
    const second = track(
      'second',
      b.execute(() => new Promise(() => {})),
    );
    finishFirst?.();
    await first;
    await advanceBoth(clock, 70); // the first call's deadline: nothing is due
    expect(outcomes).toEqual(['first:ok']);
    await vi.advanceTimersByTimeAsync(29);
    expect(outcomes).toEqual(['first:ok']);
    await vi.advanceTimersByTimeAsync(1); // 100 ms after the second call started
    await second;
    expect(outcomes).toEqual(['first:ok', 'second:TimeoutError']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
