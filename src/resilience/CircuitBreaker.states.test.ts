// CircuitBreaker state moves in detail: probes across generations, isolate/reset in every state,
// what check() and the listener warning report, and the latency of calls on the full path.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boom, breakerOnFakeClock, ok, settle } from '../../test/helpers/circuitBreaker.js';
import { CircuitOpenError, TimeoutError } from '../core/errors/index.js';
import type { FakeClock } from '../testing/FakeClock.js';
import type { CircuitBreaker } from './CircuitBreaker.js';

const breaker = (options: Parameters<typeof breakerOnFakeClock>[1] = {}) => breakerOnFakeClock(1, options);

/** Opens the breaker and lets openDurationMs pass: the next call is a probe. */
async function halfOpen(b: CircuitBreaker, clock: FakeClock) {
  await b.execute(boom).catch(() => {});
  clock.advance(1000);
  expect(b.state).toBe('half-open');
}

describe('CircuitBreaker probes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ignores a probe that succeeds after another probe reopened the breaker', async () => {
    const { b, clock, changes } = breaker({ halfOpenMaxProbes: 2 });
    await halfOpen(b, clock);
    let finish: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const slow = settle(b.execute(() => new Promise<string>((resolve) => (finish = () => resolve('late')))));
    const failing = settle(b.execute(() => new Promise((_, reject) => (fail = reject))));
    fail?.(new Error('down'));
    await failing;
    expect(b.state).toBe('open');
    finish?.();
    expect(await slow).toEqual({ value: 'late' });
    expect(b.state).toBe('open');
    expect(b.stats()).toMatchObject({ successes: 1, opened: 2 });
    expect(changes.at(-1)).toBe('half-open->open:probe-failed');
  });

  it('does not free a slot of the current probes when a probe of an earlier half-open aborts', async () => {
    const { b, clock } = breaker({ halfOpenMaxProbes: 2 });
    await halfOpen(b, clock);
    const controller = new AbortController();
    const stale = settle(b.execute(() => new Promise(() => {}), controller.signal));
    await b.execute(boom).catch(() => {}); // the second probe fails: open again
    clock.advance(1000);
    const hang = () => new Promise(() => {});
    void b.execute(hang);
    void b.execute(hang); // both slots of the new half-open state taken
    controller.abort(new Error('gone'));
    await stale;
    await expect(b.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(b.stats()).toMatchObject({ state: 'half-open', aborts: 1, rejections: 1 });
  });

  it('counts a probe error that isFailure refuses as a success, and closes', async () => {
    const { b, clock, changes } = breaker({ isFailure: (e) => !(e instanceof RangeError) });
    await halfOpen(b, clock);
    const notFound = new RangeError('404');
    await expect(b.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(b.state).toBe('closed');
    expect(changes.at(-1)).toBe('half-open->closed:probe-succeeded');
  });

  it('counts an error as a failure when isFailure throws', async () => {
    const { b } = breaker({
      isFailure: () => {
        throw new Error('predicate bug');
      },
    });
    const error = new Error('boom');
    await expect(b.execute(() => Promise.reject(error))).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ state: 'open', failures: 1, successes: 0 });
  });

  it('reopens when a probe times out, counting the timeout', async () => {
    vi.useFakeTimers();
    const { b, clock, changes } = breaker({ timeoutMs: 50 });
    await halfOpen(b, clock);
    const probe = settle(b.execute(() => new Promise(() => {})));
    await vi.advanceTimersByTimeAsync(50);
    expect(((await probe) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(b.stats()).toMatchObject({ state: 'open', timeouts: 1, failures: 2, opened: 2 });
    expect(changes.at(-1)).toBe('half-open->open:probe-failed');
  });

  it('starts a closed breaker afresh after a successful probe', async () => {
    const { b, clock } = breaker({ failureRatio: 0.5, minimumCalls: 2, consecutiveFailures: 3 });
    await b.execute(ok);
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('open');
    clock.advance(1000);
    await b.execute(ok);
    expect(b.stats()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      window: { calls: 0, failures: 0, failureRatio: 0 },
    });
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('closed'); // 1 call: below minimumCalls
  });

  it('tells how long is left of the open time', async () => {
    const { b, clock } = breaker();
    await b.execute(boom).catch(() => {});
    clock.advance(999);
    await expect(b.execute(ok)).rejects.toMatchObject({ retryAfterMs: 1 });
    expect(b.stats().rejections).toBe(1);
  });
});

describe('CircuitBreaker isolate and reset', () => {
  it('keeps an open breaker open on isolate, without a second event', async () => {
    const { b, clock, changes } = breaker();
    await b.execute(boom).catch(() => {});
    b.isolate();
    clock.advance(5000);
    expect(b.stats()).toMatchObject({ state: 'open', isolated: true, opened: 1 });
    await expect(b.execute(ok)).rejects.toMatchObject({ retryAfterMs: Number.POSITIVE_INFINITY });
    b.reset();
    expect(b.stats()).toMatchObject({ state: 'closed', isolated: false });
    expect(changes).toEqual(['closed->open:consecutive-failures', 'open->closed:reset']);
  });

  it('opens a half-open breaker on isolate', async () => {
    const { b, clock, changes } = breaker();
    await halfOpen(b, clock);
    b.isolate();
    expect(changes.at(-1)).toBe('half-open->open:isolated');
    expect(b.stats()).toMatchObject({ state: 'open', opened: 2 });
  });

  it('forgets failures on reset while closed, without an event', async () => {
    const { b, changes } = breaker({ failureRatio: 0.9, minimumCalls: 3, consecutiveFailures: 3 });
    await b.execute(boom).catch(() => {});
    await b.execute(boom).catch(() => {});
    b.reset();
    expect(b.stats()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      failures: 2,
      window: { calls: 0, failures: 0 },
    });
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('moves an open breaker to half-open only once openDurationMs has passed since it opened', async () => {
    const { b, clock } = breaker({ openDurationMs: 0 });
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('half-open');
    const slow = breaker();
    await slow.b.execute(boom).catch(() => {});
    slow.clock.advance(999);
    expect(slow.b.state).toBe('open');
    void clock;
  });
});

describe('CircuitBreaker reports', () => {
  it('details the state and window in check()', async () => {
    const { b } = breaker({ failureRatio: 0.9, minimumCalls: 5, consecutiveFailures: 5 });
    await b.execute(ok);
    await b.execute(boom).catch(() => {});
    expect(await b.check()).toEqual({
      status: 'healthy',
      message: 'circuit breaker "dep" is closed',
      details: {
        state: 'closed',
        isolated: false,
        consecutiveFailures: 1,
        windowCalls: 2,
        windowFailureRatio: 0.5,
      },
    });
    const plain = breaker();
    plain.b.isolate();
    expect(await plain.b.check()).toEqual({
      status: 'critical',
      message: 'circuit breaker "dep" is open',
      details: { state: 'open', isolated: true, consecutiveFailures: 0 },
    });
    await expect(plain.b.check(new AbortController().signal)).resolves.toMatchObject({ status: 'critical' });
  });

  it('names the breaker and the listener error in the warning', async () => {
    const { b } = breaker();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const bug = new Error('listener bug');
      b.on('state:changed', () => {
        throw bug;
      });
      await b.execute(boom).catch(() => {});
      expect(warn).toHaveBeenCalledWith(
        `A 'state:changed' listener of circuit breaker "dep" threw: Error: listener bug`,
        { code: 'LOADSTONE_WARN_BREAKER_LISTENER_THREW', detail: bug.stack },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('times calls on the full path from start to end, failures included, aborts not', async () => {
    const { b, clock } = breaker({ consecutiveFailures: 5 });
    const signal = new AbortController().signal;
    await b.execute(async () => {
      clock.advance(250);
      return 1;
    }, signal);
    await b
      .execute(async () => {
        clock.advance(100);
        throw new Error('slow failure');
      }, signal)
      .catch(() => {});
    const controller = new AbortController();
    const aborted = settle(b.execute(() => new Promise(() => {}), controller.signal));
    clock.advance(5000);
    controller.abort();
    await aborted;
    expect(b.stats().latency).toMatchObject({ count: 2, minMs: 100, maxMs: 250 });
  });
});
