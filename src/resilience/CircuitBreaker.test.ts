import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  advanceBoth,
  boom,
  breakerOnFakeClock,
  ok,
  outcomeLog,
  settle,
} from '../../test/helpers/circuitBreaker.js';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { CircuitOpenError, TimeoutError } from '../core/errors/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';
import type { CircuitStateChangedEvent } from './CircuitBreakerOptions.js';

/** A breaker on a fake clock that records its state changes. */
const breaker = (options: Parameters<typeof breakerOnFakeClock>[1] = {}) => breakerOnFakeClock(3, options);

describe('CircuitBreaker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('guards a dependency', async () => {
    const fetchUser = async (id: string, signal: AbortSignal) => ({ id, signal });
    let greeting = '';
    // #region circuitBreaker
    const users = new CircuitBreaker({
      name: 'users-api',
      failureRatio: 0.5, // open when half the calls in the window fail…
      minimumCalls: 20, // …once the window holds at least 20 calls
      windowMs: 10_000,
      consecutiveFailures: 5, // or after 5 failures in a row
      openDurationMs: 5_000, // then refuse calls for 5 s before probing
      timeoutMs: 2_000, // a call slower than 2 s fails with TimeoutError
      isFailure: (error) => !(error instanceof RangeError), // a bad request is not an outage
    });
    users.on('state:changed', ({ from, to, reason }) =>
      console.info(`users-api ${from} → ${to} (${reason})`),
    );

    try {
      const user = await users.execute((signal) => fetchUser('42', signal));
      greeting = `hello ${user.id}`;
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        // fail fast: serve a cached copy, or answer 503 with Retry-After: error.retryAfterMs / 1000
      } else throw error;
    }
    // #endregion circuitBreaker
    expect(greeting).toBe('hello 42');
    expect(users.stats()).toMatchObject({ state: 'closed', calls: 1, successes: 1 });
  });

  it('opens after consecutive failures, refuses calls, probes after openDurationMs and closes', async () => {
    const { b, clock, changes } = breaker();
    for (let i = 0; i < 2; i++) await expect(b.execute(boom)).rejects.toThrow('boom');
    expect(b.state).toBe('closed');
    await expect(b.execute(ok)).resolves.toBe('ok'); // a success resets the count
    for (let i = 0; i < 3; i++) await expect(b.execute(boom)).rejects.toThrow('boom');
    expect(b.state).toBe('open');

    const fn = vi.fn(ok);
    clock.advance(400);
    const refused = (await settle(b.execute(fn))) as { error: CircuitOpenError };
    expect(refused.error).toBeInstanceOf(CircuitOpenError);
    expect(refused.error.code).toBe('ERR_LOADSTONE_CIRCUIT_OPEN');
    expect(refused.error.retryAfterMs).toBe(600);
    expect(refused.error.breaker).toBe('dep');
    expect(fn).not.toHaveBeenCalled();

    clock.advance(600);
    await expect(b.execute(fn)).resolves.toBe('ok');
    expect(b.state).toBe('closed');
    expect(changes).toEqual([
      'closed->open:consecutive-failures',
      'open->half-open:open-duration-elapsed',
      'half-open->closed:probe-succeeded',
    ]);
    expect(b.stats()).toMatchObject({
      calls: 7,
      successes: 2,
      failures: 5,
      rejections: 1,
      opened: 1,
      consecutiveFailures: 0,
    });
  });

  it('opens on the failure ratio once the window holds minimumCalls, forgetting old outcomes', async () => {
    const { b, clock, changes } = breaker({
      consecutiveFailures: undefined,
      failureRatio: 0.5,
      minimumCalls: 4,
      windowMs: 1000,
    });
    await b.execute(boom).catch(() => {});
    await b.execute(boom).catch(() => {});
    await b.execute(ok);
    expect(b.state).toBe('closed'); // 2/3 failed, but fewer than 4 calls
    clock.advance(1000); // all three leave the window
    expect(b.stats().window).toEqual({ calls: 0, failures: 0, failureRatio: 0 });
    await b.execute(ok);
    await b.execute(ok);
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('closed'); // 1/3
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('open'); // 2/4 = 0.5
    expect(changes).toEqual(['closed->open:failure-ratio']);
  });

  it('keeps an outcome in the window for windowMs at most, and 0.9 · windowMs at least', async () => {
    const opts = { consecutiveFailures: undefined, failureRatio: 1, minimumCalls: 2, windowMs: 1000 };
    for (const [gap, expected] of [
      [899, 'open'],
      [999, 'open'], // same bucket boundary: t=0 is in bucket 0, t=999 in bucket 9
      [1000, 'closed'],
    ] as const) {
      const { b, clock } = breaker(opts);
      await b.execute(boom).catch(() => {});
      clock.advance(gap);
      await b.execute(boom).catch(() => {});
      expect(b.state).toBe(expected);
    }
    const { b, clock } = breaker(opts);
    clock.advance(50); // mid-bucket: the outcome leaves when its bucket does, 950 ms later
    await b.execute(boom).catch(() => {});
    clock.advance(949);
    expect(b.stats().window?.calls).toBe(1);
    clock.advance(1);
    expect(b.stats().window?.calls).toBe(0);
  });

  it('reopens when a probe fails, and admits only halfOpenMaxProbes probes at once', async () => {
    const { b, clock, changes } = breaker({ consecutiveFailures: 1, halfOpenMaxProbes: 2 });
    await b.execute(boom).catch(() => {});
    clock.advance(1000);
    let failProbe: (e: Error) => void = () => {};
    const probe1 = settle(b.execute(() => new Promise((_, reject) => (failProbe = reject))));
    const probe2 = settle(b.execute(() => new Promise(() => {})));
    const third = (await settle(b.execute(ok))) as { error: CircuitOpenError };
    expect(third.error).toBeInstanceOf(CircuitOpenError);
    expect(third.error.retryAfterMs).toBe(0);
    failProbe(new Error('still down'));
    await probe1;
    expect(b.state).toBe('open');
    expect(changes.at(-1)).toBe('half-open->open:probe-failed');
    clock.advance(999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open');
    void probe2;
  });

  it('ignores outcomes of calls that started before a state change', async () => {
    const { b, clock } = breaker({ consecutiveFailures: 1 });
    let failSlow: (e: Error) => void = () => {};
    const slow = settle(b.execute(() => new Promise((_, reject) => (failSlow = reject))));
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('open');
    clock.advance(500);
    failSlow(new Error('late'));
    await slow;
    clock.advance(500); // the late failure did not restart the open time
    expect(b.state).toBe('half-open');
    expect(b.stats().failures).toBe(2);
  });

  it('times out a slow call: TimeoutError, signal aborted, counted as a failure', async () => {
    vi.useFakeTimers();
    const { b } = breaker({ consecutiveFailures: 1, timeoutMs: 50 });
    let seen: AbortSignal | undefined;
    const p = settle(
      b.execute((signal) => {
        seen = signal;
        return new Promise(() => {});
      }),
    );
    await vi.advanceTimersByTimeAsync(50);
    const { error } = (await p) as { error: TimeoutError };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.timeoutMs).toBe(50);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(b.stats()).toMatchObject({ state: 'open', timeouts: 1, failures: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times calls out with one shared timer, not one per call, gone once nothing is pending', async () => {
    vi.useFakeTimers();
    const { b } = breaker({ timeoutMs: 50 });
    for (let i = 0; i < 20; i++) await expect(b.execute(ok)).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(vi.getTimerCount()).toBe(0);
    expect(b.stats()).toMatchObject({ timeouts: 0, failures: 0, successes: 20 });
  });

  it('times out, in start order, the calls still pending when their deadline passes', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const b = new CircuitBreaker({ name: 'queue', consecutiveFailures: 100, timeoutMs: 50, clock });
    const { outcomes, track } = outcomeLog();
    let finishB: (() => void) | undefined;
    const a = track(
      'a',
      b.execute(() => new Promise(() => {})),
    ); // never settles
    await advanceBoth(clock, 20);
    const bCall = track(
      'b',
      b.execute(() => new Promise<void>((resolve) => (finishB = resolve))),
    );
    await advanceBoth(clock, 10);
    const c = track(
      'c',
      b.execute(() => new Promise(() => {})),
    );
    await advanceBoth(clock, 20); // t = 50: a's deadline
    expect(outcomes).toEqual(['a:TimeoutError']);
    finishB?.(); // b settles in time (t = 50 < 70)
    await bCall;
    await advanceBoth(clock, 30); // t = 80: c's deadline (started at 30)
    await Promise.all([a, c]);
    expect(outcomes).toEqual(['a:TimeoutError', 'b:ok', 'c:TimeoutError']);
    expect(b.stats()).toMatchObject({ timeouts: 2, failures: 2, successes: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once with signal.reason on a caller abort, and does not count it', async () => {
    const { b } = breaker({ consecutiveFailures: 1 });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const p = settle(
      b.execute((signal) => {
        seen = signal;
        return new Promise(() => {});
      }, controller.signal),
    );
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(await p).toEqual({ error: reason });
    expect(seen?.aborted).toBe(true);
    expect(b.stats()).toMatchObject({ state: 'closed', aborts: 1, failures: 0, successes: 0 });

    const fn = vi.fn(ok);
    await expect(b.execute(fn, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it('releases a probe slot when the caller aborts the probe', async () => {
    const { b, clock } = breaker({ consecutiveFailures: 1 });
    await b.execute(boom).catch(() => {});
    clock.advance(1000);
    const controller = new AbortController();
    const probe = settle(b.execute(() => new Promise(() => {}), controller.signal));
    await expect(b.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    controller.abort();
    await probe;
    expect(b.state).toBe('half-open');
    await expect(b.execute(ok)).resolves.toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('counts errors that isFailure refuses as successes, passing them through unchanged', async () => {
    const { b } = breaker({ consecutiveFailures: 1, isFailure: (e) => !(e instanceof RangeError) });
    const notFound = new RangeError('404');
    await expect(b.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(b.stats()).toMatchObject({ state: 'closed', successes: 1, failures: 0 });
  });

  it('treats a synchronous throw as a rejected call, never throwing synchronously', async () => {
    const { b } = breaker({ consecutiveFailures: 1 });
    const error = new Error('sync');
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = b.execute(() => {
        throw error;
      });
    }).not.toThrow();
    await expect(p).rejects.toBe(error);
    expect(b.state).toBe('open');
  });

  it('passes a never-aborted signal and starts no timer on the fast path', async () => {
    vi.useFakeTimers();
    const { b } = breaker();
    const signals: AbortSignal[] = [];
    for (let i = 0; i < 40; i++) {
      await b.execute((signal) => {
        signals.push(signal);
        expect(vi.getTimerCount()).toBe(0);
        return i;
      });
    }
    expect(signals.every((s) => !s.aborted)).toBe(true);
    const stats = b.stats();
    expect(stats.calls).toBe(40);
    expect(stats.latency.count).toBeGreaterThanOrEqual(2); // sampled: 1 in 16
    expect(stats.latency.count).toBeLessThan(40);
  });

  it('times every call that carries a signal, and one in 16 of the others', async () => {
    const { b } = breaker({ timeoutMs: 1000 });
    for (let i = 0; i < 5; i++) await b.execute(ok, new AbortController().signal);
    expect(b.stats().latency.count).toBe(5);
    for (let i = 0; i < 32; i++) await b.execute(ok); // timed out through the deadline queue
    expect(b.stats().latency.count).toBe(7);
  });

  it('reports stats as a plain, serialisable snapshot', async () => {
    const { b } = breaker({ consecutiveFailures: undefined, failureRatio: 0.9 });
    await b.execute(ok);
    await b.execute(boom).catch(() => {});
    const stats = b.stats();
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(stats).toMatchObject({
      name: 'dep',
      state: 'closed',
      isolated: false,
      calls: 2,
      successes: 1,
      failures: 1,
      timeouts: 0,
      aborts: 0,
      rejections: 0,
      opened: 0,
      consecutiveFailures: 1,
      window: { calls: 2, failures: 1, failureRatio: 0.5 },
    });
    expect(b.stats()).not.toBe(stats);
    expect(breaker().b.stats().window).toBeNull();
  });

  it('is a health check: healthy, degraded, critical', async () => {
    const { b, clock } = breaker({ consecutiveFailures: 1 });
    expect((await b.check()).status).toBe('healthy');
    await b.execute(boom).catch(() => {});
    expect(await b.check()).toMatchObject({ status: 'critical', details: { state: 'open' } });
    clock.advance(1000);
    expect((await b.check()).status).toBe('degraded');
    await expect(b.check(AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
  });

  it('isolates until reset', async () => {
    const { b, clock, changes } = breaker();
    b.isolate();
    clock.advance(1_000_000);
    const { error } = (await settle(b.execute(ok))) as { error: CircuitOpenError };
    expect(error.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
    expect(b.stats()).toMatchObject({ state: 'open', isolated: true });
    b.reset();
    await expect(b.execute(ok)).resolves.toBe('ok');
    expect(changes).toEqual(['closed->open:isolated', 'open->closed:reset']);
  });

  it('warns, and still changes state, when a listener throws', async () => {
    const { b } = breaker({ consecutiveFailures: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    b.on('state:changed', () => {
      throw new Error('listener bug');
    });
    await expect(b.execute(boom)).rejects.toThrow('boom');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(b.state).toBe('open');
    expect(
      warnings.some((w) => (w as Error & { code?: string }).code === 'LOADSTONE_WARN_BREAKER_LISTENER_THREW'),
    ).toBe(true);
  });

  it('emits one plain payload per change', async () => {
    const { b } = breaker({ consecutiveFailures: 1 });
    const events: CircuitStateChangedEvent[] = [];
    b.on('state:changed', (e) => events.push(e));
    await b.execute(boom).catch(() => {});
    expect(events).toEqual([{ name: 'dep', from: 'closed', to: 'open', reason: 'consecutive-failures' }]);
  });

  describe('refuses bad options with ERR_LOADSTONE_INVALID_OPTION naming the option', () => {
    const make = (options: unknown) => () => new CircuitBreaker(options as never);
    const base = { name: 'x', consecutiveFailures: 1 };
    const cases: [string, () => unknown, string, string][] = [
      ['no options', make(undefined), 'options', 'an object'],
      ['no name', make({ consecutiveFailures: 1 }), 'options.name', 'a non-empty string'],
      ['no rule', make({ name: 'x' }), 'options.failureRatio', 'a number (or'],
      [
        'a zero ratio',
        make({ name: 'x', failureRatio: 0 }),
        'options.failureRatio',
        'a finite number > 0 and <= 1',
      ],
      [
        'a ratio above 1',
        make({ name: 'x', failureRatio: 1.5 }),
        'options.failureRatio',
        'a finite number > 0',
      ],
      [
        'zero minimumCalls',
        make({ name: 'x', failureRatio: 0.5, minimumCalls: 0 }),
        'options.minimumCalls',
        'an integer >= 1',
      ],
      [
        'a zero window',
        make({ name: 'x', failureRatio: 0.5, windowMs: 0 }),
        'options.windowMs',
        'a finite number >= 1',
      ],
      [
        'a window without a ratio',
        make({ ...base, windowMs: 100 }),
        'options.windowMs',
        'absent: it applies only',
      ],
      ['minimumCalls without a ratio', make({ ...base, minimumCalls: 5 }), 'options.minimumCalls', 'absent'],
      [
        'zero consecutiveFailures',
        make({ name: 'x', consecutiveFailures: 0 }),
        'options.consecutiveFailures',
        'an integer >= 1',
      ],
      [
        'a negative open duration',
        make({ ...base, openDurationMs: -1 }),
        'options.openDurationMs',
        'a finite number >= 0',
      ],
      [
        'zero probes',
        make({ ...base, halfOpenMaxProbes: 0 }),
        'options.halfOpenMaxProbes',
        'an integer >= 1',
      ],
      [
        'an infinite timeout',
        make({ ...base, timeoutMs: Number.POSITIVE_INFINITY }),
        'options.timeoutMs',
        'a finite number >= 0',
      ],
      [
        'a timeout past setTimeout',
        make({ ...base, timeoutMs: 2 ** 31 }),
        'options.timeoutMs',
        'a finite number >= 0 and <= 2147483647',
      ],
      ['isFailure not a function', make({ ...base, isFailure: 'yes' }), 'options.isFailure', 'a function'],
      ['a clock without now', make({ ...base, clock: {} }), 'options.clock', 'a Clock'],
      [
        "opossum's resetTimeout",
        make({ ...base, resetTimeout: 10 }),
        'options.resetTimeout',
        'absent: use `options.openDurationMs`',
      ],
      [
        'a misspelt option',
        make({ ...base, timeOutMs: 10 }),
        'options.timeOutMs',
        'absent: it is not an option',
      ],
    ];
    it.each(cases)('%s', (_name, act, option, expected) => expectInvalidOption(act, option, expected));

    it('rejects (never throws) a bad fn or signal', async () => {
      const b = new CircuitBreaker(base);
      let p: Promise<unknown> | undefined;
      expect(() => {
        p = b.execute(42 as never);
      }).not.toThrow();
      await expect(p).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'fn' });
      await expect(b.execute(ok, {} as never)).rejects.toMatchObject({ option: 'signal' });
      expect(b.stats().calls).toBe(0);
    });
  });
});
