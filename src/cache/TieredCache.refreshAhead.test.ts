import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { lockTable, sharedTier } from '../../test/helpers/sharedCache.js';
import { FakeClock } from '../testing/FakeClock.js';
import type { CacheLock } from './CacheLock.js';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';
import type { TieredCacheOptions } from './TieredCacheOptions.js';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A cache on a fake clock, TTL 1 s, refreshing ahead in the last fifth. */
function refreshing(options: Partial<TieredCacheOptions> = {}) {
  const clock = new FakeClock();
  const cache = new TieredCache<string>({
    tiers: [new MemoryTier({ maxEntries: 100 })],
    defaultTtlMs: 1_000,
    jitterRatio: 0,
    refreshAhead: 0.2,
    latencySampleEvery: 0,
    clock,
    ...options,
  });
  let version = 0;
  const loads: string[] = [];
  const loader = async ({ key }: { key: string }) => {
    loads.push(key);
    return `${key} v${++version}`;
  };
  return { cache, clock, loader, loads };
}

describe('TieredCache refresh-ahead', () => {
  it('example: a hot key is reloaded before it expires, so its readers never wait', async () => {
    const clock = new FakeClock();
    // #region refreshAhead
    const cache = new TieredCache<string>({
      tiers: [new MemoryTier({ maxEntries: 10_000 })],
      defaultTtlMs: 60_000,
      refreshAhead: 0.2, // a read in the last 12 s of the minute reloads the key in the background
      clock,
    });
    const price = () => cache.getOrSet('price:eur', async () => '1.0842');
    // #endregion refreshAhead
    expect(await price()).toBe('1.0842');
    clock.advance(50_000);
    expect(await price()).toBe('1.0842');
    await flush();
    expect(cache.stats()).toMatchObject({ refreshes: 1, loaderCalls: 2, misses: 1 });
  });

  it('reloads a key read in the last part of its TTL in the background, once, and never misses', async () => {
    const { cache, clock, loader, loads } = refreshing();
    expect(await cache.getOrSet('k', loader)).toBe('k v1');
    clock.advance(799);
    expect(await cache.getOrSet('k', loader)).toBe('k v1');
    expect(loads).toEqual(['k']); // not due yet
    clock.advance(1);
    // Due: the reads answer at once with the current value; one reload runs.
    expect(await Promise.all([cache.getOrSet('k', loader), cache.getOrSet('k', loader)])).toEqual([
      'k v1',
      'k v1',
    ]);
    await flush();
    expect(loads).toEqual(['k', 'k']);
    expect(await cache.getOrSet('k', loader)).toBe('k v2');
    // Steady reads across many TTLs: every one is a hit.
    for (let i = 0; i < 50; i++) {
      clock.advance(100);
      await cache.getOrSet('k', loader);
      await flush();
    }
    expect(cache.stats()).toMatchObject({ misses: 1, staleServed: 0 });
    expect(cache.stats().refreshes).toBeGreaterThanOrEqual(5);
  });

  it('keeps the current value when the reload fails, counts it, and tries again at the next read', async () => {
    const { cache, clock } = refreshing();
    let fail = true;
    const loader = async () => {
      if (fail) throw new Error('source down');
      return 'fresh';
    };
    await cache.set('k', 'current');
    clock.advance(900);
    expect(await cache.getOrSet('k', loader)).toBe('current');
    await flush();
    expect(cache.stats()).toMatchObject({ loaderErrors: 1, refreshes: 1 });
    expect(await cache.getOrSet('k', loader)).toBe('current');
    await flush();
    expect(cache.stats().loaderErrors).toBe(2);
    fail = false;
    expect(await cache.getOrSet('k', loader)).toBe('current');
    await flush();
    expect(await cache.getOrSet('k', loader)).toBe('fresh');
  });

  it('reloads once across processes with the lock: the others skip while it is held', async () => {
    // One lock table for both caches, as a RedisLock is for two processes.
    const held = new Map<string, string>();
    let tokens = 0;
    const lock: CacheLock = {
      acquire: async (key) => {
        if (held.has(key)) return undefined;
        const token = String(++tokens);
        held.set(key, token);
        return token;
      },
      release: async (key, token) => {
        if (held.get(key) === token) held.delete(key);
      },
    };
    const a = refreshing({ lock });
    const b = refreshing({
      lock,
      clock: a.clock,
      tiers: [new MemoryTier({ maxEntries: 100 })],
    });
    let release: () => void = () => {};
    const slow = async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return 'reloaded';
    };
    await a.cache.set('k', 'v');
    await b.cache.set('k', 'v');
    a.clock.advance(900);
    await a.cache.getOrSet('k', slow);
    await flush();
    await b.cache.getOrSet('k', slow);
    await flush();
    expect([a.cache.stats().loaderCalls, b.cache.stats().loaderCalls]).toEqual([1, 0]);
    expect([a.cache.stats().locksAcquired, b.cache.stats().locksAcquired]).toEqual([1, 0]);
    release();
    await flush();
    expect(await a.cache.getOrSet('k', slow)).toBe('reloaded');
    expect(held.size).toBe(0); // released once reloaded
  });

  it('reloads without the lock when the lock service fails', async () => {
    const table = lockTable();
    table.down = true;
    const { cache, clock, loader, loads } = refreshing({ lock: table.lock });
    await cache.set('k', 'current');
    clock.advance(900);
    expect(await cache.getOrSet('k', loader)).toBe('current');
    await flush();
    expect(loads).toEqual(['k']);
    expect(await cache.getOrSet('k', loader)).toBe('k v1');
    expect(cache.stats()).toMatchObject({ locksAcquired: 0, loaderErrors: 0 });
  });

  it('skips the reload when another process reloaded the key between the read and the lock', async () => {
    const clock = new FakeClock({ startMs: 10_000 });
    const shared = sharedTier();
    const table = lockTable();
    const [a, b] = [1, 2].map(() => refreshing({ clock, tiers: [shared], lock: table.lock }).cache) as [
      TieredCache<string>,
      TieredCache<string>,
    ];
    await a.set('k', 'v1');
    clock.advance(900);
    // b reloads and releases just before a takes the lock.
    table.beforeAcquire = async () => {
      table.beforeAcquire = async () => {};
      clock.advance(1);
      await b.set('k', 'v2 from b');
    };
    const loader = vi.fn(async () => 'v2 from a');
    expect(await a.getOrSet('k', loader)).toBe('v1');
    await flush();
    expect(loader).not.toHaveBeenCalled();
    expect(await a.getOrSet('k', loader)).toBe('v2 from b');
    expect(table.held.size).toBe(0);
  });

  it('reads the tiers once for a due hit: a reload without the lock looks nothing up again', async () => {
    const shared = sharedTier();
    const { cache, clock, loader, loads } = refreshing({ tiers: [shared] });
    await cache.set('k', 'current');
    clock.advance(900);
    expect(await cache.getOrSet('k', loader)).toBe('current');
    await flush();
    expect(loads).toEqual(['k']);
    expect(cache.stats().tiers[0]).toMatchObject({ hits: 1, misses: 0 });
  });

  it('times the last part of the TTL from when the entry was written, not from the epoch', async () => {
    const clock = new FakeClock({ startMs: 1_000_000 });
    const { cache, loader, loads } = refreshing({ clock });
    await cache.set('k', 'current');
    clock.advance(799);
    await cache.getOrSet('k', loader);
    await flush();
    expect(loads).toEqual([]);
    clock.advance(1);
    await cache.getOrSet('k', loader);
    await flush();
    expect(loads).toEqual(['k']);
  });

  it('serves a due hit called with bad options but starts no reload with them', async () => {
    const { cache, clock, loader, loads } = refreshing();
    await cache.set('k', 'current');
    clock.advance(900);
    expect(await cache.getOrSet('k', loader, { tags: [''] })).toBe('current');
    await flush();
    expect(loads).toEqual([]);
    expect(cache.stats().refreshes).toBe(0);
  });

  it('drops a reload that ends after destroy() instead of writing it', async () => {
    const clock = new FakeClock();
    const shared = sharedTier();
    const { cache } = refreshing({ clock, tiers: [shared] });
    await cache.set('k', 'v1');
    clock.advance(900);
    let finish: (value: string) => void = () => {};
    const slow = () => new Promise<string>((resolve) => (finish = resolve));
    expect(await cache.getOrSet('k', slow)).toBe('v1');
    await cache.destroy();
    finish('v2');
    await flush();
    expect(shared.entries.get('k')?.value).toBe('v1');
  });

  it('reloads a due entry found below the memory tier too, and is off by default', async () => {
    const clock = new FakeClock();
    const below = new MemoryTier({ maxEntries: 10 });
    const cache = new TieredCache<string>({
      tiers: [below],
      defaultTtlMs: 1_000,
      jitterRatio: 0,
      clock,
      latencySampleEvery: 0,
    });
    let loads = 0;
    const loader = async () => `v${++loads}`;
    await cache.getOrSet('k', loader);
    clock.advance(990);
    await cache.getOrSet('k', loader);
    await flush();
    expect(loads).toBe(1);
    expect(cache.stats().refreshes).toBe(0);
  });

  it.each([1, -0.1, Number.NaN, '0.2'])('refuses refreshAhead %s with a coded error', (refreshAhead) => {
    expectInvalidOption(
      () =>
        new TieredCache({ tiers: [new MemoryTier({ maxEntries: 1 })], refreshAhead: refreshAhead as number }),
      'options.refreshAhead',
      'a finite number >= 0 and <= 0.999',
    );
  });

  it('close() waits for a background reload, as for any load, and the reload is stored first', async () => {
    const { cache, clock } = refreshing();
    await cache.getOrSet('k', async () => 'v1');
    clock.advance(900);
    let finish!: (value: string) => void;
    expect(await cache.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)))).toBe('v1');
    await flush();
    let closed = false;
    const closing = cache.close().then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false); // the reload still runs
    finish('v2');
    await closing;
    expect(cache.stats()).toMatchObject({ refreshes: 1, loaderCalls: 2 });
  });
});
