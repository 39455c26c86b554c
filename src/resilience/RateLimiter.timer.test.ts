// The shared timer of a RateLimiter's in-flight store calls: calls due together, a call made
// after every earlier one was answered, and a timer that fires before the clock says it is due.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitResult } from './RateLimitResult.js';
import type { RateLimitDecision, RateLimitStore } from './RateLimitStore.js';

function manualStore() {
  const answers: ((d: RateLimitDecision) => void)[] = [];
  const store: RateLimitStore = {
    consume: () => new Promise<RateLimitDecision>((resolve) => answers.push(resolve)),
  };
  return { store, answers };
}

const decision: RateLimitDecision = { allowed: true, remaining: 4, resetMs: 200, retryAfterMs: 0 };

/** Tracks which calls have settled, and how. */
function tracker() {
  const settled: string[] = [];
  const track = (name: string, p: Promise<RateLimitResult>) =>
    p.then((r) => settled.push(`${name}:${r.degraded ? 'timeout' : 'answered'}`));
  return { settled, track };
}

describe('RateLimiter store timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times out together the calls made at the same moment', async () => {
    vi.useFakeTimers();
    const { store } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100 });
    const { settled, track } = tracker();
    const all = Promise.all([track('a', limiter.limit('a')), track('b', limiter.limit('b'))]);
    await vi.advanceTimersByTimeAsync(100);
    expect(settled).toEqual(['a:timeout', 'b:timeout']);
    await all;
    expect(limiter.stats()).toMatchObject({ pending: 0, degraded: 2 });
  });

  it('times out a call made after every earlier call was answered', async () => {
    vi.useFakeTimers();
    const { store, answers } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100 });
    const { settled, track } = tracker();
    const a = track('a', limiter.limit('a'));
    await vi.advanceTimersByTimeAsync(10);
    answers[0]?.(decision);
    await a;
    await vi.advanceTimersByTimeAsync(10);
    const b = track('b', limiter.limit('b')); // due at 120; the timer still runs for a (100)
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toEqual(['a:answered']);
    await vi.advanceTimersByTimeAsync(1);
    await b;
    expect(settled).toEqual(['a:answered', 'b:timeout']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('skips answered calls behind the one timed out, and re-arms for the next pending one', async () => {
    vi.useFakeTimers();
    const { store, answers } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 100 });
    const { settled, track } = tracker();
    const a = track('a', limiter.limit('a')); // due at 100
    await vi.advanceTimersByTimeAsync(10);
    const b = track('b', limiter.limit('b')); // due at 110, answered at 20
    await vi.advanceTimersByTimeAsync(10);
    const c = track('c', limiter.limit('c')); // due at 120
    answers[1]?.(decision);
    await b;
    await vi.advanceTimersByTimeAsync(80);
    expect(settled).toEqual(['b:answered', 'a:timeout']);
    await vi.advanceTimersByTimeAsync(19);
    expect(settled).toEqual(['b:answered', 'a:timeout']);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([a, c]);
    expect(settled).toEqual(['b:answered', 'a:timeout', 'c:timeout']);
    expect(limiter.stats()).toMatchObject({ pending: 0, allowed: 1, degraded: 2 });
  });

  it('times out the call its timer was armed for even when the clock has not reached its deadline', async () => {
    // Only the timers are fake: performance.now() barely moves while they fire.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store } = manualStore();
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store, storeTimeoutMs: 60_000 });
    const { settled, track } = tracker();
    const a = track('a', limiter.limit('a'));
    await vi.advanceTimersByTimeAsync(60_000);
    await a;
    expect(settled).toEqual(['a:timeout']);
    expect(limiter.stats().pending).toBe(0);
  });
});
