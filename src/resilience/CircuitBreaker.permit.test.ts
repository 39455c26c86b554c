import { describe, expect, it } from 'vitest';
import { breakerOnFakeClock } from '../../test/helpers/circuitBreaker.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';

// tryAcquire: admission for calls the caller runs itself (LoadBalancer's failure accrual).
describe('CircuitBreaker.tryAcquire', () => {
  it('example: a call run outside execute', () => {
    const clock = new FakeClock();
    // #region tryAcquire
    const breaker = new CircuitBreaker({ name: 'search', consecutiveFailures: 2, clock });
    const permit = breaker.tryAcquire();
    if (permit === undefined) {
      // Open: fail fast, or try another backend.
    } else {
      clock.advance(12); // … the call runs …
      permit.success(); // or permit.failure(), or permit.release() if it was abandoned
    }
    // #endregion tryAcquire
    expect(breaker.stats()).toMatchObject({ calls: 1, successes: 1 });
    expect(breaker.stats().latency.maxMs).toBe(12);
  });

  it('counts failures towards opening, refuses while open, and admits one probe when half-open', () => {
    const { b, clock, changes } = breakerOnFakeClock(2);
    b.tryAcquire()?.failure();
    expect(b.state).toBe('closed');
    b.tryAcquire()?.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBeUndefined();
    expect(b.stats().rejections).toBe(1);
    clock.advance(1000);
    const probe = b.tryAcquire();
    expect(probe?.probe).toBe(true);
    expect(b.tryAcquire()).toBeUndefined(); // its one slot is taken
    probe?.failure();
    expect(b.state).toBe('open');
    clock.advance(1000);
    b.tryAcquire()?.success();
    expect(b.state).toBe('closed');
    expect(changes).toEqual([
      'closed->open:consecutive-failures',
      'open->half-open:open-duration-elapsed',
      'half-open->open:probe-failed',
      'open->half-open:open-duration-elapsed',
      'half-open->closed:probe-succeeded',
    ]);
    expect(b.stats()).toMatchObject({ calls: 4, successes: 1, failures: 3, rejections: 2 });
  });

  it('frees a released probe’s slot, and counts the release as an abort, not an outcome', () => {
    const { b, clock } = breakerOnFakeClock(1);
    b.tryAcquire()?.failure();
    clock.advance(1000);
    const probe = b.tryAcquire();
    probe?.release();
    expect(b.state).toBe('half-open');
    const next = b.tryAcquire();
    expect(next?.probe).toBe(true);
    expect(b.stats()).toMatchObject({ aborts: 1, failures: 1, successes: 0 });
  });

  it('settles a permit once: later settlements do nothing', () => {
    const { b } = breakerOnFakeClock(2);
    const permit = b.tryAcquire();
    expect(permit?.probe).toBe(false);
    permit?.failure();
    permit?.failure();
    permit?.success();
    permit?.release();
    expect(b.stats()).toMatchObject({ calls: 1, failures: 1, successes: 0, aborts: 0 });
    expect(b.state).toBe('closed');
  });

  it('lets the outcome of a call admitted before a state change move nothing', () => {
    const { b } = breakerOnFakeClock(1);
    const early = b.tryAcquire();
    b.tryAcquire()?.failure();
    expect(b.state).toBe('open');
    early?.success();
    expect(b.state).toBe('open');
  });

  it('ignores an outcome reported after a release', () => {
    const { b } = breakerOnFakeClock(1);
    const permit = b.tryAcquire();
    permit?.release();
    permit?.failure();
    expect(b.state).toBe('closed');
    expect(b.stats()).toMatchObject({ calls: 1, aborts: 1, failures: 0 });
  });

  it('records a permit’s latency from its admission to its settlement', () => {
    const clock = new FakeClock({ startMs: 50_000 });
    const breaker = new CircuitBreaker({ name: 'search', consecutiveFailures: 2, clock });
    const permit = breaker.tryAcquire();
    clock.advance(30);
    permit?.failure();
    expect(breaker.stats().latency.maxMs).toBe(30);
  });
});
