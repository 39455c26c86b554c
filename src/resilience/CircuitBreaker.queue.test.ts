// CircuitBreaker: the deadline queue with calls settling out of order and a clock that does not
// start at 0, what an open breaker still reports of the closed state it left, and listeners that
// throw something other than an Error.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { advanceBoth, boom, ok, outcomeLog } from '../../test/helpers/circuitBreaker.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';

describe('CircuitBreaker deadline queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes over a call that settled behind a pending one, without counting it again', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock({ startMs: 5000 });
    const b = new CircuitBreaker({ name: 'q', consecutiveFailures: 10, timeoutMs: 50, clock });
    await b.execute(ok); // the first call takes the full path
    const { outcomes: seen, track } = outcomeLog();
    let seenByB: AbortSignal | undefined;
    const a = track(
      'a',
      b.execute(() => new Promise(() => {})),
    );
    const bCall = track(
      'b',
      b.execute(async (signal) => {
        seenByB = signal;
        return 'fast';
      }),
    );
    const c = track(
      'c',
      b.execute(() => new Promise(() => {})),
    );
    await bCall;
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([a, c]);
    expect(seen).toEqual(['b:ok', 'a:TimeoutError', 'c:TimeoutError']);
    expect(seenByB?.aborted).toBe(false);
    expect(b.stats()).toMatchObject({ successes: 2, timeouts: 2, failures: 2 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times each call out timeoutMs after it started, on a clock that does not start at 0', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock({ startMs: 100_000 });
    const b = new CircuitBreaker({ name: 'q', consecutiveFailures: 10, timeoutMs: 100, clock });
    await b.execute(ok);
    const { outcomes: seen, track } = outcomeLog();
    const first = track(
      'first',
      b.execute(() => new Promise(() => {})),
    );
    await advanceBoth(clock, 40);
    const second = track(
      'second',
      b.execute(() => new Promise(() => {})),
    );
    await advanceBoth(clock, 59);
    expect(seen).toEqual([]);
    await advanceBoth(clock, 1);
    await first;
    expect(seen).toEqual(['first:TimeoutError']);
    await advanceBoth(clock, 39);
    expect(seen).toEqual(['first:TimeoutError']);
    await advanceBoth(clock, 1);
    await second;
    expect(seen).toEqual(['first:TimeoutError', 'second:TimeoutError']);
  });

  it('times a call on the full path from its start, on a clock that does not start at 0', async () => {
    const clock = new FakeClock({ startMs: 100_000 });
    const b = new CircuitBreaker({ name: 'q', consecutiveFailures: 10, clock });
    await b.execute(async () => {
      clock.advance(40);
      return 1;
    }, new AbortController().signal);
    expect(b.stats().latency).toMatchObject({ count: 1, minMs: 40, maxMs: 40 });
  });
});

describe('CircuitBreaker while open', () => {
  it('still reports the failures in a row that opened it', async () => {
    const b = new CircuitBreaker({ name: 'o', consecutiveFailures: 3, clock: new FakeClock() });
    for (let i = 0; i < 3; i++) await b.execute(boom).catch(() => {});
    expect(b.stats()).toMatchObject({ state: 'open', consecutiveFailures: 3 });
  });

  it('still reports the window that opened it', async () => {
    const b = new CircuitBreaker({ name: 'o', failureRatio: 0.5, minimumCalls: 4, clock: new FakeClock() });
    await b.execute(ok);
    await b.execute(ok);
    await b.execute(boom).catch(() => {});
    await b.execute(boom).catch(() => {});
    expect(b.stats()).toMatchObject({
      state: 'open',
      window: { calls: 4, failures: 2, failureRatio: 0.5 },
    });
  });
});

describe('CircuitBreaker listeners', () => {
  it('warns when a listener throws something that is not an Error, and still rejects the call with its own error', async () => {
    const b = new CircuitBreaker({ name: 'l', consecutiveFailures: 1, clock: new FakeClock() });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      b.on('state:changed', () => {
        throw undefined;
      });
      await expect(b.execute(boom)).rejects.toThrow('boom');
      expect(b.state).toBe('open');
      expect(warn).toHaveBeenCalledWith(
        `A 'state:changed' listener of circuit breaker "l" threw: undefined`,
        { code: 'LOADSTONE_WARN_BREAKER_LISTENER_THREW', detail: undefined },
      );
    } finally {
      warn.mockRestore();
    }
  });
});
