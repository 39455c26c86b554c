import type { Bus } from '../core/Bus.js';
import type { CacheTier } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import type { LatencySnapshot } from '../core/LatencyRecorder.js';
import type { RandomSource } from '../core/RandomSource.js';
import type { CacheLock } from './CacheLock.js';

/** TTLs for the keys that start with `prefix` (the longest matching prefix wins). */
export type TtlPolicy = {
  /** Key prefix, e.g. `user:`. Non-empty. */
  readonly prefix: string;
  /** Freshness of these keys in ms. Minimum: 1. */
  readonly ttlMs: number;
  /** Grace for these keys in ms. @default the cache's `graceMs` */
  readonly graceMs?: number;
  /** Negative-cache TTL for these keys in ms. @default the cache's `negativeTtlMs` */
  readonly negativeTtlMs?: number;
};

/** Options of {@link TieredCache}. */
export type TieredCacheOptions = {
  /** The tiers, fastest first, e.g. `[new MemoryTier(…), new RedisTier(…)]`. At least one. */
  readonly tiers: readonly CacheTier[];
  /** Freshness of an entry in ms when no policy or call option says otherwise. Minimum: 1. @default 60_000 */
  readonly defaultTtlMs?: number;
  /** TTLs by key prefix; the longest matching prefix wins. @default [] */
  readonly policies?: readonly TtlPolicy[];
  /**
   * How long after its TTL an entry is kept to be served as stale: when the loader fails
   * within this window, `getOrSet` returns the stale value instead of rejecting; with
   * `staleWhileRevalidate` it is returned at once while one refresh runs. `0` turns both off.
   * @default 0
   */
  readonly graceMs?: number;
  /**
   * With `graceMs > 0`: a `getOrSet` that finds a stale entry returns it at once and refreshes
   * it in the background (one refresh per key per process).
   * @default false
   */
  readonly staleWhileRevalidate?: boolean;
  /**
   * Refresh-ahead (Coherence's refresh-ahead factor): a `getOrSet` that finds a fresh entry in
   * the last `refreshAhead` part of its TTL returns it and reloads the key in the background
   * (once per key per process; once across processes with the `lock`), so a hot key is replaced
   * before it expires and its readers never miss. A failed reload keeps the current value and
   * counts in `loaderErrors`. From 0 (off) to below 1: `0.2` reloads in the last fifth.
   * @default 0
   */
  readonly refreshAhead?: number;
  /**
   * TTL in ms of a cached "not found" (a loader that returned `undefined`). `0` means not
   * found is not cached.
   * @default 0
   */
  readonly negativeTtlMs?: number;
  /**
   * Each TTL is shortened by a random fraction up to this, so entries written together do not
   * all expire together. Range: [0, 1). `0` disables it.
   * @default 0.1
   */
  readonly jitterRatio?: number;
  /**
   * Where invalidations go to and come from: every `set`, `setMany`, `delete`, `clear` and
   * `invalidateTags` publishes one; the others drop their local copies. A value a loader brings
   * in publishes nothing: it is not a change (the writer of a change publishes it). Use the same bus and
   * channel in every process (`RedisBus` across machines).
   */
  readonly bus?: Bus;
  /** Bus channel. @default 'loadstone:cache:invalidate' */
  readonly channel?: string;
  /**
   * A lock shared across processes (`RedisLock`): a `getOrSet` miss then runs the loader once
   * per key across all processes, not once per process.
   */
  readonly lock?: CacheLock;
  /** Lifetime of a lock in ms: a holder that dies frees it after this. Minimum: 1. @default 10_000 */
  readonly lockTtlMs?: number;
  /**
   * How long a process waits for another's lock (polling the tiers) before running the loader
   * itself. Minimum: 0. @default 5_000
   */
  readonly lockWaitMs?: number;
  /** Poll interval in ms while waiting for a lock. Minimum: 1. @default 20 */
  readonly lockPollMs?: number;
  /**
   * Timeout in ms of every call to a remote tier (and the lock); a call past it counts as a
   * failure and the cache carries on without that tier. Minimum: 1. @default 250
   */
  readonly tierTimeoutMs?: number;
  /** Consecutive failures of a remote tier that open its circuit breaker. Minimum: 1. @default 3 */
  readonly tierFailureThreshold?: number;
  /** How long an open breaker skips its tier before one probe call tries it again, in ms. Minimum: 1. @default 2_000 */
  readonly tierOpenDurationMs?: number;
  /**
   * Lifetime of a tag-invalidation marker in ms; entries with a tag must not outlive it, or an
   * invalidation older than them is forgotten. Minimum: 1. @default 604_800_000 (7 days)
   */
  readonly tagTtlMs?: number;
  /**
   * Time source for TTLs. Entries carry absolute times, so processes sharing a remote tier need
   * clocks that agree: the default is the wall clock.
   * @default `{ now: Date.now }`
   */
  readonly clock?: Clock;
  /** Random numbers in [0, 1) for the TTL jitter. @default Math.random */
  readonly random?: RandomSource;
  /** Time one `get`/`getOrSet` in this many for the latency percentiles. `0` never times. @default 64 */
  readonly latencySampleEvery?: number;
  /** Name of the health check. @default 'cache' */
  readonly name?: string;
  /** How long `close()` waits for running loaders, in ms. @default 5_000 */
  readonly closeTimeoutMs?: number;
};

/** Per-call options of {@link TieredCache.set}. */
export type SetOptions = {
  /** Freshness in ms. Minimum: 1. @default the policy's or `defaultTtlMs` */
  readonly ttlMs?: number;
  /** Grace in ms. Minimum: 0. @default the policy's or `graceMs` */
  readonly graceMs?: number;
  /** Tags, for {@link TieredCache.invalidateTags}. */
  readonly tags?: readonly string[];
};

/** Per-call options of {@link TieredCache.getOrSet}. */
export type GetOrSetOptions = SetOptions & {
  /** Negative-cache TTL in ms (`0`: don't cache "not found"). @default the policy's or `negativeTtlMs` */
  readonly negativeTtlMs?: number;
  /**
   * Stops this caller's wait (rejecting with `signal.reason`); the load itself goes on for the
   * other callers.
   */
  readonly signal?: AbortSignal;
};

/** What a loader receives. */
export type LoaderContext = {
  /** The key being loaded. */
  readonly key: string;
  /** Aborted when the cache is destroyed. */
  readonly signal: AbortSignal;
};

/** Loads the value of a missing key; resolve `undefined` for "not found". */
export type Loader<T> = (context: LoaderContext) => T | undefined | PromiseLike<T | undefined>;

/** State of one tier, in {@link TieredCacheStats}. */
export type TierStats = {
  /** The tier's name. */
  readonly name: string;
  /** `local` for a local tier, else its circuit breaker's state (`open`: being skipped). */
  readonly state: 'local' | 'closed' | 'open' | 'half-open';
  /** Reads that found a usable entry here. */
  readonly hits: number;
  /** Reads that found none (or only an expired or stale one). */
  readonly misses: number;
  /** Calls not made because the tier's breaker was open. */
  readonly skipped: number;
  /** Calls that failed or timed out. */
  readonly errors: number;
};

/** Snapshot returned by {@link TieredCache.stats}. */
export type TieredCacheStats = {
  /** `get`/`getOrSet`/`has` calls answered from a tier (including cached "not found"). */
  readonly hits: number;
  /** Calls that found no fresh entry in any tier. */
  readonly misses: number;
  /** Per tier, in order. */
  readonly tiers: readonly TierStats[];
  /** Loader runs. */
  readonly loaderCalls: number;
  /** Loader runs that failed. */
  readonly loaderErrors: number;
  /** `getOrSet` calls that joined a load already running in this process instead of starting one. */
  readonly stampedesCollapsed: number;
  /** Stale values returned (stale-while-revalidate, or grace after a loader failure). */
  readonly staleServed: number;
  /** Background refreshes started. */
  readonly refreshes: number;
  /** Locks taken, and waits for another process's lock. */
  readonly locksAcquired: number;
  /** Times this process waited on another's lock. */
  readonly lockWaits: number;
  /** Invalidations published on the bus. */
  readonly invalidationsSent: number;
  /**
   * Invalidations the bus failed to publish (bus closed, Redis down): other processes keep their
   * memory-tier copy of those keys until it expires. Nothing else reports these.
   */
  readonly invalidationsFailed: number;
  /** Invalidations received from other processes. */
  readonly invalidationsReceived: number;
  /** Sampled `get`/`getOrSet` latency (see `latencySampleEvery`). */
  readonly latency: LatencySnapshot;
};

/** Payload of the `tier:failed` event. */
export type TierFailedEvent = {
  /** The tier's name. */
  readonly tier: string;
  /** The operation, e.g. `get`. */
  readonly operation: string;
  /** The failure (a `TierError` with the cause). */
  readonly error: Error;
};

/** Events of {@link TieredCache}. */
export type TieredCacheEvents = {
  /** A remote tier call failed or timed out; the cache carried on without it. */
  'tier:failed': [event: TierFailedEvent];
};
