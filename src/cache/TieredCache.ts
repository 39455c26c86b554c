import { EventEmitter } from 'node:events';
import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { isCloseable } from '../core/Closeable.js';
import type { AbortedError } from '../core/errors/AbortedError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import { functionOption, nonEmptyStringOption, optionsObject } from '../core/internal/validate.js';
import type { JsonValue } from '../core/Json.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { CrossProcessLock } from './CrossProcessLock.js';
import { checkKey, checkSetOptions } from './checkSetOptions.js';
import { GuardedTier } from './GuardedTier.js';
import { InvalidationRelay } from './InvalidationRelay.js';
import { MemoryTier } from './MemoryTier.js';
import { raceAbort } from './raceAbort.js';
import { type ResolvedTieredCacheOptions, resolveOptions } from './resolveOptions.js';
import { SingleFlight } from './SingleFlight.js';
import type {
  GetOrSetOptions,
  Loader,
  SetOptions,
  TieredCacheEvents,
  TieredCacheOptions,
  TieredCacheStats,
} from './TieredCacheOptions.js';
import { TierReader } from './TierReader.js';
import { TierWriter } from './TierWriter.js';
import { TAG_PREFIX } from './tagMarker.js';

// The façade: options, events, the public methods and the memory fast hit. The read path
// (TierReader), the write path (TierWriter), the single flight of loads (SingleFlight, with
// CrossProcessLock), the per-tier guard (GuardedTier) and bus coherence (InvalidationRelay) are
// collaborators made once in the constructor.

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
  readonly #clock: Clock;
  /** Only the default clock may be read through a coarse cache (a fake clock must be exact). */
  readonly #coarse: boolean;
  readonly #reader: TierReader;
  readonly #writer: TierWriter;
  readonly #lock: CrossProcessLock | undefined;
  readonly #flight: SingleFlight<V>;
  readonly #relay: InvalidationRelay;
  readonly #latency = new LatencyRecorder();
  readonly #lifetime = new AbortController();
  #nowCache = 0;
  #nowTimer: NodeJS.Timeout | undefined;
  #sampleCountdown: number;
  #closed = false;
  #closing: Promise<void> | undefined;
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
    this.#clock = o.clock;
    this.#coarse = o.coarseClock;
    this.#sampleCountdown = o.latencySampleEvery;
    const lifetime = this.#lifetime.signal;
    this.#reader = new TierReader(this.#tiers, o.clock);
    this.#writer = new TierWriter(this.#tiers, o);
    // The lock lives with the first remote tier: its calls go through that tier's breaker.
    const breaker = this.#tiers.find((tier) => tier.remote)?.breaker;
    this.#lock =
      o.lock === undefined ? undefined : new CrossProcessLock(o.lock, breaker, this.#reader, o, lifetime);
    this.#flight = new SingleFlight(
      this.#reader,
      this.#writer,
      this.#lock,
      o.clock,
      o.staleWhileRevalidate,
      lifetime,
    );
    this.#relay = new InvalidationRelay(o.bus, o.channel, this.#tiers, o.tagTtlMs, this);
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
    return this.#timed(this.#getSlow(key)) as Promise<T | undefined>;
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
   */
  #fastHit(key: string): CacheEntry | undefined {
    const memory = this.#memory;
    if (memory === undefined || --this.#sampleCountdown === 0) return undefined;
    const entry = memory.get(key);
    if (entry === undefined || !this.#servableAsIs(entry)) return undefined;
    this.#fastHits++;
    return entry;
  }

  /** Fresh, and without tags (a tagged entry must be checked against its tags' markers). */
  #servableAsIs(entry: CacheEntry): boolean {
    return entry.tags === undefined && entry.freshUntil > this.#now();
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
   * @example
   * {@includeCode ./TieredCache.test.ts#getOrSet}
   */
  getOrSet<T extends V = V>(
    key: string,
    loader: Loader<T>,
    options?: GetOrSetOptions,
  ): Promise<T | undefined> {
    const entry = this.#fastHit(key);
    if (entry !== undefined) return Promise.resolve(entry.value as T | undefined);
    return this.#timed(this.#getOrSetSlow(key, loader, options)) as Promise<T | undefined>;
  }

  /**
   * `true` when `key` has a fresh value (a cached "not found" does not count).
   * @param key - the cache key.
   * @returns whether a fresh value exists in some tier.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  async has(key: string): Promise<boolean> {
    this.#checkOpen();
    checkKey(key);
    const found = await this.#reader.lookup(key);
    return found?.fresh === true && found.entry.value !== undefined;
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
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    this.#checkOpen();
    checkKey(key);
    if (value === undefined) throw new InvalidOptionError('value', 'defined (use delete())', value);
    const opts = optionsObject('options', options);
    checkSetOptions(opts, 'options');
    await this.#writer.write(key, value, opts);
    this.#relay.keysChanged([key]);
  }

  /**
   * {@link TieredCache.set} for several keys, with one invalidation message.
   * @param entries - keys, values and per-entry options.
   * @returns a promise that resolves once written.
   * @throws as {@link TieredCache.set}.
   */
  async setMany(
    entries: readonly { readonly key: string; readonly value: V; readonly options?: SetOptions }[],
  ): Promise<void> {
    this.#checkOpen();
    if (!Array.isArray(entries)) throw new InvalidOptionError('entries', 'an array', entries);
    for (const [i, entry] of entries.entries()) {
      checkKey(entry?.key, `entries[${i}].key`);
      if (entry.value === undefined)
        throw new InvalidOptionError(`entries[${i}].value`, 'defined', undefined);
      checkSetOptions(optionsObject(`entries[${i}].options`, entry.options), `entries[${i}].options`);
    }
    await Promise.all(
      entries.map((entry) => this.#writer.write(entry.key, entry.value, entry.options ?? {})),
    );
    if (entries.length > 0) this.#relay.keysChanged(entries.map((entry) => entry.key));
  }

  /**
   * Reads several keys: memory first, then one multi-get per remote tier for the rest.
   * @param keys - the cache keys.
   * @returns the values in the order of `keys`, `undefined` where missing.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    // Not async: the read path's promise is returned as it is, so the call settles exactly when
    // the reads are done (an async wrapper adds a promise hop); a bad call still rejects.
    try {
      this.#checkOpen();
      if (!Array.isArray(keys)) throw new InvalidOptionError('keys', 'an array', keys);
      for (let i = 0; i < keys.length; i++) checkKey(keys[i], `keys[${i}]`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#reader.readMany(keys) as Promise<(V | undefined)[]>;
  }

  /**
   * Removes `key` from every tier and publishes an invalidation.
   * @param key - the cache key.
   * @returns a promise that resolves once every tier has been updated or skipped.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  async delete(key: string): Promise<void> {
    this.#checkOpen();
    checkKey(key);
    await this.#writer.delete([key]);
    this.#relay.keysChanged([key]);
  }

  /**
   * Empties every tier (a Redis tier only of its own prefix) and tells the other processes to
   * empty their local tiers.
   * @returns a promise that resolves once done.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  async clear(): Promise<void> {
    this.#checkOpen();
    await this.#writer.clear();
    this.#relay.cleared();
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
  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#checkOpen();
    if (!Array.isArray(tags)) throw new InvalidOptionError('tags', 'an array of strings', tags);
    for (let i = 0; i < tags.length; i++) nonEmptyStringOption(`tags[${i}]`, tags[i]);
    const now = this.#clock.now();
    const keys = tags.map((tag) => TAG_PREFIX + tag);
    await this.#writer.writeTagMarkers(keys, now);
    this.#relay.tagsInvalidated(keys, now);
  }

  /**
   * A fresh snapshot of the counters.
   * @returns hits and misses (overall and per tier), loader calls, collapsed stampedes, stale
   * values served, lock and bus counts, sampled latency.
   */
  stats(): TieredCacheStats {
    const tiers = this.#tiers.map((tier, i) => tier.stats(i === 0 ? this.#fastHits : 0));
    const flight = this.#flight;
    const relay = this.#relay;
    return {
      hits: this.#reader.hits + this.#fastHits,
      misses: this.#reader.misses,
      tiers,
      loaderCalls: flight.loaderCalls,
      loaderErrors: flight.loaderErrors,
      stampedesCollapsed: flight.collapsed,
      staleServed: flight.staleServed,
      refreshes: flight.refreshes,
      locksAcquired: this.#lock?.acquired ?? 0,
      lockWaits: this.#lock?.waits ?? 0,
      invalidationsSent: relay.sent,
      invalidationsFailed: relay.sendFailures,
      invalidationsReceived: relay.received,
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
    const details: Record<string, JsonValue> = {};
    const down: string[] = [];
    for (const slot of this.#tiers) {
      if (slot.breaker === undefined) continue;
      const state = slot.breaker.state;
      details[slot.name] = state;
      if (state !== 'closed') down.push(slot.name);
    }
    if (this.#closed) return { status: 'critical', message: 'closed', details };
    if (down.length === 0) return { status: 'healthy', details };
    return { status: 'degraded', message: `tier ${down.join(', ')} skipped (circuit open)`, details };
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
    const signal = optionsObject('options', options).signal;
    this.#closed = true;
    this.#memory = undefined;
    this.#closing ??= this.#drain();
    if (signal === undefined) return this.#closing;
    if (signal.aborted) {
      await this.destroy(signal.reason);
      throw abortReason(signal, 'TieredCache close');
    }
    const closing = this.#closing;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        void this.destroy(signal.reason);
        reject(abortReason(signal, 'TieredCache close'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void closing.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
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
    await this.#release();
  }

  /** Calls {@link TieredCache.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---------------------------------------------------------------------------------------------

  #now(): number {
    if (!this.#coarse) return this.#clock.now();
    // Date.now() per hit costs more than the lru lookup; a 1 ms cache (as lru-cache's
    // ttlResolution) keeps expiry exact to the millisecond.
    if (this.#nowTimer === undefined) {
      this.#nowCache = Date.now();
      this.#nowTimer = setTimeout(() => {
        this.#nowTimer = undefined;
      }, 1);
      this.#nowTimer.unref();
    }
    return this.#nowCache;
  }

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

  async #getSlow(key: string): Promise<V | undefined> {
    this.#checkOpen();
    checkKey(key);
    const found = await this.#reader.lookup(key);
    if (found === undefined || !found.fresh) {
      this.#reader.misses++;
      return undefined;
    }
    this.#reader.hits++;
    return found.entry.value as V | undefined;
  }

  async #getOrSetSlow(
    key: string,
    loader: Loader<V>,
    options: GetOrSetOptions | undefined,
  ): Promise<V | undefined> {
    this.#checkOpen();
    checkKey(key);
    functionOption('loader', loader);
    const opts = optionsObject('options', options);
    const signal = opts.signal;
    if (signal !== undefined) {
      if (!(signal instanceof AbortSignal))
        throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
      if (signal.aborted) throw abortReason(signal, 'TieredCache getOrSet');
    }
    checkSetOptions(opts, 'options');
    const flight = this.#flight.join(key, loader, opts);
    return signal === undefined ? flight : raceAbort(flight, signal);
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('TieredCache');
  }

  async #drain(): Promise<void> {
    const running = this.#flight.running();
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#o.closeTimeoutMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    await this.#release();
  }

  async #release(): Promise<void> {
    this.#relay.dispose();
    clearTimeout(this.#nowTimer);
    await Promise.all(
      this.#tiers.map((slot) =>
        isCloseable(slot.tier) && !slot.tier.closed ? slot.tier.close() : undefined,
      ),
    );
  }
}
