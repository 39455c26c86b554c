import { afterEach, describe, expect, it, vi } from 'vitest';
import { lockTable, sharedTier } from '../../test/helpers/sharedCache.js';
import { LoaderError } from '../core/errors/LoaderError.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';
import type { TieredCacheOptions } from './TieredCacheOptions.js';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Two caches (two processes) on one shared tier and one lock table. */
function twoProcesses(options: Partial<TieredCacheOptions> = {}) {
  const clock = new FakeClock({ startMs: 10_000 });
  const shared = sharedTier();
  const table = lockTable();
  const make = () =>
    new TieredCache<string>({
      tiers: [shared],
      lock: table.lock,
      defaultTtlMs: 1_000,
      jitterRatio: 0,
      latencySampleEvery: 0,
      clock,
      ...options,
    });
  return { a: make(), b: make(), clock, shared, table };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TieredCache getOrSet with the lock option', () => {
  it('takes the key’s lock for a miss, loads, and releases it', async () => {
    const { a, table } = twoProcesses();
    expect(await a.getOrSet('k', async () => 'loaded')).toBe('loaded');
    expect(table.calls).toEqual(['acquire k', 'release k t1']);
    expect(a.stats()).toMatchObject({ locksAcquired: 1, lockWaits: 0, loaderCalls: 1 });
  });

  it('waits while another process holds the lock, polling the tiers, and returns its value', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { a, b, table } = twoProcesses({ lockPollMs: 20 });
    table.held.set('k', 'b’s token');
    const loader = vi.fn(async () => 'a’s value');
    const read = a.getOrSet('k', loader);
    await vi.advanceTimersByTimeAsync(20); // first poll: nothing yet
    await b.set('k', 'b’s value');
    await vi.advanceTimersByTimeAsync(20);
    expect(await read).toBe('b’s value');
    expect(loader).not.toHaveBeenCalled();
    expect(table.calls).toEqual(['acquire k', 'acquire k']);
    expect(a.stats()).toMatchObject({ lockWaits: 1, locksAcquired: 0 });
  });

  it('uses the value the holder wrote just before releasing, when the lock comes free', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { a, b, table } = twoProcesses({ lockPollMs: 20 });
    table.held.set('k', 'b’s token');
    const loader = vi.fn(async () => 'a’s value');
    const read = a.getOrSet('k', loader);
    // After a's first poll found nothing, b writes its value and releases, then a takes the lock.
    await vi.advanceTimersByTimeAsync(19);
    table.beforeAcquire = async () => {
      table.beforeAcquire = () => {};
      await b.set('k', 'b’s value');
      table.held.delete('k');
    };
    await vi.advanceTimersByTimeAsync(1);
    expect(await read).toBe('b’s value');
    expect(loader).not.toHaveBeenCalled();
    expect(table.calls).toEqual(['acquire k', 'acquire k', 'release k t1']);
    expect(table.held.size).toBe(0);
    expect(a.stats()).toMatchObject({ lockWaits: 1, locksAcquired: 1 });
  });

  it('stops waiting after lockWaitMs and loads anyway', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { a, table } = twoProcesses({ lockPollMs: 20, lockWaitMs: 100 });
    table.held.set('k', 'a dead holder’s token');
    const loader = vi.fn(async () => 'loaded');
    const read = a.getOrSet('k', loader);
    await vi.advanceTimersByTimeAsync(99);
    expect(loader).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await read).toBe('loaded');
    // Tried at 0, 20, 40, 60 and 80 ms; gave up at the poll of 100 ms.
    expect(table.calls).toEqual(Array(5).fill('acquire k'));
    expect(a.stats()).toMatchObject({ lockWaits: 1, locksAcquired: 0 });
  });

  it('loads without the lock, at once, when the lock service fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { a, table } = twoProcesses();
    table.down = true;
    expect(await a.getOrSet('k', async () => 'loaded')).toBe('loaded');
    expect(table.calls).toEqual(['acquire k']);
    expect(a.stats()).toMatchObject({ lockWaits: 0, locksAcquired: 0, loaderCalls: 1 });
  });
});

describe('TieredCache getOrSet loads', () => {
  it('lets close() wait for a running load', async () => {
    const cache = new TieredCache<string>({ tiers: [new MemoryTier({ maxEntries: 10 })] });
    let finish: (value: string) => void = () => {};
    const read = cache.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await flush();
    let closed = false;
    const closing = cache.close().then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
    finish('v');
    await closing;
    expect(await read).toBe('v');
  });

  it('drops a load that ends after destroy(): its caller gets the value, no tier does', async () => {
    const { a, shared } = twoProcesses({ lock: undefined });
    let finish: (value: string) => void = () => {};
    const read = a.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await flush();
    await a.destroy();
    finish('v');
    expect(await read).toBe('v');
    expect(shared.entries.has('k')).toBe(false);
  });

  it('fails a load when its stale stand-in ran out of grace while the loader ran', async () => {
    const clock = new FakeClock({ startMs: 10_000 });
    const cache = new TieredCache<string>({
      tiers: [new MemoryTier({ maxEntries: 10 })],
      defaultTtlMs: 100,
      graceMs: 1_000,
      jitterRatio: 0,
      clock,
    });
    await cache.set('k', 'old');
    clock.advance(500);
    const read = cache.getOrSet('k', async () => {
      clock.advance(600); // now exactly the end of grace
      throw new Error('down');
    });
    await expect(read).rejects.toBeInstanceOf(LoaderError);
    expect(cache.stats()).toMatchObject({ staleServed: 0, loaderErrors: 1 });
  });

  it('with staleWhileRevalidate, counts each stale answer and retries a failed refresh at the next read', async () => {
    const clock = new FakeClock();
    const cache = new TieredCache<string>({
      tiers: [new MemoryTier({ maxEntries: 10 })],
      defaultTtlMs: 100,
      graceMs: 1_000,
      staleWhileRevalidate: true,
      clock,
    });
    await cache.set('k', 'old');
    clock.advance(150);
    const loader = vi.fn(async (): Promise<string> => {
      throw new Error('down');
    });
    expect(await cache.getOrSet('k', loader)).toBe('old');
    await flush();
    expect(await cache.getOrSet('k', loader)).toBe('old');
    await flush();
    expect(loader).toHaveBeenCalledTimes(2);
    expect(cache.stats()).toMatchObject({ staleServed: 2, refreshes: 2, loaderErrors: 2 });
  });
});
