// CircuitBreaker edges: odd rejection values, what a bad signal or an aborted health check says,
// the count of timed calls, latency sampling across a half-open episode, and the window after
// the breaker closes again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boom, ok } from '../../test/helpers/circuitBreaker.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';

describe('CircuitBreaker edges', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts a call that rejects with undefined as a failure, not an abort', async () => {
    const b = new CircuitBreaker({ name: 'e', consecutiveFailures: 1, clock: new FakeClock() });
    await expect(
      b.execute(() => Promise.reject(undefined), new AbortController().signal),
    ).rejects.toBeUndefined();
    expect(b.stats()).toMatchObject({ state: 'open', failures: 1, aborts: 0 });
  });

  it('says what it expected of a signal that is not one', async () => {
    const b = new CircuitBreaker({ name: 'e', consecutiveFailures: 1, clock: new FakeClock() });
    await expect(b.execute(ok, {} as never)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      option: 'signal',
      expected: 'an AbortSignal',
    });
  });

  it('names the breaker when a health check is aborted with a reason that is not an Error', async () => {
    const b = new CircuitBreaker({ name: 'payments', consecutiveFailures: 1, clock: new FakeClock() });
    await expect(b.check(AbortSignal.abort('stop'))).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
      message: 'health check "payments" was aborted',
      cause: 'stop',
    });
  });

  it('counts the calls made under timeoutMs', async () => {
    vi.useFakeTimers();
    const b = new CircuitBreaker({
      name: 'e',
      consecutiveFailures: 5,
      timeoutMs: 50,
      clock: new FakeClock(),
    });
    for (let i = 0; i < 4; i++) await b.execute(ok);
    await b.execute(boom).catch(() => {});
    expect(b.stats()).toMatchObject({ calls: 5, successes: 4, failures: 1 });
  });

  it('keeps timing one closed call in 16 across a half-open episode', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ name: 'e', consecutiveFailures: 1, openDurationMs: 100, clock });
    await b.execute(ok); // the first call is timed; 16 closed calls later, the next one is
    await b.execute(boom).catch(() => {}); // closed call 1 of 16: opens the breaker
    clock.advance(100);
    await b.execute(ok); // a probe: timed (not a closed call), and closes the breaker
    expect(b.stats().latency.count).toBe(2);
    for (let i = 0; i < 14; i++) await b.execute(ok); // closed calls 2 to 15
    expect(b.stats().latency.count).toBe(2);
    await b.execute(ok); // closed call 16
    expect(b.stats().latency.count).toBe(3);
  });

  it('forgets outcomes after windowMs once it has closed again', async () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({
      name: 'e',
      failureRatio: 1,
      minimumCalls: 1,
      windowMs: 1000,
      openDurationMs: 500,
      clock,
    });
    clock.advance(3000);
    await b.execute(boom).catch(() => {});
    clock.advance(500);
    await b.execute(ok); // probe: closes, with a fresh window
    expect(b.stats().window).toEqual({ calls: 0, failures: 0, failureRatio: 0 });
    await b.execute(ok);
    expect(b.stats().window?.calls).toBe(1);
    clock.advance(1000);
    expect(b.stats().window?.calls).toBe(0);
    b.reset();
    await b.execute(ok);
    clock.advance(1000);
    expect(b.stats().window?.calls).toBe(0);
  });
});
