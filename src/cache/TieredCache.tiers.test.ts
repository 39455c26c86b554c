// The read and write paths across several tiers, as a custom tier sees them: what each tier is
// asked, the entries it is given, what is copied up (back-filled) or dropped, the per-tier counts,
// and a failing tier's reports. A tier here is a plain CacheTier over a Map that records its calls
// (any user may plug one in), never a stand-in for Redis: the Redis tier has its own suites.
import { describe, expect, it } from 'vitest';
import type { CacheEntry, CacheTier } from '../core/index.js';
import { InProcessBus, TierError } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';
import type { TierFailedEvent } from './TieredCacheOptions.js';

/** A tier over a Map that records every call; `failing` makes each call throw (or reject). */
class RecordingTier implements CacheTier<boolean> {
  readonly map = new Map<string, CacheEntry>();
  readonly calls: string[] = [];
  readonly sets: { key: string; entry: CacheEntry; ttlMs: number }[] = [];
  failing: 'no' | 'throw' | 'reject' = 'no';
  readonly getMany?: (keys: readonly string[]) => Promise<(CacheEntry | undefined)[]>;

  constructor(
    readonly name: string,
    readonly remote: boolean,
    withGetMany = false,
  ) {
    if (withGetMany) {
      this.getMany = async (keys) =>
        this.#answer(`getMany ${keys.join(',')}`, () => keys.map((key) => this.map.get(key)));
    }
  }

  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined> {
    return this.#answer(`get ${key}`, () => this.map.get(key));
  }
  set(key: string, entry: CacheEntry, ttlMs: number): void | Promise<void> {
    return this.#answer(`set ${key}`, () => {
      this.sets.push({ key, entry, ttlMs });
      this.map.set(key, entry);
    });
  }
  delete(keys: readonly string[]): void | Promise<void> {
    return this.#answer(`delete ${keys.join(',')}`, () => {
      for (const key of keys) this.map.delete(key);
    });
  }
  clear(): void | Promise<void> {
    return this.#answer('clear', () => this.map.clear());
  }

  /** Records `call`, then fails as told, or answers: at once for a local tier, by a promise for a remote one. */
  #answer<T>(call: string, act: () => T): T | Promise<T> {
    this.calls.push(call);
    if (this.failing === 'throw') throw new Error(`${this.name} down`);
    if (this.failing === 'reject') return Promise.reject(new Error(`${this.name} down`));
    const result = act();
    return this.remote ? Promise.resolve(result) : result;
  }
}

/** A cache over `tiers` with a clock that stands still until moved, no jitter, no grace. */
function cacheOver(tiers: CacheTier[], options: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const cache = new TieredCache({ tiers, clock, jitterRatio: 0, defaultTtlMs: 1_000, ...options });
  return { cache, clock };
}

const entry = (value: unknown, now: number, freshMs: number, staleMs = freshMs): CacheEntry => ({
  value,
  createdAt: now,
  freshUntil: now + freshMs,
  staleUntil: now + staleMs,
});

/** Each tier's [hits, misses, errors, skipped]. */
const tierCounts = (cache: TieredCache) =>
  cache.stats().tiers.map((t) => [t.name, t.hits, t.misses, t.errors, t.skipped]);

describe('TieredCache across tiers', () => {
  it('reads down the tiers, counts a miss in each above the hit, and copies the entry up for what it has left', async () => {
    const [l1, l2, l3] = [
      new RecordingTier('l1', false),
      new RecordingTier('l2', false),
      new RecordingTier('l3', true),
    ];
    const { cache, clock } = cacheOver([l1, l2, l3]);
    const found = entry('v', clock.now(), 500, 800);
    l3.map.set('k', found);
    clock.advance(300);
    expect(await cache.get('k')).toBe('v');
    expect(tierCounts(cache)).toEqual([
      ['l1', 0, 1, 0, 0],
      ['l2', 0, 1, 0, 0],
      ['l3', 1, 0, 0, 0],
    ]);
    // Copied into both tiers above, for the 500 ms the entry has left to its stale end.
    expect(l1.sets).toEqual([{ key: 'k', entry: found, ttlMs: 500 }]);
    expect(l2.sets).toEqual([{ key: 'k', entry: found, ttlMs: 500 }]);
    expect(l3.sets).toEqual([]); // not into the tier it came from
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('copies nothing up for an entry with under a millisecond left, and an entry with one', async () => {
    const [l1, l2] = [new RecordingTier('l1', false), new RecordingTier('l2', false)];
    const { cache } = cacheOver([l1, l2]);
    l2.map.set('k', { value: 'v', createdAt: 0, freshUntil: 0.5, staleUntil: 0.5 });
    l2.map.set('j', { value: 'w', createdAt: 0, freshUntil: 1, staleUntil: 1 });
    expect([await cache.get('k'), await cache.get('j')]).toEqual(['v', 'w']);
    expect(l1.sets.map((s) => [s.key, s.ttlMs])).toEqual([['j', 1]]); // one millisecond is enough
  });

  it('drops an expired entry from a local tier, from its stale end on, but leaves a remote one to its own expiry', async () => {
    const [local, remote] = [new RecordingTier('local', false), new RecordingTier('remote', true)];
    const { cache, clock } = cacheOver([local, remote]);
    local.map.set('k', entry('old', clock.now(), 100));
    remote.map.set('k', entry('old', clock.now(), 100));
    clock.advance(99);
    expect(await cache.get('k')).toBe('old'); // fresh in the local tier: the remote is not asked
    expect(remote.calls).toEqual([]);
    clock.advance(1); // now === staleUntil: expired
    expect(await cache.get('k')).toBeUndefined();
    expect(local.calls).toEqual(['get k', 'get k', 'delete k']);
    expect(remote.calls).toEqual(['get k']);
    expect(tierCounts(cache)).toEqual([
      ['local', 1, 1, 0, 0],
      ['remote', 0, 1, 0, 0],
    ]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('reports a failed drop of an expired entry as a failed delete', async () => {
    const local = new RecordingTier('local', false);
    const { cache, clock } = cacheOver([local]);
    const events: TierFailedEvent[] = [];
    cache.on('tier:failed', (event) => events.push(event));
    local.map.set('k', entry('old', clock.now(), 100));
    local.delete = () => {
      throw new Error('read-only');
    };
    clock.advance(100);
    expect(await cache.get('k')).toBeUndefined();
    expect(events.map((e) => [e.tier, e.operation])).toEqual([['local', 'delete']]);
  });

  it('takes a stale entry from a tier only when no tier below has a fresh one, counting it a miss', async () => {
    const [l1, l2] = [new RecordingTier('l1', false), new RecordingTier('l2', false)];
    const { cache, clock } = cacheOver([l1, l2]);
    l1.map.set('k', entry('stale', clock.now(), 100, 10_000));
    l2.map.set('k', entry('fresh', clock.now(), 1_000));
    clock.advance(100); // l1's entry is stale now (freshUntil === now), l2's fresh
    expect(await cache.get('k')).toBe('fresh');
    expect(tierCounts(cache)).toEqual([
      ['l1', 0, 1, 0, 0],
      ['l2', 1, 0, 0, 0],
    ]);
  });

  it('counts the fast memory hits in the first tier’s hits', async () => {
    const memory = new MemoryTier({ maxEntries: 10 });
    const { cache } = cacheOver([memory]);
    await cache.set('k', 1);
    for (let i = 0; i < 3; i++) expect(await cache.get('k')).toBe(1);
    expect(cache.stats().tiers[0]).toMatchObject({ name: 'memory', hits: 3, misses: 0 });
    expect(cache.stats().hits).toBe(3);
  });

  it('asks each tier only for the keys the tiers above missed, and none once all are found', async () => {
    const [l1, l2, l3] = [
      new RecordingTier('l1', false),
      new RecordingTier('l2', true, true),
      new RecordingTier('l3', true, true),
    ];
    const { cache, clock } = cacheOver([l1, l2, l3]);
    l1.map.set('a', entry('A', clock.now(), 1_000));
    l2.map.set('b', entry('B', clock.now(), 1_000));
    l2.map.set('c', entry('C', clock.now(), 10)); // stale by the time it is read: a miss
    clock.advance(10);
    expect(await cache.getMany(['a', 'b', 'c'])).toStrictEqual(['A', 'B', undefined]);
    expect(l1.calls).toEqual(['get a', 'get b', 'get c', 'set b']);
    expect(l2.calls).toEqual(['getMany b,c']);
    expect(l3.calls).toEqual(['getMany c']);
    expect(tierCounts(cache)).toEqual([
      ['l1', 1, 2, 0, 0],
      ['l2', 1, 1, 0, 0],
      ['l3', 0, 1, 0, 0],
    ]);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
    l3.calls.length = 0;
    expect(await cache.getMany(['a', 'b'])).toEqual(['A', 'B']); // b was copied into l1
    expect([l2.calls, l3.calls]).toEqual([['getMany b,c'], []]);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 1 });
  });

  it('copies a key found by getMany into every tier above the one that had it', async () => {
    const [l1, l2, l3] = [
      new RecordingTier('l1', false),
      new RecordingTier('l2', false),
      new RecordingTier('l3', false),
    ];
    const { cache, clock } = cacheOver([l1, l2, l3]);
    const found = entry('C', clock.now(), 1_000);
    l3.map.set('c', found);
    expect(await cache.getMany(['c', 'missing'])).toStrictEqual(['C', undefined]);
    expect(l1.sets).toEqual([{ key: 'c', entry: found, ttlMs: 1_000 }]);
    expect(l2.sets).toEqual([{ key: 'c', entry: found, ttlMs: 1_000 }]);
    expect(l3.sets).toEqual([]);
  });

  it('writes an entry to every tier with its fresh and stale ends, for its TTL plus its grace', async () => {
    const [l1, l2] = [new RecordingTier('l1', false), new RecordingTier('l2', true)];
    const { cache, clock } = cacheOver([l1, l2]);
    clock.advance(5_000);
    await cache.set('k', 'v', { ttlMs: 1_000, graceMs: 300 });
    const written = { value: 'v', createdAt: 5_000, freshUntil: 6_000, staleUntil: 6_300 };
    expect(l1.sets).toEqual([{ key: 'k', entry: written, ttlMs: 1_300 }]);
    expect(l2.sets).toEqual(l1.sets);
    await cache.set('t', 'v', { tags: [] }); // no tags: an entry without a tag list
    expect(Object.hasOwn(l1.map.get('t') as CacheEntry, 'tags')).toBe(false);
    await cache.set('tagged', 'v', { ttlMs: 1_000, graceMs: 300, tags: ['x'] });
    expect(l1.map.get('tagged')).toEqual({ ...written, tags: ['x'] });
  });

  it('stores no "not found" at all when its TTL is 0', async () => {
    const l1 = new RecordingTier('l1', false);
    const { cache } = cacheOver([l1]);
    expect(await cache.getOrSet('k', () => undefined, { negativeTtlMs: 0 })).toBeUndefined();
    expect(l1.sets).toEqual([]);
    expect(await cache.getOrSet('j', () => undefined, { negativeTtlMs: 50 })).toBeUndefined();
    expect(l1.sets.map((s) => [s.key, s.ttlMs])).toEqual([['j', 50]]);
  });

  it('reports each failing call of a tier as tier:failed with a TierError naming the operation, and carries on', async () => {
    for (const failing of ['throw', 'reject'] as const) {
      const broken = new RecordingTier('broken', false, true);
      const good = new RecordingTier('good', false);
      const { cache, clock } = cacheOver([broken, good]);
      const events: TierFailedEvent[] = [];
      cache.on('tier:failed', (event) => events.push(event));
      good.map.set('k', entry('v', clock.now(), 1_000));
      broken.failing = failing;
      expect(await cache.get('k')).toBe('v');
      expect(await cache.getMany(['k'])).toEqual(['v']);
      await cache.set('s', 1);
      await cache.delete('s');
      await cache.clear();
      expect(events.map((e) => [e.tier, e.operation])).toEqual([
        ['broken', 'get'],
        ['broken', 'set'], // the back-fill of k
        ['broken', 'getMany'],
        ['broken', 'set'], // the back-fill of k again
        ['broken', 'set'],
        ['broken', 'delete'],
        ['broken', 'clear'],
      ]);
      const error = events[0]?.error as TierError;
      expect(error).toBeInstanceOf(TierError);
      expect((error.cause as Error).message).toBe('broken down');
      expect(cache.stats().tiers[0]).toMatchObject({ errors: 7, skipped: 0 });
      expect(broken.calls).toEqual(['get k', 'set k', 'getMany k', 'set k', 'set s', 'delete s', 'clear']);
    }
  });

  it('opens a remote tier’s breaker on failed reads alone, then skips the tier', async () => {
    const remote = new RecordingTier('remote', true);
    const { cache } = cacheOver([new MemoryTier({ maxEntries: 10 }), remote], { tierFailureThreshold: 2 });
    remote.failing = 'throw';
    for (let i = 0; i < 3; i++) expect(await cache.get(`k${i}`)).toBeUndefined();
    expect(remote.calls).toEqual(['get k0', 'get k1']);
    expect(cache.stats().tiers[1]).toMatchObject({ state: 'open', errors: 2, skipped: 1 });
  });

  it('sends one invalidation for a setMany of several keys, and none for a setMany of none', async () => {
    const { cache } = cacheOver([new RecordingTier('l1', false)], { bus: new InProcessBus() });
    await cache.setMany([]);
    expect(cache.stats().invalidationsSent).toBe(0);
    await cache.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(cache.stats().invalidationsSent).toBe(1);
  });

  it('reads a tag marker only until its stale end, and copies a marker found lower down into the tiers above', async () => {
    const [l1, l2] = [new RecordingTier('l1', false), new RecordingTier('l2', true)];
    const { cache, clock } = cacheOver([l1, l2], { tagTtlMs: 100 });
    await cache.set('k', 'v', { tags: ['t'], ttlMs: 10_000 });
    clock.advance(1);
    await cache.invalidateTags(['t']);
    const marker = '__loadstone:tag:t';
    l1.map.delete(marker); // only the remote tier has the marker now
    l1.sets.length = 0;
    expect(await cache.get('k')).toBeUndefined();
    expect(l1.sets.map((s) => s.key)).toEqual([marker]);
    expect(l1.map.has('k')).toBe(false); // dropped from the local tier as invalidated
    clock.advance(100); // the marker's stale end: it no longer counts
    expect(await cache.get('k')).toBe('v');
  });

  it('resolves a set or a delete only once every tier has written it', async () => {
    const remote = new RecordingTier('remote', true);
    const { cache } = cacheOver([new RecordingTier('local', false), remote]);
    let finish = () => {};
    const slowly = () =>
      new Promise<void>((resolve) => {
        finish = resolve;
      });
    remote.set = slowly;
    remote.delete = slowly;
    for (const write of [() => cache.set('k', 1), () => cache.delete('k')]) {
      let done = false;
      const call = write().then(() => {
        done = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toBe(false);
      finish();
      await call;
      expect(done).toBe(true);
    }
  });
});
