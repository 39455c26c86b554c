/**
 * `T` for a synchronous tier, `Promise<T>` for an asynchronous one: a memory tier answers at
 * once, a remote tier (Redis) over the network.
 */
export type PromiseOr<T, Sync extends boolean> = Sync extends true ? T : Promise<T>;

/**
 * One cached value with the metadata every tier stores alongside it. Times are milliseconds on
 * the owning cache's clock (wall-clock `Date.now()` by default, so that processes sharing a
 * remote tier agree on them).
 */
export type CacheEntry = {
  /** The value; `undefined` marks a cached "not found" (negative caching). */
  readonly value: unknown;
  /** When the entry was written. Tag invalidations compare against it. */
  readonly createdAt: number;
  /** The entry is fresh before this time. */
  readonly freshUntil: number;
  /**
   * The entry may still be served as stale (stale-while-revalidate, grace) before this time;
   * `>= freshUntil`. After it the entry is garbage and a tier may drop it.
   */
  readonly staleUntil: number;
  /** Tags for `invalidateTags`, when any. */
  readonly tags?: readonly string[];
};

/**
 * One level of a tiered cache (`TieredCache` in `loadstone/cache` takes an ordered list,
 * fastest first). Built-in: `MemoryTier` (synchronous, lru-cache) and `RedisTier`
 * (asynchronous). Implement it to add your own level, e.g. memcached.
 *
 * Tiers store entries as given and do not interpret times: the cache checks freshness. A tier
 * may drop an entry at any time (eviction); `ttlMs` tells it when the entry becomes garbage.
 * Tiers that own resources may also implement `Closeable`; tiers that can report on a backend
 * may implement `HealthCheck`.
 *
 * @typeParam Sync - `true` for a tier whose methods return plain values.
 *
 * @example
 * {@includeCode ../cache/TieredCache.test.ts#customTier}
 */
export interface CacheTier<Sync extends boolean = boolean> {
  /** Short name used in stats, events and errors, e.g. `memory` or `redis`. */
  readonly name: string;
  /**
   * `true` for a tier other processes share (Redis): the cache guards it with a circuit breaker
   * and a timeout, and an invalidation received from another process leaves it alone (that
   * process already wrote it). Local tiers omit it.
   */
  readonly remote?: boolean;

  /**
   * Reads the entry of `key`.
   * @param key - the cache key.
   * @returns the entry, or `undefined` when the tier has none.
   */
  get(key: string): PromiseOr<CacheEntry | undefined, Sync>;

  /**
   * Stores `entry` under `key`, replacing any previous one.
   * @param key - the cache key.
   * @param entry - the entry to store.
   * @param ttlMs - milliseconds after which the entry is garbage (an integer >= 1).
   */
  set(key: string, entry: CacheEntry, ttlMs: number): PromiseOr<void, Sync>;

  /**
   * Removes the entries of `keys` (missing keys are ignored).
   * @param keys - the cache keys.
   */
  delete(keys: readonly string[]): PromiseOr<void, Sync>;

  /** Removes every entry this tier holds for its owner (e.g. a Redis tier's own key prefix). */
  clear(): PromiseOr<void, Sync>;
}
