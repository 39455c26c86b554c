import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { CacheEntry, CacheTier } from '../core/index.js';
import { InProcessBus, isLoadstoneError, LoaderError, ManualLoadSignal } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';
import type { TieredCacheOptions } from './TieredCacheOptions.js';

/** A remote-looking tier over a Map, whose failures and latency a test controls. */
class FlakyRemoteTier implements CacheTier<false> {
  readonly name = 'remote';
  readonly remote = true;
  readonly map = new Map<string, CacheEntry>();
  down = false;
  calls = 0;
  async get(key: string): Promise<CacheEntry | undefined> {
    this.calls++;
    if (this.down) throw new Error('connection refused');
    return this.map.get(key);
  }
  async set(key: string, entry: CacheEntry): Promise<void> {
    this.calls++;
    if (this.down) throw new Error('connection refused');
    this.map.set(key, entry);
  }
  async delete(keys: readonly string[]): Promise<void> {
    this.calls++;
    if (this.down) throw new Error('connection refused');
    for (const key of keys) this.map.delete(key);
  }
  async clear(): Promise<void> {
    this.map.clear();
  }
}

function memoryCache<V = unknown>(options: Partial<TieredCacheOptions> = {}): TieredCache<V> {
  return new TieredCache<V>({ tiers: [new MemoryTier({ maxEntries: 1000 })], jitterRatio: 0, ...options });
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TieredCache', () => {
  it('narrows the value type per call in a cache holding several types', async () => {
    type User = { kind: 'user'; name: string };
    type Article = { kind: 'article'; title: string };
    const cache = new TieredCache<User | Article>({
      tiers: [new MemoryTier({ maxEntries: 100 })],
      defaultTtlMs: 60_000,
    });
    const user = await cache.getOrSet<User>('user:1', () => ({ kind: 'user', name: 'Ada' }));
    expectTypeOf(user).toEqualTypeOf<User>(); // the loader always finds one
    const maybe = await cache.getOrSet<User>('user:2', () => (Math.random() > 2 ? user : undefined));
    expectTypeOf(maybe).toEqualTypeOf<User | undefined>(); // this one may answer "not found"
    const numbers = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })] });
    const count: number = await numbers.getOrSet('count', async () => 1);
    expect(count).toBe(1);
    await numbers.close();
    expectTypeOf(await cache.get<Article>('article:1')).toEqualTypeOf<Article | undefined>();
    expectTypeOf(await cache.get('user:1')).toEqualTypeOf<User | Article | undefined>();
    expect(await cache.get<User>('user:1')).toEqual({ kind: 'user', name: 'Ada' });
    await cache.close();
  });

  it('stores, reads, deletes and clears in memory', async () => {
    // #region memoryOnly
    const cache = new TieredCache<{ name: string }>({
      tiers: [new MemoryTier({ maxEntries: 10_000 })],
      defaultTtlMs: 60_000,
      policies: [{ prefix: 'user:', ttlMs: 5_000 }],
    });
    await cache.set('user:1', { name: 'Ada' });
    const user = await cache.get('user:1'); // { name: 'Ada' }
    // #endregion memoryOnly
    expect(user).toEqual({ name: 'Ada' });
    expect(await cache.has('user:1')).toBe(true);
    await cache.setMany([
      { key: 'a', value: { name: 'A' } },
      { key: 'b', value: { name: 'B' } },
    ]);
    expect(await cache.getMany(['a', 'missing', 'b'])).toEqual([{ name: 'A' }, undefined, { name: 'B' }]);
    await cache.delete('a');
    expect(await cache.get('a')).toBe(undefined);
    await cache.clear();
    expect(await cache.get('b')).toBe(undefined);
    expect(await cache.has('user:1')).toBe(false);
    await cache.close();
  });

  it('expires by TTL, by prefix policy (longest prefix wins) and per call', async () => {
    const clock = new FakeClock();
    const cache = memoryCache({
      clock,
      defaultTtlMs: 1_000,
      policies: [
        { prefix: 'user:', ttlMs: 100 },
        { prefix: 'user:vip:', ttlMs: 10_000 },
      ],
    });
    await cache.set('other', 1);
    await cache.set('user:1', 2);
    await cache.set('user:vip:1', 3);
    await cache.set('call', 4, { ttlMs: 50 });
    clock.advance(60);
    expect(await cache.get('call')).toBe(undefined);
    expect(await cache.get('user:1')).toBe(2);
    clock.advance(50);
    expect(await cache.get('user:1')).toBe(undefined);
    expect(await cache.get('other')).toBe(2 - 1);
    clock.advance(1_000);
    expect(await cache.get('other')).toBe(undefined);
    expect(await cache.get('user:vip:1')).toBe(3);
  });

  it('shortens TTLs by a random jitter of at most jitterRatio', async () => {
    const clock = new FakeClock();
    const tier = new MemoryTier({ maxEntries: 10 });
    const cache = new TieredCache({
      tiers: [tier],
      clock,
      defaultTtlMs: 1_000,
      jitterRatio: 0.2,
      random: () => 0.5,
    });
    await cache.set('k', 1);
    expect(tier.get('k')?.freshUntil).toBe(900);
  });

  it('reads the memory tier synchronously with peek()', async () => {
    // #region peek
    const cache = new TieredCache<number>({ tiers: [new MemoryTier({ maxEntries: 100 })] });
    await cache.set('hits', 42);
    const hot = cache.peek('hits') ?? (await cache.get('hits'));
    // #endregion peek
    expect(hot).toBe(42);
    expect(cache.peek('missing')).toBe(undefined);
  });

  it('runs a loader once for 1 000 concurrent misses, then serves the hit', async () => {
    // #region getOrSet
    const cache = new TieredCache<string>({ tiers: [new MemoryTier({ maxEntries: 1000 })] });
    const loader = vi.fn(async ({ key }: { key: string }) => `value of ${key}`);
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('k', loader)));
    // loader.mock.calls.length === 1; every caller got 'value of k'
    // #endregion getOrSet
    expect(loader).toHaveBeenCalledTimes(1);
    expect(new Set(values)).toEqual(new Set(['value of k']));
    expect(await cache.getOrSet('k', loader)).toBe('value of k');
    expect(loader).toHaveBeenCalledTimes(1);
    const stats = cache.stats();
    expect(stats.loaderCalls).toBe(1);
    expect(stats.stampedesCollapsed).toBe(999);
    expect(stats.hits).toBe(1);
  });

  it('runs a failing loader once and rejects every waiter with the same LoaderError', async () => {
    const cache = memoryCache();
    const boom = new Error('db down');
    let calls = 0;
    const loader = async () => {
      calls++;
      await flush();
      throw boom;
    };
    const settled = await Promise.allSettled(Array.from({ length: 1000 }, () => cache.getOrSet('k', loader)));
    expect(calls).toBe(1);
    const reasons = new Set(settled.map((s) => (s.status === 'rejected' ? s.reason : undefined)));
    expect(reasons.size).toBe(1);
    const [error] = reasons;
    expect(error).toBeInstanceOf(LoaderError);
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_LOADER')).toBe(true);
    expect((error as LoaderError).cause).toBe(boom);
    expect((error as LoaderError).key).toBe('k');
    // The failure is not cached: the next call loads again.
    expect(await cache.getOrSet('k', async () => 'ok')).toBe('ok');
    expect(cache.stats().loaderErrors).toBe(1);
  });

  it('caches "not found" for negativeTtlMs only', async () => {
    const clock = new FakeClock();
    const cache = memoryCache({ clock, negativeTtlMs: 100 });
    const loader = vi.fn(async () => undefined);
    expect(await cache.getOrSet('missing', loader)).toBe(undefined);
    expect(await cache.getOrSet('missing', loader)).toBe(undefined);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.has('missing')).toBe(false);
    clock.advance(100);
    await cache.getOrSet('missing', loader);
    expect(loader).toHaveBeenCalledTimes(2);
    // Without negative caching every miss loads.
    const plain = memoryCache({ clock });
    await plain.getOrSet('m', loader);
    await plain.getOrSet('m', loader);
    expect(loader).toHaveBeenCalledTimes(4);
  });

  it('serves the stale value within grace when the loader fails, and fails after grace', async () => {
    const clock = new FakeClock();
    const cache = memoryCache({ clock, defaultTtlMs: 100, graceMs: 1_000 });
    await cache.getOrSet('k', async () => 'v1');
    clock.advance(500);
    expect(await cache.get('k')).toBe(undefined); // get() never returns stale values
    expect(
      await cache.getOrSet('k', async () => {
        throw new Error('down');
      }),
    ).toBe('v1');
    expect(cache.stats().staleServed).toBe(1);
    clock.advance(700);
    await expect(
      cache.getOrSet('k', async () => {
        throw new Error('down');
      }),
    ).rejects.toBeInstanceOf(LoaderError);
  });

  it('returns stale at once with staleWhileRevalidate and refreshes once in the background', async () => {
    const clock = new FakeClock();
    const cache = memoryCache({ clock, defaultTtlMs: 100, graceMs: 1_000, staleWhileRevalidate: true });
    await cache.set('k', 'old');
    clock.advance(150);
    let release: (value: string) => void = () => {};
    const loader = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const results = await Promise.all([cache.getOrSet('k', loader), cache.getOrSet('k', loader)]);
    expect(results).toEqual(['old', 'old']);
    expect(await cache.getOrSet('k', loader)).toBe('old');
    expect(loader).toHaveBeenCalledTimes(1);
    release('new');
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('new'));
    expect(cache.stats().refreshes).toBe(1);
  });

  it('lets a caller abort its wait without stopping the load for others', async () => {
    const cache = memoryCache();
    let release: (value: string) => void = () => {};
    const loader = () => new Promise<string>((resolve) => (release = resolve));
    const controller = new AbortController();
    const aborted = cache.getOrSet('k', loader, { signal: controller.signal });
    const other = cache.getOrSet('k', loader);
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    release('v');
    expect(await other).toBe('v');
  });

  it('back-fills the memory tier from a lower tier hit', async () => {
    const memory = new MemoryTier({ maxEntries: 10 });
    const remote = new FlakyRemoteTier();
    const cache = new TieredCache({ tiers: [memory, remote], jitterRatio: 0 });
    await cache.set('k', 'v');
    memory.clear();
    expect(await cache.get('k')).toBe('v');
    expect(memory.get('k')?.value).toBe('v');
    const stats = cache.stats();
    expect(stats.tiers.map((t) => [t.name, t.hits])).toEqual([
      ['memory', 0],
      ['remote', 1],
    ]);
  });

  it('skips a failing remote tier: reads never reject, the breaker opens, and it recovers', async () => {
    const remote = new FlakyRemoteTier();
    const cache = new TieredCache({
      tiers: [new MemoryTier({ maxEntries: 10 }), remote],
      tierFailureThreshold: 2,
      tierOpenDurationMs: 1,
      jitterRatio: 0,
    });
    const failures: string[] = [];
    cache.on('tier:failed', (event) => failures.push(`${event.tier}:${event.operation}`));
    remote.down = true;
    for (let i = 0; i < 5; i++) expect(await cache.getOrSet(`k${i}`, async () => i)).toBe(i);
    const stats = cache.stats().tiers[1];
    expect(stats?.errors).toBeGreaterThanOrEqual(2);
    expect(stats?.skipped).toBeGreaterThan(0);
    expect(failures[0]).toBe('remote:get');
    expect((await cache.check()).status).not.toBe('healthy');
    remote.down = false;
    await vi.waitFor(async () => {
      await cache.set('back', 1);
      expect(remote.map.has('back')).toBe(true);
    });
    expect((await cache.check()).status).toBe('healthy');
  });

  it('drops local copies when another cache on the bus writes or deletes, ignoring its own messages', async () => {
    const bus = new InProcessBus();
    const shared = new FlakyRemoteTier();
    const a = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 }), shared], bus, jitterRatio: 0 });
    const bMemory = new MemoryTier({ maxEntries: 10 });
    const b = new TieredCache({ tiers: [bMemory, shared], bus, jitterRatio: 0 });
    await a.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    expect(bMemory.get('k')).toBeDefined();
    await a.set('k', 'v2');
    await vi.waitFor(() => expect(bMemory.get('k')).toBe(undefined));
    expect(await b.get('k')).toBe('v2');
    await a.delete('k');
    await vi.waitFor(() => expect(b.stats().invalidationsReceived).toBe(3));
    expect(await b.get('k')).toBe(undefined);
    expect(a.stats().invalidationsReceived).toBe(0);
    await b.set('x', 1);
    await a.clear();
    await vi.waitFor(() => expect(bMemory.size).toBe(0));
  });

  it("publishes nothing for a loaded value, so memory-only caches on one bus keep each other's copies", async () => {
    const bus = new InProcessBus();
    const aMemory = new MemoryTier({ maxEntries: 10 });
    const a = new TieredCache({ tiers: [aMemory], bus, jitterRatio: 0, defaultTtlMs: 60_000 });
    const b = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })], bus, jitterRatio: 0 });
    let loads = 0;
    const loader = () => {
      loads++;
      return 'profile';
    };
    await a.getOrSet('user:1', loader);
    await b.getOrSet('user:1', loader); // b loads too: this must not evict a's copy
    await b.getOrSet('user:2', loader);
    await b.set('user:3', 'changed'); // a change does publish
    await vi.waitFor(() => expect(a.stats().invalidationsReceived).toBe(1));
    expect(aMemory.get('user:1')).toBeDefined();
    expect(await a.getOrSet('user:1', loader)).toBe('profile');
    expect(loads).toBe(3);
    expect(b.stats().invalidationsSent).toBe(1);
  });

  it('counts the invalidations the bus fails to publish, and still writes locally', async () => {
    const bus = new InProcessBus();
    const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })], bus, jitterRatio: 0 });
    await cache.set('k', 'v1');
    await vi.waitFor(() => expect(cache.stats().invalidationsSent).toBe(1));
    await bus.close(); // from now on every publish rejects with ClosedError
    await cache.set('k', 'v2');
    await cache.delete('other');
    await vi.waitFor(() => expect(cache.stats().invalidationsFailed).toBe(2));
    expect(cache.stats().invalidationsSent).toBe(3);
    expect(cache.peek('k')).toBe('v2');
    await cache.close();
  });

  it('invalidates entries by tag, in every tier', async () => {
    const clock = new FakeClock({ startMs: 1_000 });
    const cache = new TieredCache({
      tiers: [new MemoryTier({ maxEntries: 10 }), new FlakyRemoteTier()],
      clock,
      jitterRatio: 0,
    });
    await cache.set('p:1', 'one', { tags: ['products'] });
    await cache.set('p:2', 'two', { tags: ['products', 'featured'] });
    await cache.set('u:1', 'user');
    await cache.invalidateTags(['products']);
    expect(await cache.get('p:1')).toBe(undefined);
    expect(await cache.get('p:2')).toBe(undefined);
    expect(await cache.get('u:1')).toBe('user');
    await cache.set('p:1', 'one again', { tags: ['products'] });
    expect(await cache.get('p:1')).toBe('one again');
  });

  it('carries tag invalidations to processes whose tiers are all local', async () => {
    const bus = new InProcessBus();
    const clock = new FakeClock({ startMs: 1_000 });
    const a = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })], bus, clock, jitterRatio: 0 });
    const b = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })], bus, clock, jitterRatio: 0 });
    await b.set('p:1', 'one', { tags: ['products'] });
    clock.advance(1);
    await a.invalidateTags(['products']);
    await vi.waitFor(() => expect(b.stats().invalidationsReceived).toBe(1));
    expect(await b.get('p:1')).toBe(undefined);
    clock.advance(1);
    await b.set('p:1', 'two', { tags: ['products'] });
    expect(await b.get('p:1')).toBe('two');
  });

  it('shrinks the memory tier when the load signal turns critical', async () => {
    const loadSignal = new ManualLoadSignal();
    const memory = new MemoryTier({ maxEntries: 1_000, loadSignal, shrinkRatio: 0.75 });
    const cache = new TieredCache({ tiers: [memory] });
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, i);
    cache.peek('k0'); // recently used: survives
    loadSignal.set('critical');
    expect(memory.size).toBe(25);
    expect(memory.shrinks).toBe(1);
    expect(cache.peek('k0')).toBe(0);
    await cache.close();
  });

  it('bounds the memory tier by bytes, keys counted', async () => {
    const memory = new MemoryTier({ maxBytes: 1_000, sizeOf: () => 100 });
    const cache = new TieredCache({ tiers: [memory] });
    // Each entry: 100 for the value, 6 for its 3-character key.
    for (let i = 0; i < 50; i++) await cache.set(`k${String(i).padStart(2, '0')}`, i);
    expect(memory.size).toBe(9);
    expect(memory.bytes).toBe(9 * 106);
  });

  it('samples latency', async () => {
    const cache = memoryCache({ latencySampleEvery: 1 });
    await cache.set('k', 1);
    for (let i = 0; i < 10; i++) await cache.get('k');
    await flush();
    expect(cache.stats().latency.count).toBe(10);
    const never = memoryCache({ latencySampleEvery: 0 });
    for (let i = 0; i < 10; i++) await never.get('k');
    expect(never.stats().latency.count).toBe(0);
  });

  it('refuses calls after close() and is idempotent', async () => {
    const cache = memoryCache();
    await Promise.all([cache.close(), cache.close()]);
    expect(cache.closed).toBe(true);
    for (const call of [
      () => cache.get('k'),
      () => cache.getOrSet('k', async () => 1),
      () => cache.set('k', 1),
      () => cache.delete('k'),
      () => cache.has('k'),
      () => cache.clear(),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLoadstoneError(error, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    }
    expect((await cache.check()).status).toBe('critical');
  });

  it('takes a custom tier', async () => {
    // #region customTier
    class MapTier implements CacheTier<true> {
      readonly name = 'map';
      readonly #map = new Map<string, CacheEntry>();
      get(key: string) {
        return this.#map.get(key);
      }
      set(key: string, entry: CacheEntry) {
        this.#map.set(key, entry);
      }
      delete(keys: readonly string[]) {
        for (const key of keys) this.#map.delete(key);
      }
      clear() {
        this.#map.clear();
      }
    }
    const cache = new TieredCache({ tiers: [new MapTier()] });
    // #endregion customTier
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
  });

  it('validates its options', () => {
    const tiers = [new MemoryTier({ maxEntries: 1 })];
    const table: [Partial<TieredCacheOptions>, string, string][] = [
      [{ tiers: [] }, 'options.tiers', 'a non-empty array'],
      [{ tiers: [{} as CacheTier] }, 'options.tiers[0]', 'a CacheTier'],
      [{ tiers, defaultTtlMs: 0 }, 'options.defaultTtlMs', 'an integer >= 1'],
      [{ tiers, graceMs: -1 }, 'options.graceMs', 'an integer >= 0'],
      [{ tiers, jitterRatio: 1 }, 'options.jitterRatio', 'a finite number'],
      [{ tiers, policies: [{ prefix: '', ttlMs: 1 }] }, 'options.policies[0].prefix', 'a non-empty string'],
      [{ tiers, policies: [{ prefix: 'a', ttlMs: 0 }] }, 'options.policies[0].ttlMs', 'an integer >= 1'],
      [{ tiers, tierTimeoutMs: 0 }, 'options.tierTimeoutMs', 'an integer from 1 to 2147483647'],
      [{ tiers, lockWaitMs: 2 ** 31 }, 'options.lockWaitMs', 'an integer from 0 to 2147483647'],
      [{ tiers, channel: '' }, 'options.channel', 'a non-empty string'],
      [{ tiers, lock: {} as never }, 'options.lock', 'a CacheLock'],
      [{ tiers, bus: {} as never }, 'options.bus', 'a Bus'],
      [{ tiers, clock: {} as never }, 'options.clock', 'a Clock'],
      [{ tiers, latencySampleEvery: -1 }, 'options.latencySampleEvery', 'an integer >= 0'],
    ];
    for (const [options, option, expected] of table) {
      expectInvalidOption(() => new TieredCache(options as TieredCacheOptions), option, expected);
    }
    expectInvalidOption(() => new MemoryTier({} as never), 'options.maxEntries', 'set');
    expectInvalidOption(
      () => new MemoryTier({ maxEntries: 0 }),
      'options.maxEntries',
      'an integer from 1 to 4194304',
    );
    expectInvalidOption(
      () => new MemoryTier({ maxEntries: 2 ** 31 }),
      'options.maxEntries',
      'an integer from 1 to 4194304',
    );
    expectInvalidOption(() => new MemoryTier({ maxBytes: 1.5 }), 'options.maxBytes', 'an integer >= 1');
  });

  it('rejects (never throws) bad call arguments', async () => {
    const cache = memoryCache();
    const calls: [() => Promise<unknown>, string][] = [
      [() => cache.get(1 as unknown as string), 'key'],
      [() => cache.set('k', undefined), 'value'],
      [() => cache.set('k', 1, { ttlMs: 0 }), 'options.ttlMs'],
      [() => cache.getOrSet('k', 'nope' as never), 'loader'],
      [() => cache.getOrSet('k', async () => 1, { tags: [''] }), 'options.tags[0]'],
      [() => cache.invalidateTags('x' as never), 'tags'],
    ];
    for (const [call, option] of calls) {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = call();
      }).not.toThrow();
      const error = await (result as Promise<unknown>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
      expect((error as { option: string }).option).toBe(option);
    }
  });
});
