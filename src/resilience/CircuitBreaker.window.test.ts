// The failure-ratio window on the real clock: successes read the time once per bucket (a timer
// says when the bucket ends), and still land in the bucket they happened in. Fake timers stand
// in for both the timers and `performance.now()`, so the clock moves only when told.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { boom, ok } from '../../test/helpers/circuitBreaker.js';
import { CircuitBreaker } from './CircuitBreaker.js';
import { READ_AT_LEAST_EVERY } from './CircuitBreakerWindow.js';

/** windowMs 1,000: ten buckets of 100 ms. */
function ratioBreaker(): CircuitBreaker {
  return new CircuitBreaker({ name: 'w', failureRatio: 0.5, minimumCalls: 100, windowMs: 1_000 });
}

async function succeed(b: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await b.execute(ok);
}

describe('CircuitBreaker window on the real clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    // Off zero and off a bucket's edge: the breaker is made at 12,345 ms, in the bucket that
    // ends at 12,400.
    vi.advanceTimersByTime(12_345);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops successes once they leave the window, bucket by bucket', async () => {
    const b = ratioBreaker();
    await succeed(b, 5);
    vi.advanceTimersByTime(500);
    await succeed(b, 3);
    expect(b.stats().window?.calls).toBe(8);
    vi.advanceTimersByTime(550); // the first five are more than 1,000 ms old
    expect(b.stats().window?.calls).toBe(3);
    vi.advanceTimersByTime(500);
    expect(b.stats().window?.calls).toBe(0);
  });

  it('counts a success after a bucket ends in the new bucket, not the one it last read', async () => {
    const b = ratioBreaker();
    await succeed(b, 4); // reads the clock once, arms the end of this bucket
    vi.advanceTimersByTime(150); // that bucket has ended: the timer said so
    await succeed(b, 2); // so this reads the clock again: a later bucket
    vi.advanceTimersByTime(900); // the first four leave the window, these two not yet
    expect(b.stats().window?.calls).toBe(2);
  });

  it('reads the clock once per bucket, not once per success', async () => {
    const b = ratioBreaker();
    const now = vi.spyOn(performance, 'now');
    // Call 1 is timed for latency (one call in 16 is: reads of its own), call 2 reads the time
    // for its bucket; calls 3 to 16 need no read.
    await succeed(b, 2);
    now.mockClear();
    await succeed(b, 10);
    expect(now).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    await succeed(b, 4);
    expect(now).toHaveBeenCalledTimes(1);
  });

  it('needs no read up to the very end of the bucket', async () => {
    const b = ratioBreaker();
    await succeed(b, 2); // arms at 12,345 for the end at 12,400
    const now = vi.spyOn(performance, 'now');
    vi.advanceTimersByTime(54.5); // 12,399.5: the last half millisecond of the bucket
    now.mockClear();
    await succeed(b, 5);
    expect(now).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000 - 55); // 13,344.5: the bucket of 12,300 to 12,400 has left, all 7 with it
    expect(b.stats().window?.calls).toBe(0);
  });

  it('keeps counting failures at their own time between the reads of successes', async () => {
    const b = ratioBreaker();
    await succeed(b, 3);
    vi.advanceTimersByTime(950);
    await b.execute(boom).catch(() => {});
    await succeed(b, 2); // the bucket that the failure opened: still current
    vi.advanceTimersByTime(100); // the first three leave
    expect(b.stats().window).toMatchObject({ calls: 3, failures: 1 });
  });

  it('arms no timer while no success comes', async () => {
    const b = ratioBreaker();
    await succeed(b, 2);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(vi.getTimerCount()).toBe(0); // no success since: nothing re-armed
  });

  it('reads the time at least once in 1,024 successes, though the timer is held back', async () => {
    const b = ratioBreaker();
    await succeed(b, 2); // the second arms the timer
    const now = vi.spyOn(performance, 'now');
    now.mockClear();
    // Calls 3 to 1,202. One call in 16 (1, 17, 33, …) is timed for latency: two reads of its own,
    // and its success is counted at that time. The other 1,125 are the window's to read for.
    await succeed(b, 1_200);
    const timed = Math.floor((1_202 - 1) / 16) - Math.floor((2 - 1) / 16); // 75
    expect(1_200 - timed).toBeGreaterThanOrEqual(READ_AT_LEAST_EVERY);
    expect(1_200 - timed).toBeLessThan(2 * READ_AT_LEAST_EVERY);
    expect(now).toHaveBeenCalledTimes(2 * timed + 1);
  });
});
