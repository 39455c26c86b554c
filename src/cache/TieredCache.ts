import { EventEmitter } from 'node:events';
import type { Bus } from '../core/Bus.js';
import type { CacheEntry, CacheTier } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { isCloseable } from '../core/Closeable.js';
import type { AbortedError } from '../core/errors/AbortedError.js';
import { CircuitOpenError } from '../core/errors/CircuitOpenError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { LoaderError } from '../core/errors/LoaderError.js';
import { TierError } from '../core/errors/TierError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import {
  booleanOption,
  functionOption,
  implementationOption,
  integerOption,
  nonEmptyStringOption,
  numberOption,
  optionsObject,
} from '../core/internal/validate.js';
import type { JsonValue } from '../core/Json.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type { RandomSource } from '../core/RandomSource.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { CacheLock } from './CacheLock.js';
import { MemoryTier } from './MemoryTier.js';
import type {
  GetOrSetOptions,
  Loader,
  SetOptions,
  TieredCacheEvents,
  TieredCacheOptions,
  TieredCacheStats,
  TierStats,
  TtlPolicy,
} from './TieredCacheOptions.js';

type ResolvedPolicy = {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly graceMs: number;
  readonly negativeTtlMs: number;
};

/** The resolved, frozen form of {@link TieredCacheOptions}. */
type ResolvedTieredCacheOptions = {
  readonly defaultPolicy: ResolvedPolicy;
  readonly policies: readonly ResolvedPolicy[];
  readonly staleWhileRevalidate: boolean;
  readonly jitterRatio: number;
  readonly channel: string;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly lockPollMs: number;
  readonly tierTimeoutMs: number;
  readonly tagTtlMs: number;
  readonly latencySampleEvery: number;
  readonly closeTimeoutMs: number;
};

type Slot = {
  readonly tier: CacheTier;
  readonly name: string;
  readonly remote: boolean;
  readonly breaker: CircuitBreaker | undefined;
  readonly getMany: ((keys: readonly string[]) => Promise<(CacheEntry | undefined)[]>) | undefined;
  hits: number;
  misses: number;
  skipped: number;
  errors: number;
};

type Found = { readonly entry: CacheEntry; readonly fresh: boolean };

/** An invalidation on the bus: origin, and keys or "clear". */
/** An invalidation on the bus: origin, and keys or "clear"; `t` marks a tag invalidation at that time. */
type Invalidation = { o: string; k?: string[]; c?: 1; t?: number };

const wallClock: Clock = Object.freeze({ now: () => Date.now() });
const TAG_PREFIX = '__loadstone:tag:';

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
  readonly #slots: readonly Slot[];
  readonly #remote: Slot | undefined;
  /**
   * The first tier's store when it is a MemoryTier: the hot path reads it directly. Cleared on
   * close, so the hot path needs no `closed` check.
   */
  #memory: MemoryTier['lru'] | undefined;
  readonly #clock: Clock;
  /** Only the default clock may be read through a coarse cache (a fake clock must be exact). */
  readonly #coarse: boolean;
  readonly #random: RandomSource;
  readonly #bus: Bus | undefined;
  readonly #lock: CacheLock | undefined;
  readonly #origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly #subscription: Disposable | undefined;
  readonly #flights = new Map<string, Promise<unknown>>();
  readonly #refreshing = new Set<string>();
  readonly #latency = new LatencyRecorder();
  readonly #lifetime = new AbortController();
  #nowCache = 0;
  #nowTimer: NodeJS.Timeout | undefined;
  #sampleCountdown: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #lastTagInvalidation = Number.NEGATIVE_INFINITY;
  // Counters: plain fields, so the hit path pays one increment.
  #fastHits = 0;
  #hits = 0;
  #misses = 0;
  #loaderCalls = 0;
  #loaderErrors = 0;
  #collapsed = 0;
  #staleServed = 0;
  #refreshes = 0;
  #locksAcquired = 0;
  #lockWaits = 0;
  #sent = 0;
  #sendFailures = 0;
  #received = 0;

  /**
   * @param options - tiers, TTLs, bus, lock, breaker settings.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: TieredCacheOptions) {
    super();
    const opts = optionsObject('options', options) as Partial<TieredCacheOptions>;
    const tiers = opts.tiers;
    if (!Array.isArray(tiers) || tiers.length === 0) {
      throw new InvalidOptionError('options.tiers', 'a non-empty array of cache tiers', tiers);
    }
    const resolved = resolveOptions(opts);
    this.#o = resolved;
    this.name = nonEmptyStringOption('options.name', opts.name ?? 'cache');
    const failures = integerOption('options.tierFailureThreshold', opts.tierFailureThreshold ?? 3, 1);
    const openMs = integerOption('options.tierOpenDurationMs', opts.tierOpenDurationMs ?? 2_000, 1);
    this.#slots = tiers.map((tier: CacheTier, i: number) => {
      const path = `options.tiers[${i}]`;
      if (
        typeof tier !== 'object' ||
        tier === null ||
        typeof tier.get !== 'function' ||
        typeof tier.set !== 'function' ||
        typeof tier.delete !== 'function' ||
        typeof tier.clear !== 'function'
      ) {
        throw new InvalidOptionError(path, 'a CacheTier (get, set, delete, clear)', tier);
      }
      const name = nonEmptyStringOption(`${path}.name`, tier.name);
      const remote = tier.remote === true;
      const many = (tier as { getMany?: unknown }).getMany;
      return {
        tier,
        name,
        remote,
        breaker: remote
          ? new CircuitBreaker({
              name: `${this.name}:${name}`,
              consecutiveFailures: failures,
              openDurationMs: openMs,
              timeoutMs: resolved.tierTimeoutMs,
            })
          : undefined,
        getMany:
          typeof many === 'function'
            ? (keys: readonly string[]) => many.call(tier, keys) as Promise<(CacheEntry | undefined)[]>
            : undefined,
        hits: 0,
        misses: 0,
        skipped: 0,
        errors: 0,
      };
    });
    this.#remote = this.#slots.find((slot) => slot.remote);
    const first = tiers[0];
    this.#memory = first instanceof MemoryTier ? first.lru : undefined;
    if (
      opts.clock !== undefined &&
      (typeof opts.clock !== 'object' || typeof opts.clock?.now !== 'function')
    ) {
      throw new InvalidOptionError('options.clock', 'a Clock', opts.clock);
    }
    this.#clock = opts.clock ?? wallClock;
    this.#coarse = opts.clock === undefined;
    this.#random =
      opts.random === undefined ? Math.random : functionOption<RandomSource>('options.random', opts.random);
    this.#sampleCountdown = resolved.latencySampleEvery;
    if (opts.lock !== undefined) {
      this.#lock = implementationOption<CacheLock>(
        'options.lock',
        opts.lock,
        ['acquire', 'release'],
        'a CacheLock',
      );
    }
    if (opts.bus !== undefined) {
      const bus = implementationOption<Bus>('options.bus', opts.bus, ['publish', 'subscribe'], 'a Bus');
      this.#bus = bus;
      this.#subscription = bus.subscribe(resolved.channel, this.#onInvalidation);
    }
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
    const found = await this.#lookup(key);
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
    await this.#write(key, value, opts);
    this.#publish({ o: this.#origin, k: [key] });
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
    await Promise.all(entries.map((entry) => this.#write(entry.key, entry.value, entry.options ?? {})));
    if (entries.length > 0) this.#publish({ o: this.#origin, k: entries.map((entry) => entry.key) });
  }

  /**
   * Reads several keys: memory first, then one multi-get per remote tier for the rest.
   * @param keys - the cache keys.
   * @returns the values in the order of `keys`, `undefined` where missing.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#checkOpen();
    if (!Array.isArray(keys)) throw new InvalidOptionError('keys', 'an array', keys);
    for (let i = 0; i < keys.length; i++) checkKey(keys[i], `keys[${i}]`);
    const results: (V | undefined)[] = new Array(keys.length).fill(undefined);
    let pending: number[] = keys.map((_, i) => i);
    const foundAt = new Map<number, { entry: CacheEntry; slot: number }>();
    for (let s = 0; s < this.#slots.length && pending.length > 0; s++) {
      const slot = this.#slots[s] as Slot;
      const wanted = pending.map((i) => keys[i] as string);
      let entries: (CacheEntry | undefined)[];
      if (slot.getMany !== undefined) {
        const many = slot.getMany;
        entries = (await this.#guard(slot, 'getMany', () => many(wanted))) ?? [];
      } else {
        entries = await Promise.all(wanted.map((key) => this.#readSlot(slot, key)));
      }
      const next: number[] = [];
      const now = this.#clock.now();
      for (let j = 0; j < pending.length; j++) {
        const i = pending[j] as number;
        const entry = entries[j];
        if (entry !== undefined && entry.freshUntil > now && !(await this.#tagged(entry))) {
          slot.hits++;
          foundAt.set(i, { entry, slot: s });
          results[i] = entry.value as V | undefined;
        } else {
          slot.misses++;
          next.push(i);
        }
      }
      pending = next;
    }
    for (const [i, { entry, slot }] of foundAt) if (slot > 0) this.#backfill(keys[i] as string, entry, slot);
    this.#hits += keys.length - pending.length;
    this.#misses += pending.length;
    return results;
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
    await this.#deleteEverywhere([key]);
    this.#publish({ o: this.#origin, k: [key] });
  }

  /**
   * Empties every tier (a Redis tier only of its own prefix) and tells the other processes to
   * empty their local tiers.
   * @returns a promise that resolves once done.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   */
  async clear(): Promise<void> {
    this.#checkOpen();
    await Promise.all(this.#slots.map((slot) => this.#guard(slot, 'clear', () => slot.tier.clear())));
    this.#publish({ o: this.#origin, c: 1 });
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
    this.#lastTagInvalidation = now;
    const marker: CacheEntry = {
      value: now,
      createdAt: now,
      freshUntil: now + this.#o.tagTtlMs,
      staleUntil: now + this.#o.tagTtlMs,
    };
    const keys = tags.map((tag) => TAG_PREFIX + tag);
    await Promise.all(keys.map((key) => this.#writeEntry(key, marker, this.#o.tagTtlMs)));
    this.#publish({ o: this.#origin, k: keys, t: now });
  }

  /**
   * A fresh snapshot of the counters.
   * @returns hits and misses (overall and per tier), loader calls, collapsed stampedes, stale
   * values served, lock and bus counts, sampled latency.
   */
  stats(): TieredCacheStats {
    const tiers: TierStats[] = this.#slots.map((slot, i) => ({
      name: slot.name,
      state: slot.breaker === undefined ? 'local' : slot.breaker.state,
      hits: slot.hits + (i === 0 ? this.#fastHits : 0),
      misses: slot.misses,
      skipped: slot.skipped,
      errors: slot.errors,
    }));
    return {
      hits: this.#hits + this.#fastHits,
      misses: this.#misses,
      tiers,
      loaderCalls: this.#loaderCalls,
      loaderErrors: this.#loaderErrors,
      stampedesCollapsed: this.#collapsed,
      staleServed: this.#staleServed,
      refreshes: this.#refreshes,
      locksAcquired: this.#locksAcquired,
      lockWaits: this.#lockWaits,
      invalidationsSent: this.#sent,
      invalidationsFailed: this.#sendFailures,
      invalidationsReceived: this.#received,
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
    for (const slot of this.#slots) {
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
    const found = await this.#lookup(key);
    if (found === undefined || !found.fresh) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
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
    let flight = this.#flights.get(key) as Promise<V | undefined> | undefined;
    if (flight !== undefined) {
      this.#collapsed++;
    } else {
      flight = this.#load(key, loader, opts);
      this.#flights.set(key, flight);
      const started = flight;
      const forget = (): void => {
        if (this.#flights.get(key) === started) this.#flights.delete(key);
      };
      started.then(forget, forget);
    }
    return signal === undefined ? flight : raceAbort(flight, signal);
  }

  async #load(key: string, loader: Loader<V>, opts: GetOrSetOptions): Promise<V | undefined> {
    const found = await this.#lookup(key);
    if (found?.fresh === true) {
      this.#hits++;
      return found.entry.value as V | undefined;
    }
    this.#misses++;
    const stale = found?.entry;
    if (stale !== undefined && this.#o.staleWhileRevalidate) {
      this.#staleServed++;
      if (!this.#refreshing.has(key)) {
        this.#refreshing.add(key);
        this.#refreshes++;
        void this.#runLoader(key, loader, opts, undefined)
          .catch(() => undefined)
          .finally(() => this.#refreshing.delete(key));
      }
      return stale.value as V | undefined;
    }
    return this.#runLoader(key, loader, opts, stale);
  }

  async #runLoader(
    key: string,
    loader: Loader<V>,
    opts: GetOrSetOptions,
    stale: CacheEntry | undefined,
  ): Promise<V | undefined> {
    let token: string | undefined;
    if (this.#lock !== undefined) {
      const outcome = await this.#acquireOrWait(key);
      if (outcome.entry !== undefined) return outcome.entry.value as V | undefined;
      token = outcome.token;
    }
    try {
      this.#loaderCalls++;
      let value: V | undefined;
      try {
        value = await loader({ key, signal: this.#lifetime.signal });
      } catch (error) {
        this.#loaderErrors++;
        if (stale !== undefined && stale.staleUntil > this.#clock.now()) {
          this.#staleServed++;
          return stale.value as V | undefined;
        }
        throw new LoaderError(key, { cause: error });
      }
      // A loaded value is not a change: it came from the source of truth, like the copies other
      // processes hold, so it publishes no invalidation. (Publishing made memory-only workers on
      // one bus evict each other's hot keys on every load: 0 hits in 40 round-robin reads.) Whoever
      // changes the data says so with set, delete or invalidateTags.
      if (!this.#lifetime.signal.aborted) await this.#write(key, value, opts);
      return value;
    } finally {
      if (token !== undefined) await this.#unlock(key, token);
    }
  }

  /** Takes the cross-process lock, or waits for its holder's value, or gives up waiting. */
  async #acquireOrWait(key: string): Promise<{ entry?: CacheEntry; token?: string }> {
    const lock = this.#lock as CacheLock;
    const deadline = performance.now() + this.#o.lockWaitMs;
    let waited = false;
    for (;;) {
      let token: string | undefined;
      try {
        token = await this.#guardLock(() => lock.acquire(key, this.#o.lockTtlMs));
      } catch {
        return {}; // no lock service: load without it
      }
      if (token !== undefined) {
        this.#locksAcquired++;
        // Someone may have loaded and released between our miss and our lock.
        const found = waited ? await this.#lookup(key) : undefined;
        if (found?.fresh === true) {
          await this.#unlock(key, token);
          return { entry: found.entry };
        }
        return { token };
      }
      if (!waited) this.#lockWaits++;
      waited = true;
      await sleep(this.#o.lockPollMs);
      const found = await this.#lookup(key);
      if (found?.fresh === true) return { entry: found.entry };
      if (performance.now() >= deadline || this.#lifetime.signal.aborted) return {};
    }
  }

  async #unlock(key: string, token: string): Promise<void> {
    const lock = this.#lock as CacheLock;
    try {
      await this.#guardLock(() => lock.release(key, token));
    } catch {
      // The lock expires by itself.
    }
  }

  #guardLock<T>(fn: () => Promise<T>): Promise<T> {
    const breaker = this.#remote?.breaker;
    return breaker === undefined ? fn() : breaker.execute(fn);
  }

  /** Reads tier by tier; back-fills faster tiers on a fresh hit; returns the first fresh entry or a stale one. */
  async #lookup(key: string): Promise<Found | undefined> {
    let stale: CacheEntry | undefined;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i] as Slot;
      const entry = await this.#readSlot(slot, key);
      if (entry === undefined) {
        slot.misses++;
        continue;
      }
      const now = this.#clock.now();
      if (entry.staleUntil <= now || (entry.tags !== undefined && (await this.#tagged(entry)))) {
        slot.misses++;
        if (!slot.remote) this.#guard(slot, 'delete', () => slot.tier.delete([key]));
        continue;
      }
      if (entry.freshUntil > now) {
        slot.hits++;
        if (i > 0) this.#backfill(key, entry, i);
        return { entry, fresh: true };
      }
      slot.misses++;
      stale ??= entry;
    }
    return stale === undefined ? undefined : { entry: stale, fresh: false };
  }

  /** True when a tag of `entry` was invalidated after the entry was written. */
  async #tagged(entry: CacheEntry): Promise<boolean> {
    const tags = entry.tags;
    if (tags === undefined) return false;
    for (const tag of tags) {
      const key = TAG_PREFIX + tag;
      for (let i = 0; i < this.#slots.length; i++) {
        const slot = this.#slots[i] as Slot;
        const marker = await this.#readSlot(slot, key);
        if (marker === undefined || marker.staleUntil <= this.#clock.now()) continue;
        if (i > 0) this.#backfill(key, marker, i);
        if (typeof marker.value === 'number' && marker.value >= entry.createdAt) return true;
        break;
      }
    }
    return false;
  }

  #backfill(key: string, entry: CacheEntry, below: number): void {
    const ttlMs = entry.staleUntil - this.#clock.now();
    if (ttlMs < 1) return;
    for (let j = 0; j < below; j++) {
      const slot = this.#slots[j] as Slot;
      this.#guard(slot, 'set', () => slot.tier.set(key, entry, ttlMs));
    }
  }

  #readSlot(slot: Slot, key: string): CacheEntry | undefined | Promise<CacheEntry | undefined> {
    if (slot.breaker === undefined) {
      try {
        const result = slot.tier.get(key);
        if (result instanceof Promise)
          return result.catch((error: unknown) => this.#failed(slot, 'get', error));
        return result;
      } catch (error) {
        return this.#failed(slot, 'get', error);
      }
    }
    return this.#guard(slot, 'get', () => slot.tier.get(key));
  }

  /** Runs one tier call; a failure is counted, reported and turned into `undefined`. */
  #guard<T>(slot: Slot, operation: string, fn: () => T | Promise<T>): T | undefined | Promise<T | undefined> {
    if (slot.breaker === undefined) {
      try {
        const result = fn();
        if (result instanceof Promise)
          return result.catch((error: unknown) => this.#failed(slot, operation, error));
        return result;
      } catch (error) {
        return this.#failed(slot, operation, error);
      }
    }
    return slot.breaker.execute(fn).catch((error: unknown) => this.#failed(slot, operation, error));
  }

  #failed(slot: Slot, operation: string, error: unknown): undefined {
    if (error instanceof CircuitOpenError) {
      slot.skipped++;
      return undefined;
    }
    slot.errors++;
    if (this.listenerCount('tier:failed') > 0) {
      this.emit('tier:failed', {
        tier: slot.name,
        operation,
        error: new TierError(slot.name, operation, { cause: error }),
      });
    }
    return undefined;
  }

  async #write(key: string, value: V | undefined, opts: SetOptions): Promise<void> {
    const policy = this.#policy(key);
    const now = this.#clock.now();
    let ttlMs: number;
    if (value === undefined) {
      ttlMs = (opts as GetOrSetOptions).negativeTtlMs ?? policy.negativeTtlMs;
      if (ttlMs === 0) return;
    } else {
      ttlMs = opts.ttlMs ?? policy.ttlMs;
    }
    if (this.#o.jitterRatio > 0)
      ttlMs = Math.max(1, ttlMs - Math.floor(ttlMs * this.#o.jitterRatio * this.#random()));
    const graceMs = opts.graceMs ?? policy.graceMs;
    const tags = opts.tags;
    const entry: CacheEntry =
      tags === undefined || tags.length === 0
        ? { value, createdAt: now, freshUntil: now + ttlMs, staleUntil: now + ttlMs + graceMs }
        : {
            value,
            // A set right after an invalidation in the same millisecond must survive it.
            createdAt: now <= this.#lastTagInvalidation ? this.#lastTagInvalidation + 0.001 : now,
            freshUntil: now + ttlMs,
            staleUntil: now + ttlMs + graceMs,
            tags: [...tags],
          };
    await this.#writeEntry(key, entry, ttlMs + graceMs);
  }

  async #writeEntry(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      const result = this.#guard(slot, 'set', () => slot.tier.set(key, entry, ttlMs));
      if (result instanceof Promise) writes.push(result);
    }
    if (writes.length > 0) await Promise.all(writes);
  }

  async #deleteEverywhere(keys: string[]): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      const result = this.#guard(slot, 'delete', () => slot.tier.delete(keys));
      if (result instanceof Promise) writes.push(result);
    }
    if (writes.length > 0) await Promise.all(writes);
  }

  #policy(key: string): ResolvedPolicy {
    for (const policy of this.#o.policies) if (key.startsWith(policy.prefix)) return policy;
    return this.#o.defaultPolicy;
  }

  #publish(message: Invalidation): void {
    const bus = this.#bus;
    if (bus === undefined) return;
    this.#sent++;
    bus.publish(this.#o.channel, message as unknown as JsonValue).catch(() => {
      this.#sendFailures++;
    });
  }

  readonly #onInvalidation = (message: JsonValue): void => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const m = message as Partial<Invalidation>;
    if (m.o === this.#origin || this.#closed) return;
    this.#received++;
    const keys = Array.isArray(m.k) ? m.k.filter((key): key is string => typeof key === 'string') : [];
    // A tag invalidation is replayed as markers, not deletes: a process whose only tiers are
    // local would otherwise never learn of it.
    const marker: CacheEntry | undefined =
      typeof m.t === 'number'
        ? {
            value: m.t,
            createdAt: m.t,
            freshUntil: m.t + this.#o.tagTtlMs,
            staleUntil: m.t + this.#o.tagTtlMs,
          }
        : undefined;
    for (const slot of this.#slots) {
      if (slot.remote) continue;
      if (m.c === 1) this.#guard(slot, 'clear', () => slot.tier.clear());
      else if (marker !== undefined) {
        for (const key of keys) this.#guard(slot, 'set', () => slot.tier.set(key, marker, this.#o.tagTtlMs));
      } else if (keys.length > 0) {
        this.#guard(slot, 'delete', () => slot.tier.delete(keys));
      }
    }
  };

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('TieredCache');
  }

  async #drain(): Promise<void> {
    const running = [...this.#flights.values()];
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
    this.#subscription?.[Symbol.dispose]();
    clearTimeout(this.#nowTimer);
    await Promise.all(
      this.#slots.map((slot) =>
        isCloseable(slot.tier) && !slot.tier.closed ? slot.tier.close() : undefined,
      ),
    );
  }
}

function resolveOptions(opts: Partial<TieredCacheOptions>): ResolvedTieredCacheOptions {
  const ttlMs = integerOption('options.defaultTtlMs', opts.defaultTtlMs ?? 60_000, 1);
  const graceMs = integerOption('options.graceMs', opts.graceMs ?? 0, 0);
  const negativeTtlMs = integerOption('options.negativeTtlMs', opts.negativeTtlMs ?? 0, 0);
  const policies = opts.policies ?? [];
  if (!Array.isArray(policies)) throw new InvalidOptionError('options.policies', 'an array', policies);
  const resolvedPolicies = policies
    .map((policy: TtlPolicy, i: number) => {
      const path = `options.policies[${i}]`;
      optionsObject(path, policy);
      return Object.freeze({
        prefix: nonEmptyStringOption(`${path}.prefix`, policy.prefix),
        ttlMs: integerOption(`${path}.ttlMs`, policy.ttlMs, 1),
        graceMs: integerOption(`${path}.graceMs`, policy.graceMs ?? graceMs, 0),
        negativeTtlMs: integerOption(`${path}.negativeTtlMs`, policy.negativeTtlMs ?? negativeTtlMs, 0),
      });
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const swr = booleanOption('options.staleWhileRevalidate', opts.staleWhileRevalidate ?? false);
  return Object.freeze({
    defaultPolicy: Object.freeze({ prefix: '', ttlMs, graceMs, negativeTtlMs }),
    policies: Object.freeze(resolvedPolicies),
    staleWhileRevalidate: swr,
    jitterRatio: numberOption('options.jitterRatio', opts.jitterRatio ?? 0.1, 0, 0.999),
    channel: nonEmptyStringOption('options.channel', opts.channel ?? 'loadstone:cache:invalidate'),
    lockTtlMs: integerOption('options.lockTtlMs', opts.lockTtlMs ?? 10_000, 1),
    lockWaitMs: integerOption('options.lockWaitMs', opts.lockWaitMs ?? 5_000, 0),
    lockPollMs: integerOption('options.lockPollMs', opts.lockPollMs ?? 20, 1),
    tierTimeoutMs: integerOption('options.tierTimeoutMs', opts.tierTimeoutMs ?? 250, 1),
    tagTtlMs: integerOption('options.tagTtlMs', opts.tagTtlMs ?? 604_800_000, 1),
    latencySampleEvery: integerOption('options.latencySampleEvery', opts.latencySampleEvery ?? 64, 0),
    closeTimeoutMs: integerOption('options.closeTimeoutMs', opts.closeTimeoutMs ?? 5_000, 0),
  });
}

function checkKey(key: unknown, path = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidOptionError(path, 'a string', key);
}

function checkSetOptions(opts: SetOptions & { negativeTtlMs?: number }, path: string): void {
  if (opts.ttlMs !== undefined) integerOption(`${path}.ttlMs`, opts.ttlMs, 1);
  if (opts.graceMs !== undefined) integerOption(`${path}.graceMs`, opts.graceMs, 0);
  if (opts.negativeTtlMs !== undefined) integerOption(`${path}.negativeTtlMs`, opts.negativeTtlMs, 0);
  if (opts.tags !== undefined) {
    if (!Array.isArray(opts.tags))
      throw new InvalidOptionError(`${path}.tags`, 'an array of strings', opts.tags);
    for (let i = 0; i < opts.tags.length; i++) nonEmptyStringOption(`${path}.tags[${i}]`, opts.tags[i]);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal, 'TieredCache getOrSet'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
