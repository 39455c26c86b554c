import { EventEmitter } from 'node:events';
import type { CacheEntry } from '../core/CacheTier.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import type { AbortedError } from '../core/errors/AbortedError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { LoaderError } from '../core/errors/LoaderError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import { signalOption } from '../core/internal/signalOption.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { CacheClock } from './CacheClock.js';
import { CacheShutdown } from './CacheShutdown.js';
import { checkGetOrSet } from './checkArguments.js';
import { GuardedTier } from './GuardedTier.js';
import { InvalidationRelay } from './InvalidationRelay.js';
import { MemoryTier } from './MemoryTier.js';
import { raceAbortClose } from './raceAbort.js';
import { type ResolvedTieredCacheOptions, resolveOptions } from './resolveOptions.js';
import { SingleFlight } from './SingleFlight.js';
import type {
  GetOrSetOptions,
  Loader,
  LoaderContext,
  SetOptions,
  TieredCacheEvents,
  TieredCacheOptions,
  TieredCacheStats,
} from './TieredCacheOptions.js';
import { TierReader } from './TierReader.js';
import { TierWriter } from './TierWriter.js';
import { tiersHealth } from './tiersHealth.js';

// The façade: the public methods and the memory fast hit (see #fastHit); the rest is done by
// collaborators made once in the constructor: TierReader (read path), TierWriter (write and
// invalidate path), SingleFlight (loads, with CrossProcessLock), GuardedTier (per-tier guard),
// InvalidationRelay (bus coherence) and CacheShutdown.

/**
 * A cache over an ordered list of tiers (memory, then Redis, or your own), with one
 * `getOrSet` read path: it reads tier by tier, back-fills the faster tiers on a hit lower
 * down, and on a miss runs the loader once per key per process (once across processes with a
 * `lock`), sharing its value or its error with every waiter.
 *
 * - **TTLs**: `defaultTtlMs`, per-prefix `policies`, per-call `ttlMs`; jitter; negative caching
 *   of "not found"; grace and stale-while-revalidate.
 * - **Coherence**: with a `bus`, every change (`set`, `delete`, `clear`, tags; not a loaded
 *   value) publishes an invalidation and other processes drop
 *   their local copies (eventual: a reader elsewhere may see the old value until the message
 *   arrives; see the guide).
 * - **Degradation**: each remote tier sits behind a circuit breaker with a short timeout, so a
 *   slow or dead Redis costs reads `tierTimeoutMs` at most a few times and then nothing;
 *   reads never reject because of a tier, and the tier is used again once it answers.
 * - Memory hits resolve without touching timers or closures; {@link TieredCache.peek} reads the
 *   memory tier synchronously.
 *
 * @typeParam V - the type of the values (use `unknown` for a mixed cache).
 *
 * @example
 * {@includeCode ./TieredCache.test.ts#memoryOnly}
 */
export class TieredCache<V = unknown>
  extends EventEmitter<TieredCacheEvents>
  implements Closeable, HealthCheck, MetricsSource<TieredCacheStats>
{
  /** {@inheritDoc HealthCheck.name} */
  readonly name: string;
  readonly #o: ResolvedTieredCacheOptions;
  readonly #tiers: readonly GuardedTier[];
  /**
   * The first tier's store when it is a MemoryTier: the hot path reads it directly. Cleared on
   * close, so the hot path needs no `closed` check.
   */
  #memory: MemoryTier['lru'] | undefined;
  /** Coarse for the wall clock only (a fake clock must be exact). */
  readonly #time: CacheClock;
  readonly #reader: TierReader;
  readonly #writer: TierWriter;
  readonly #flight: SingleFlight<V>;
  readonly #relay: InvalidationRelay;
  readonly #shutdown: CacheShutdown;
  readonly #latency = new LatencyRecorder();
  readonly #lifetime = new AbortController();
  #sampleCountdown: number;
  #closed = false;
  // The fast hit's counter: a plain field, so the hit path pays one increment.
  #fastHits = 0;

  /**
   * @param options - tiers, TTLs, bus, lock, breaker settings.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: TieredCacheOptions) {
    super();
    const o = resolveOptions(options);
    this.#o = o;
    this.name = o.name;
    this.#tiers = o.tiers.map((tier) => new GuardedTier(tier, o.name, o, this));
    const first = o.tiers[0]?.tier;
    this.#memory = first instanceof MemoryTier ? first.lru : undefined;
    this.#time = new CacheClock(o.clock, o.coarseClock);
    this.#sampleCountdown = o.latencySampleEvery;
    const lifetime = this.#lifetime.signal;
    this.#relay = new InvalidationRelay(o.bus, o.channel, this.#tiers, o.tagTtlMs, this);
    this.#reader = new TierReader(this.#tiers, o.clock, this);
    this.#writer = new TierWriter(this.#tiers, o, this.#relay, this);
    // The lock lives with the first remote tier: its calls go through that tier's breaker.
    const breaker = this.#tiers.find((tier) => tier.remote)?.breaker;
    this.#flight = new SingleFlight(this.#reader, this.#writer, o, breaker, lifetime, this);
    const stopClock = (): void => this.#time.stop();
    this.#shutdown = new CacheShutdown(this.#flight, this.#relay, this.#tiers, o.closeTimeoutMs, stopClock);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads `key`: the first tier holding a fresh entry answers, and the faster tiers above it
   * are back-filled. A tier that fails is skipped.
   *
   * @typeParam T - narrows `V` for this key, in a cache that holds several types under key
   * prefixes (`TieredCache<User | Article>`); not checked at run time, like a cast.
   * @param key - the cache key.
   * @returns the value, or `undefined` on a miss (or a cached "not found").
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  get<T extends V = V>(key: string): Promise<T | undefined> {
    const entry = this.#fastHit(key);
    if (entry !== undefined) return Promise.resolve(entry.value as T | undefined);
    return this.#timed(this.#reader.get(key)) as Promise<T | undefined>;
  }

  /**
   * Reads `key` from the memory tier only, synchronously: for callers on a hot path that can
   * fall back to {@link TieredCache.get} when it returns `undefined`. Never reads a remote tier
   * or a tagged entry, and counts nothing in the stats.
   *
   * @param key - the cache key.
   * @returns the fresh value in the first tier (when it is a {@link MemoryTier}), else
   * `undefined` (always, once closed).
   *
   * @example
   * {@includeCode ./TieredCache.test.ts#peek}
   */
  peek(key: string): V | undefined {
    const entry = this.#memory?.get(key);
    return entry !== undefined && this.#servableAsIs(entry) ? (entry.value as V | undefined) : undefined;
  }

  /**
   * The hot path of `get` and `getOrSet`: a fresh, untagged memory entry, counted as a fast hit;
   * `undefined` sends the call down the slow path (also every `latencySampleEvery`-th call, which
   * the slow path times).
   *
   * It stays inline in the façade on purpose, with `peek`, `#now` and the counters it touches:
   * these hits are benchmarked against lru-cache and cache-manager, and must cost the lru lookup,
   * a clock read and an increment, with no call into a collaborator.
   */
  #fastHit(key: string): CacheEntry | undefined {
    const memory = this.#memory;
    if (memory === undefined || --this.#sampleCountdown === 0) return undefined;
    const entry = memory.get(key);
    if (entry === undefined || !this.#servableAsIs(entry)) return undefined;
    this.#fastHits++;
    return entry;
  }

  /** Refresh-ahead from a memory fast hit: the arguments are checked as `getOrSet` checks them. */
  #refreshIfDue(
    key: string,
    loader: Loader<V>,
    options: GetOrSetOptions | undefined,
    entry: CacheEntry,
  ): void {
    try {
      checkGetOrSet(key, loader, options);
    } catch {
      return; // a bad argument: the hit stands, the next miss reports it
    }
    this.#flight.refreshIfDue(key, loader, options, entry);
  }

  /** Fresh, and without tags (a tagged entry must be checked against its tags' markers). */
  #servableAsIs(entry: CacheEntry): boolean {
    return entry.tags === undefined && entry.freshUntil > this.#time.now();
  }

  /**
   * The main read path: returns the cached value of `key`, or runs `loader` and caches what it
   * returns. Concurrent calls for one key share one loader run (per process; across processes
   * with the `lock` option), and a failing loader's error is shared too. A stale entry within
   * grace stands in for a failing loader; with `staleWhileRevalidate` it is returned at once
   * while one refresh runs.
   *
   * @typeParam T - narrows `V` for this key, in a cache that holds several types under key
   * prefixes; the loader must return a `T`. Not checked at run time, like a cast.
   * @param key - the cache key.
   * @param loader - loads the value; `undefined` means "not found" (cached for `negativeTtlMs`).
   * @param options - TTLs and tags for the stored value, and a `signal` for this caller.
   * @returns the value, or `undefined` for "not found".
   * @throws {@link LoaderError} `ERR_LOADSTONE_LOADER` (with the loader's error as `cause`),
   * as a rejection, when the loader failed and no stale value could stand in;
   * {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`; `signal.reason` on abort;
   * {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad argument.
   *
   * The result's type follows the loader's: a loader that always returns a `T` gives a `T`, one
   * that may return `undefined` gives `T | undefined`. Keep one loader per key: callers of a key
   * share one loader run and its cached answer, "not found" included.
   *
   * @example
   * {@includeCode ./TieredCache.test.ts#getOrSet}
   */
  getOrSet<T extends V = V>(
    key: string,
    loader: (context: LoaderContext) => T | PromiseLike<T>,
    options?: GetOrSetOptions,
  ): Promise<T>;
  getOrSet<T extends V = V>(
    key: string,
    loader: Loader<T>,
    options?: GetOrSetOptions,
  ): Promise<T | undefined>;
  getOrSet<T extends V = V>(
    key: string,
    loader: Loader<T>,
    options?: GetOrSetOptions,
  ): Promise<T | undefined> {
    const entry = this.#fastHit(key);
    if (entry !== undefined) {
      if (this.#flight.isDue(entry)) this.#refreshIfDue(key, loader, options, entry);
      return Promise.resolve(entry.value as T | undefined);
    }
    return this.#timed(this.#flight.getOrSet(key, loader, options)) as Promise<T | undefined>;
  }

  /**
   * `true` when `key` has a fresh value (a cached "not found" does not count).
   * @param key - the cache key.
   * @returns whether a fresh value exists in some tier.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  has(key: string): Promise<boolean> {
    return this.#reader.has(key);
  }

  /**
   * Stores `value` in every tier and publishes an invalidation.
   *
   * @param key - the cache key.
   * @param value - anything but `undefined` (remote tiers serialise it).
   * @param options - `ttlMs`, `graceMs`, `tags`.
   * @returns a promise that resolves once every tier has been written or skipped.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, for a bad
   * key, value or option; {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`.
   */
  set(key: string, value: V, options?: SetOptions): Promise<void> {
    return this.#writer.set(key, value, options);
  }

  /**
   * {@link TieredCache.set} for several keys, with one invalidation message.
   * @param entries - keys, values and per-entry options.
   * @returns a promise that resolves once written.
   * @throws as {@link TieredCache.set}.
   */
  setMany(
    entries: readonly { readonly key: string; readonly value: V; readonly options?: SetOptions }[],
  ): Promise<void> {
    return this.#writer.setMany(entries);
  }

  /**
   * Reads several keys: memory first, then one multi-get per remote tier for the rest.
   * @param keys - the cache keys.
   * @returns the values in the order of `keys`, `undefined` where missing.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.#reader.getMany(keys) as Promise<(V | undefined)[]>;
  }

  /**
   * Removes `key` from every tier and publishes an invalidation.
   * @param key - the cache key.
   * @returns a promise that resolves once every tier has been updated or skipped.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  delete(key: string): Promise<void> {
    return this.#writer.delete(key);
  }

  /**
   * Empties every tier (a Redis tier only of its own prefix) and tells the other processes to
   * empty their local tiers.
   * @returns a promise that resolves once done.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  clear(): Promise<void> {
    return this.#writer.clear();
  }

  /**
   * Makes every entry written with one of `tags` before now a miss, in every process: a marker
   * per tag (kept `tagTtlMs`) is written to every tier and compared with the entries' write
   * time on read. Clocks of processes sharing a remote tier should agree to within the time
   * between a write and an invalidation.
   *
   * @param tags - the tags.
   * @returns a promise that resolves once the markers are written.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#writer.invalidateTags(tags);
  }

  /**
   * A fresh snapshot of the counters.
   * @returns hits and misses (overall and per tier), loader calls, collapsed stampedes, stale
   * values served, lock and bus counts, sampled latency.
   */
  stats(): TieredCacheStats {
    return {
      hits: this.#reader.hits + this.#fastHits,
      misses: this.#reader.misses,
      tiers: this.#tiers.map((tier, i) => tier.stats(i === 0 ? this.#fastHits : 0)),
      ...this.#flight.stats(),
      ...this.#relay.stats(),
      latency: this.#latency.snapshot(),
    };
  }

  /**
   * Reports the remote tiers: `healthy` when every breaker is closed, `degraded` when one is
   * open or probing (the cache still answers, from memory and loaders).
   * @param _signal - unused: the check reads local state only.
   * @returns the status, with each remote tier's breaker state in `details`.
   */
  async check(_signal?: AbortSignal): Promise<HealthCheckResult> {
    return tiersHealth(this.#tiers, this.#closed);
  }

  /**
   * Stops accepting calls (`ClosedError`), waits up to `closeTimeoutMs` for running loads,
   * unsubscribes from the bus and closes the tiers that are `Closeable` (a `RedisTier` leaves
   * your client alone). The bus itself is yours to close. Idempotent.
   * @param options - a `signal` to stop waiting, which destroys instead.
   * @returns a promise that resolves once closed.
   * @throws `signal.reason` (an {@link AbortedError} if not an `Error`), as a rejection, on abort.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'TieredCache.close');
    this.#closed = true;
    this.#memory = undefined;
    const closing = this.#shutdown.close();
    if (signal === undefined) return closing;
    if (signal.aborted) {
      await this.destroy(signal.reason);
      throw abortReason(signal, 'TieredCache close');
    }
    await raceAbortClose(closing, signal, () => void this.destroy(signal.reason));
  }

  /**
   * Stops at once: aborts the loaders' signal, unsubscribes and closes Closeable tiers.
   * @param reason - passed to the loaders' signal.
   * @returns a promise that resolves once released.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    this.#memory = undefined;
    if (!this.#lifetime.signal.aborted) this.#lifetime.abort(reason ?? new ClosedError('TieredCache'));
    await this.#shutdown.release();
  }

  /** Calls {@link TieredCache.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** Times one call in `latencySampleEvery` (the fast path counts down too). */
  #timed<T>(promise: Promise<T>): Promise<T> {
    if (this.#memory === undefined) this.#sampleCountdown--;
    if (this.#sampleCountdown !== 0) return promise;
    this.#sampleCountdown = this.#o.latencySampleEvery;
    const started = performance.now();
    const done = (): void => this.#latency.record(performance.now() - started);
    promise.then(done, done);
    return promise;
  }
}
