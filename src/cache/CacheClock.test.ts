import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { CacheClock } from './CacheClock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('CacheClock', () => {
  it('reads an injected clock on every call', () => {
    const fake = new FakeClock({ startMs: 10 });
    const clock = new CacheClock(fake, false);
    expect(clock.now()).toBe(10);
    fake.advance(1);
    expect(clock.now()).toBe(11);
  });

  it('caches the wall clock for a millisecond, then reads it again', () => {
    vi.useFakeTimers({ now: 1_000 });
    const clock = new CacheClock({ now: () => 0 }, true);
    expect(clock.now()).toBe(1_000); // Date.now(), not the clock given
    vi.setSystemTime(1_005); // the time moves, the timer has not fired
    expect(clock.now()).toBe(1_000);
    vi.advanceTimersByTime(1); // the 1 ms timer fires: the next read is fresh
    expect(clock.now()).toBe(1_006);
    clock.stop();
  });

  it('stops its timer, so a read after stop is still served and nothing is left pending', () => {
    vi.useFakeTimers({ now: 50 });
    const clock = new CacheClock({ now: () => 0 }, true);
    clock.now();
    expect(vi.getTimerCount()).toBe(1);
    clock.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(clock.now()).toBe(50);
  });
});
