// MemoryRateLimitStore housekeeping: the sweep of expired keys (two per new key, after a second
// of grace), eviction across prefixes, clear(), and keys shared by the two algorithms.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';

/** GCRA of 1 a second, as a store's rule (without the prefix). */
const ONE_PER_SECOND = { emissionIntervalMs: 1_000, burst: 1, toleranceMs: 1_000, epsilonMs: 1e-4 } as const;

/** A limiter of 1 per 100 ms: a key it allows at `t` is back to empty at `t + 100`. */
function setup(maxKeys?: number) {
  const clock = new FakeClock();
  const store = new MemoryRateLimitStore(maxKeys === undefined ? undefined : { maxKeys });
  const limiter = new RateLimiter({ limit: 1, periodMs: 100, store, clock });
  return { clock, store, limiter };
}

describe('MemoryRateLimitStore sweep', () => {
  it('keeps a key expired for less than a second, and drops it after', async () => {
    const { clock, store, limiter } = setup();
    await limiter.limit('old'); // back to empty at t = 100
    clock.set(1099);
    await limiter.limit('a');
    await limiter.limit('b');
    expect(store.size).toBe(3);
    clock.set(1100);
    await limiter.limit('c');
    await limiter.limit('d');
    expect(store.size).toBe(4); // old is gone; a and b (expired at 1199) are kept
  });

  it('examines two entries per new key', async () => {
    const { clock, store, limiter } = setup();
    for (let i = 0; i < 40; i++) await limiter.limit(`old${i}`);
    clock.set(5000); // every old key is past the grace
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.limit(`new${i}`);
      sizes.push(store.size);
    }
    // Each new key adds one and drops at most two old ones (one when the cursor wraps).
    const drops = sizes.map((size, i) => (i === 0 ? 41 : (sizes[i - 1] as number) + 1) - size);
    expect(drops.every((d) => d === 1 || d === 2)).toBe(true);
    expect(drops.filter((d) => d === 2).length).toBeGreaterThanOrEqual(4);
    expect(store.size).toBeLessThanOrEqual(40 + 5 - 9);
  });

  it('does not count a key read again after expiry as a new one', async () => {
    const { clock, store, limiter } = setup();
    await limiter.limit('k');
    clock.set(100);
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.size).toBe(1);
    expect((await limiter.limit('k')).allowed).toBe(false);
  });

  it('sweeps on from where it stopped, past keys that have not expired', () => {
    const store = new MemoryRateLimitStore();
    const long = { algorithm: 'sliding-window', keyPrefix: 'p:', limit: 1, periodMs: 1e6 } as const;
    const short = { ...long, periodMs: 100 };
    store.consume('long0', long, 1, 0);
    store.consume('long1', long, 1, 0);
    for (let i = 0; i < 10; i++) store.consume(`old${i}`, short, 1, 0);
    // The two keys stored first stay for long: the sweep must not stop at them.
    for (let i = 0; i < 10; i++) store.consume(`new${i}`, short, 1, 5_000);
    expect(store.size).toBe(12); // every old key is gone: the 2 long ones and the 10 new ones are left
  });
});

describe('MemoryRateLimitStore sweep across prefixes', () => {
  it('sweeps only the map of the prefix a new key goes to', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const a = new RateLimiter({ limit: 1, periodMs: 100, store, clock, keyPrefix: 'a:' });
    const b = new RateLimiter({ limit: 1, periodMs: 100, store, clock, keyPrefix: 'b:' });
    for (let i = 0; i < 5; i++) await a.limit(`k${i}`);
    clock.set(5000); // a's keys are long expired
    await b.limit('x');
    await b.limit('y');
    expect(store.size).toBe(7);
    expect((await b.limit('x')).allowed).toBe(false);
    expect((await b.limit('y')).allowed).toBe(false);
    await a.limit('new'); // sweeps a's map now
    expect(store.size).toBeLessThan(8);
  });
});

describe('MemoryRateLimitStore eviction and clear', () => {
  it('evicts from another prefix when the new key is the first of its own', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const a = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'a:' });
    const b = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'b:' });
    await a.limit('x');
    await a.limit('y');
    expect((await b.limit('z')).allowed).toBe(true); // evicts a:x, the oldest
    expect(store.size).toBe(2);
    expect((await a.limit('y')).allowed).toBe(false); // kept
    expect((await b.limit('z')).allowed).toBe(false); // kept
    expect((await a.limit('x')).allowed).toBe(true); // starts afresh
    expect(store.size).toBe(2);
  });

  it('evicts the oldest key of the new key’s own prefix when it has one', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const a = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'a:' });
    const b = new RateLimiter({ limit: 1, periodMs: 1000, store, clock, keyPrefix: 'b:' });
    await a.limit('x');
    await b.limit('y');
    expect((await b.limit('z')).allowed).toBe(true); // evicts b:y, though a:x is older
    expect((await a.limit('x')).allowed).toBe(false); // kept
    expect((await b.limit('z')).allowed).toBe(false); // kept
    expect((await b.limit('y')).allowed).toBe(true); // starts afresh
  });

  it('evicts from a prefix that has keys, past one left empty', () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const rule = (keyPrefix: string) => ({ algorithm: 'gcra', keyPrefix, ...ONE_PER_SECOND }) as const;
    store.consume('x', rule('a:'), 1, 0);
    store.delete('x', rule('a:')); // a: is empty now, but still known
    store.consume('y', rule('b:'), 1, 0);
    store.consume('z', rule('b:'), 1, 0);
    store.consume('w', rule('c:'), 1, 0); // evicts b:y
    expect(store.size).toBe(2);
    expect(store.consume('z', rule('b:'), 1, 0).allowed).toBe(false); // kept
    expect(store.consume('y', rule('b:'), 1, 0).allowed).toBe(true); // starts afresh
  });

  it('forgets every key on clear(), including the last prefix used', async () => {
    const { store, limiter } = setup();
    await limiter.limit('k');
    expect((await limiter.limit('k')).allowed).toBe(false);
    store.clear();
    expect(store.size).toBe(0);
    expect((await limiter.limit('k')).allowed).toBe(true);
    expect(store.size).toBe(1);
    expect((await limiter.limit('k')).allowed).toBe(false);
  });
});

describe('MemoryRateLimitStore keys shared by both algorithms', () => {
  it('reads a key last written by the other algorithm as empty', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const options = { limit: 1, periodMs: 1000, store, clock, keyPrefix: 'p:' };
    const gcra = new RateLimiter(options);
    const sw = new RateLimiter({ ...options, algorithm: 'sliding-window' });
    expect((await gcra.limit('k')).allowed).toBe(true);
    expect((await sw.limit('k')).allowed).toBe(true);
    expect((await gcra.limit('k')).allowed).toBe(true);
    expect((await sw.limit('k')).allowed).toBe(true);
    expect((await sw.limit('k')).allowed).toBe(false);
    expect(store.size).toBe(1);
  });
});

describe('sliding window figures', () => {
  const make = () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ algorithm: 'sliding-window', limit: 10, periodMs: 1000, clock });
    return { clock, limiter };
  };

  it('reports a fresh key as full, with nothing to reset', async () => {
    const { limiter } = make();
    expect(await limiter.limit('k', { cost: 0 })).toEqual({
      allowed: true,
      remaining: 10,
      resetMs: 0,
      retryAfterMs: 0,
      limit: 10,
      degraded: false,
    });
  });

  it('resets within the window when only the previous window has counts', async () => {
    const { clock, limiter } = make();
    await limiter.limit('k', { cost: 4 });
    clock.set(1250);
    expect(await limiter.limit('k', { cost: 0 })).toMatchObject({ remaining: 7, resetMs: 750 });
    await limiter.limit('k', { cost: 1 });
    expect(await limiter.limit('k', { cost: 0 })).toMatchObject({ remaining: 6, resetMs: 1750 });
  });

  it('asks to wait for the previous window to decay when this one has room', async () => {
    const { clock, limiter } = make();
    await limiter.limit('k', { cost: 10 });
    clock.set(1000);
    // previous 10 (weight 1), current 0: cost 4 needs the estimate at 6, at 40 % of the window.
    expect(await limiter.limit('k', { cost: 4 })).toMatchObject({ allowed: false, retryAfterMs: 400 });
    clock.set(1399);
    expect((await limiter.limit('k', { cost: 4 })).allowed).toBe(false);
    clock.set(1400);
    expect(await limiter.limit('k', { cost: 4 })).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('gives a finite wait to a cost equal to the limit', async () => {
    const { clock, limiter } = make();
    expect((await limiter.limit('fresh', { cost: 10 })).allowed).toBe(true);
    await limiter.limit('k', { cost: 1 });
    // current 1 > room 0: two windows on, when the previous one has slid out.
    expect(await limiter.limit('k', { cost: 10 })).toMatchObject({ allowed: false, retryAfterMs: 2000 });
    clock.set(1999);
    expect((await limiter.limit('k', { cost: 10 })).allowed).toBe(false);
    clock.set(2000);
    expect((await limiter.limit('k', { cost: 10 })).allowed).toBe(true);
  });

  it('asks to wait into the next window when this window alone is over', async () => {
    const { clock, limiter } = make();
    clock.set(500);
    await limiter.limit('k', { cost: 8 });
    // current 8 > room 7 (cost 3): next window, then until 8·(1 − e) <= 7, e = 1/8.
    expect(await limiter.limit('k', { cost: 3 })).toMatchObject({ allowed: false, retryAfterMs: 625 });
    clock.set(1124);
    expect((await limiter.limit('k', { cost: 3 })).allowed).toBe(false);
    clock.set(1125);
    expect((await limiter.limit('k', { cost: 3 })).allowed).toBe(true);
  });
});
