// CircuitBreaker options: the names other libraries use, the defaults as a caller sees them, and
// the full path's signal and time limit (a call with a signal, or a breaker's first call).
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boom, ok, settle } from '../../test/helpers/circuitBreaker.js';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { TimeoutError } from '../core/errors/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';

describe('CircuitBreaker options', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['timeout', 'timeoutMs'],
    ['resetTimeout', 'openDurationMs'],
    ['halfOpenAfter', 'openDurationMs'],
    ['errorThresholdPercentage', 'failureRatio'],
    ['volumeThreshold', 'minimumCalls'],
    ['rollingCountTimeout', 'windowMs'],
    ['errorFilter', 'isFailure'],
  ])('names the replacement of %s', (old, replacement) => {
    expectInvalidOption(
      () => new CircuitBreaker({ name: 'x', consecutiveFailures: 1, [old]: 1 } as never),
      `options.${old}`,
      `absent: use \`options.${replacement}\``,
    );
  });

  it('names the owner of an unknown option, and refuses options that are not an object', () => {
    expectInvalidOption(
      () => new CircuitBreaker({ name: 'x', consecutiveFailures: 1, retries: 3 } as never),
      'options.retries',
      'absent: it is not an option of CircuitBreaker',
    );
    expectInvalidOption(() => new CircuitBreaker(5 as never), 'options', 'an object');
    expectInvalidOption(
      () => new CircuitBreaker({ name: 'x' } as never),
      'options.failureRatio',
      'a number (or `options.consecutiveFailures` set): a breaker needs a rule to open',
    );
  });

  it('accepts every option at once, and the edges of each range', () => {
    const b = new CircuitBreaker({
      name: 'all',
      failureRatio: 1,
      minimumCalls: 1,
      windowMs: 1,
      consecutiveFailures: 1,
      openDurationMs: 0,
      halfOpenMaxProbes: 1,
      timeoutMs: 2 ** 31 - 1,
      isFailure: () => true,
      clock: new FakeClock(),
    });
    expect(b.name).toBe('all');
    expect(b.stats().window).toEqual({ calls: 0, failures: 0, failureRatio: 0 });
  });

  it('opens for 10 s by default, and lets one probe through at a time', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 1, clock });
    await b.execute(boom).catch(() => {});
    await expect(b.execute(ok)).rejects.toMatchObject({ retryAfterMs: 10_000 });
    clock.advance(9_999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open');
    const probe = b.execute(() => new Promise(() => {}));
    await expect(b.execute(ok)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_CIRCUIT_OPEN',
      retryAfterMs: 0,
    });
    void probe;
  });

  it('needs 10 calls in a 10 s window by default for the failure ratio', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ name: 'd', failureRatio: 1, clock });
    for (let i = 0; i < 9; i++) await b.execute(boom).catch(() => {});
    expect(b.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 9 });
    clock.advance(9_000);
    expect(b.stats().window?.calls).toBe(9);
    clock.advance(1_000);
    expect(b.stats().window?.calls).toBe(0);
    for (let i = 0; i < 9; i++) await b.execute(boom).catch(() => {});
    expect(b.state).toBe('closed');
    await b.execute(boom).catch(() => {});
    expect(b.state).toBe('open');
  });

  it('sets no time limit by default', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 1, clock: new FakeClock() });
    let finish: (() => void) | undefined;
    const p = b.execute(() => new Promise<string>((resolve) => (finish = () => resolve('late'))));
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    finish?.();
    await expect(p).resolves.toBe('late');
  });
});

describe('CircuitBreaker full path: signal and time limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a call with a signal and no time limit take as long as it takes', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 1, clock: new FakeClock() });
    let finish: (() => void) | undefined;
    const p = b.execute(
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
      new AbortController().signal,
    );
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    finish?.();
    await expect(p).resolves.toBe('done');
  });

  it('clears the timer of a call that ends in time, and stops listening to its signal', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({
      name: 'd',
      consecutiveFailures: 5,
      timeoutMs: 100,
      clock: new FakeClock(),
    });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await expect(
      b.execute(async (signal) => {
        seen = signal;
        return 'fine';
      }, controller.signal),
    ).resolves.toBe('fine');
    const error = new Error('boom');
    await expect(b.execute(async (_signal) => Promise.reject(error), controller.signal)).rejects.toBe(error);
    expect(vi.getTimerCount()).toBe(0);
    controller.abort(new Error('after the fact'));
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.stats()).toMatchObject({ successes: 1, failures: 1, timeouts: 0, aborts: 0 });
  });

  it('times out a call that has a signal, naming the breaker', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({
      name: 'api',
      consecutiveFailures: 5,
      timeoutMs: 100,
      clock: new FakeClock(),
    });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const p = settle(
      b.execute((signal) => {
        seen = signal;
        return new Promise(() => {});
      }, controller.signal),
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = (await p) as { error: TimeoutError };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('CircuitBreaker "api" call timed out after 100 ms');
    expect(seen?.reason).toBe(error);
    controller.abort(); // too late to count as an abort
    expect(b.stats()).toMatchObject({ timeouts: 1, failures: 1, aborts: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wraps an abort reason that is not an Error, naming the call', async () => {
    const b = new CircuitBreaker({ name: 'api', consecutiveFailures: 1, clock: new FakeClock() });
    const controller = new AbortController();
    const p = settle(b.execute(() => new Promise(() => {}), controller.signal));
    controller.abort('bye');
    const { error } = (await p) as { error: Error & { code: string; cause: unknown } };
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_ABORTED', cause: 'bye' });
    expect(error.message).toBe('CircuitBreaker "api" call was aborted');
    const already = (await settle(b.execute(ok, AbortSignal.abort('early')))) as { error: Error };
    expect(already.error.message).toBe('CircuitBreaker "api" call was aborted');
    expect(b.stats()).toMatchObject({ calls: 1, aborts: 1, state: 'closed' });
  });

  it('gives a fn that declares no parameter a signal that never aborts, on the full path too', async () => {
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 1, clock: new FakeClock() });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const p = settle(
      b.execute(function (this: unknown) {
        // biome-ignore lint/complexity/noArguments: reads the signal a 0-parameter fn is passed
        seen = arguments[0] as AbortSignal;
        return new Promise(() => {});
      }, controller.signal),
    );
    controller.abort(new Error('gone'));
    await p;
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
  });

  it('rejects a synchronous throw of fn on the full path, counted as a failure, leaving nothing behind', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({
      name: 'd',
      consecutiveFailures: 1,
      timeoutMs: 100,
      clock: new FakeClock(),
    });
    const controller = new AbortController();
    const error = new Error('sync');
    await expect(
      b.execute((_signal) => {
        throw error;
      }, controller.signal),
    ).rejects.toBe(error);
    expect(b.stats()).toMatchObject({ state: 'open', failures: 1, timeouts: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on the signal after it aborts a call that never ends', async () => {
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 100, clock: new FakeClock() });
    const controller = new AbortController();
    const call = b.execute((_signal) => new Promise(() => {}), controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on a shared signal once calls are over', async () => {
    const b = new CircuitBreaker({ name: 'd', consecutiveFailures: 100, clock: new FakeClock() });
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) {
      await b.execute(async (_signal) => i, controller.signal);
      await b.execute(async (_signal) => Promise.reject(new Error('x')), controller.signal).catch(() => {});
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
