import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { InvalidOptionError } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';

describe('MemoryRateLimitStore', () => {
  it('is shared by limiters in one process', async () => {
    // #region memoryStore
    // One store for all the limiters of a process, capped at 50,000 keys.
    const store = new MemoryRateLimitStore({ maxKeys: 50_000 });
    const perUser = new RateLimiter({ limit: 100, periodMs: 60_000, store, keyPrefix: 'user:' });
    const perIp = new RateLimiter({ limit: 1000, periodMs: 60_000, store, keyPrefix: 'ip:' });

    await perUser.limit('42');
    await perIp.limit('203.0.113.7');
    // store.size === 2
    // #endregion memoryStore
    expect(store.size).toBe(2);
    store.clear();
    expect(store.size).toBe(0);
  });

  it('drops keys expired for over a second as new ones arrive, without a timer', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const limiter = new RateLimiter({ limit: 1, periodMs: 100, store, clock });
    for (let i = 0; i < 1000; i++) await limiter.limit(`old${i}`);
    expect(store.size).toBe(1000);
    clock.advance(100); // every old key is back to empty, but within the 1 s grace: kept
    for (let i = 0; i < 500; i++) await limiter.limit(`recent${i}`);
    expect(store.size).toBe(1500);
    expect((await limiter.limit('old0')).allowed).toBe(true); // an expired key read again is reset
    clock.advance(2_000); // every key is now past the grace
    for (let i = 0; i < 3000; i++) await limiter.limit(`new${i}`);
    // Each insert sweeps two entries (the new ones included): every stale one is gone.
    expect(store.size).toBe(3000);
  });

  it('evicts the oldest key past maxKeys, which then starts afresh', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const limiter = new RateLimiter({ limit: 1, periodMs: 1000, store, clock });
    expect((await limiter.limit('a')).allowed).toBe(true);
    expect((await limiter.limit('a')).allowed).toBe(false);
    await limiter.limit('b');
    await limiter.limit('c'); // evicts a
    expect(store.size).toBe(2);
    expect((await limiter.limit('a')).allowed).toBe(true);
  });

  it('does not store reads (cost 0) or denials of fresh keys', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = new RateLimiter({ limit: 1, periodMs: 1000, store });
    await limiter.limit('peek', { cost: 0 });
    await limiter.limit('huge', { cost: 5 });
    expect(store.size).toBe(0);
  });

  it('validates maxKeys', () => {
    expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow(InvalidOptionError);
    expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow(
      'Expected `options.maxKeys` to be an integer >= 1, got `0` (number)',
    );
    expectInvalidOption(() => new MemoryRateLimitStore(5 as never), 'options', 'an object');
  });
});
