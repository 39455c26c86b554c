import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import { type CacheLoadContext, diagnosticsChannels } from '../core/diagnostics.js';
import { LoaderError } from '../core/errors/LoaderError.js';
import { Tracer } from '../core/internal/tracing.js';
import type { CircuitBreaker } from '../resilience/index.js';
import { CrossProcessLock, type CrossProcessLockOptions, type LockStats } from './CrossProcessLock.js';
import { type CacheState, checkGetOrSet, checkOpen } from './checkArguments.js';
import { raceAbort } from './raceAbort.js';
import type { ResolvedTieredCacheOptions } from './resolveOptions.js';
import type { GetOrSetOptions, Loader, TieredCacheStats } from './TieredCacheOptions.js';
import type { TierReader } from './TierReader.js';
import type { TierWriter } from './TierWriter.js';

/** The counters of the loads and the lock, in the cache's stats. */
export type LoadStats = Pick<
  TieredCacheStats,
  | 'loaderCalls'
  | 'loaderErrors'
  | 'stampedesCollapsed'
  | 'staleServed'
  | 'refreshes'
  | 'locksAcquired'
  | 'lockWaits'
>;

/** The lock counters of a cache without a lock. */
const LOAD = new Tracer<CacheLoadContext>(diagnosticsChannels.cacheLoad);
const NO_LOCK_STATS: LockStats = Object.freeze({ locksAcquired: 0, lockWaits: 0 });

/** The options the loads read. */
export type SingleFlightOptions = CrossProcessLockOptions &
  Pick<ResolvedTieredCacheOptions, 'clock' | 'staleWhileRevalidate' | 'refreshAhead' | 'lock'>;

/**
 * The miss path of `getOrSet`: one load per key per process, shared (value or error) by every
 * caller that asks meanwhile; a stale entry within grace stands in for a failing loader, or with
 * stale-while-revalidate is returned at once while one background refresh runs. With the `lock`
 * option, a load first takes the key's lock shared by all processes ({@link CrossProcessLock}).
 */
export class SingleFlight<V> {
  readonly #flights = new Map<string, Promise<unknown>>();
  /** Background reloads running now (refresh-ahead, stale-while-revalidate), one per key. */
  readonly #refreshing = new Map<string, Promise<unknown>>();
  readonly #reader: TierReader;
  readonly #writer: TierWriter;
  readonly #lock: CrossProcessLock | undefined;
  readonly #clock: Clock;
  readonly #staleWhileRevalidate: boolean;
  readonly #refreshAhead: number;
  readonly #lifetime: AbortSignal;
  readonly #cache: CacheState & { readonly name: string };
  #loaderCalls = 0;
  #loaderErrors = 0;
  #collapsed = 0;
  #staleServed = 0;
  #refreshes = 0;

  /**
   * @param reader - looks the key up before loading.
   * @param writer - stores what the loader returned.
   * @param options - the cache's clock (is a stale entry still within grace?),
   * `staleWhileRevalidate`, and the `lock` with its settings.
   * @param breaker - the first remote tier's breaker, if any: the lock's calls go through it.
   * @param lifetime - aborted when the cache is destroyed: the loaders' signal.
   * @param cache - the cache, which rejects calls once closed.
   */
  constructor(
    reader: TierReader,
    writer: TierWriter,
    options: SingleFlightOptions,
    breaker: CircuitBreaker | undefined,
    lifetime: AbortSignal,
    cache: CacheState & { readonly name: string },
  ) {
    this.#reader = reader;
    this.#writer = writer;
    this.#lock =
      options.lock === undefined
        ? undefined
        : new CrossProcessLock(options.lock, breaker, reader, options, lifetime);
    this.#clock = options.clock;
    this.#staleWhileRevalidate = options.staleWhileRevalidate;
    this.#refreshAhead = options.refreshAhead;
    this.#lifetime = lifetime;
    this.#cache = cache;
  }

  /** Its part of the cache's stats. */
  stats(): LoadStats {
    return {
      loaderCalls: this.#loaderCalls,
      loaderErrors: this.#loaderErrors,
      stampedesCollapsed: this.#collapsed,
      staleServed: this.#staleServed,
      refreshes: this.#refreshes,
      ...(this.#lock?.stats() ?? NO_LOCK_STATS),
    };
  }

  /** The loads running now, background reloads included, for `close()` to wait on. */
  running(): Promise<unknown>[] {
    return [...this.#flights.values(), ...this.#refreshing.values()];
  }

  /**
   * `TieredCache.getOrSet` past the memory fast hit: joins the load of `key` running in this
   * process, or starts one; a caller's signal stops only its own wait.
   * @returns the value, shared by every caller of this key meanwhile.
   */
  async getOrSet(
    key: string,
    loader: Loader<V>,
    options: GetOrSetOptions | undefined,
  ): Promise<V | undefined> {
    checkOpen(this.#cache);
    const opts = checkGetOrSet(key, loader, options);
    const signal = opts.signal;
    const flight = this.#join(key, loader, opts);
    return signal === undefined ? flight : raceAbort(flight, signal);
  }

  /** The load of `key` running in this process, or a new one. */
  #join(key: string, loader: Loader<V>, opts: GetOrSetOptions): Promise<V | undefined> {
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
    return flight;
  }

  async #load(key: string, loader: Loader<V>, opts: GetOrSetOptions): Promise<V | undefined> {
    const found = await this.#reader.lookup(key);
    if (this.#reader.countRead(found)) {
      this.refreshIfDue(key, loader, opts, found.entry);
      return found.entry.value as V | undefined;
    }
    const stale = found?.entry;
    if (stale !== undefined && this.#staleWhileRevalidate) {
      this.#staleServed++;
      this.#inBackground(key, () => this.#runLoader(key, loader, opts, undefined));
      return stale.value as V | undefined;
    }
    return this.#runLoader(key, loader, opts, stale);
  }

  /**
   * Refresh-ahead: when `entry` (fresh, just read) is in the last `refreshAhead` part of its TTL,
   * reloads `key` in the background, once per key per process and, with the lock, once across
   * processes. A failed reload keeps the current value (and counts in `loaderErrors`).
   */
  refreshIfDue(
    key: string,
    loader: Loader<V>,
    options: GetOrSetOptions | undefined,
    entry: CacheEntry,
  ): void {
    if (this.isDue(entry)) this.#inBackground(key, () => this.#refresh(key, loader, options, entry));
  }

  /**
   * Runs a background reload of `key` unless one runs already, and keeps it in
   * {@link SingleFlight.running} so that `close()` waits for it as for any load.
   */
  #inBackground(key: string, reload: () => Promise<unknown>): void {
    if (this.#refreshing.has(key)) return;
    this.#refreshes++;
    const running = reload()
      .catch(() => undefined)
      .finally(() => this.#refreshing.delete(key));
    this.#refreshing.set(key, running);
  }

  /** `true` when refresh-ahead is on and `entry` is in the last `refreshAhead` part of its TTL. */
  isDue(entry: CacheEntry): boolean {
    const ratio = this.#refreshAhead;
    return ratio > 0 && entry.freshUntil - this.#clock.now() <= (entry.freshUntil - entry.createdAt) * ratio;
  }

  async #refresh(key: string, loader: Loader<V>, options: GetOrSetOptions | undefined, seen: CacheEntry) {
    let token: string | undefined;
    if (this.#lock !== undefined) {
      const taken = await this.#lock.tryAcquire(key);
      if (taken.token === undefined && taken.unavailable !== true) return; // another process reloads it
      token = taken.token;
    }
    try {
      // Reloaded elsewhere since it was read: nothing to do.
      const found = token === undefined ? undefined : await this.#reader.lookup(key);
      if (found !== undefined && found.entry.createdAt > seen.createdAt) return;
      this.#loaderCalls++;
      let value: V | undefined;
      try {
        value = await this.#callLoader(loader, key, true);
      } catch {
        this.#loaderErrors++;
        return; // the current value stays until it expires
      }
      if (!this.#lifetime.aborted) await this.#writer.write(key, value, options ?? {});
    } finally {
      if (token !== undefined) await this.#lock?.release(key, token);
    }
  }

  /** Calls the loader, traced on `loadstone:cache:load` when someone listens. */
  #callLoader(loader: Loader<V>, key: string, refresh: boolean): V | undefined | PromiseLike<V | undefined> {
    const args = { key, signal: this.#lifetime };
    if (!LOAD.active) return loader(args);
    return LOAD.trace(() => Promise.resolve(loader(args)), { cache: this.#cache.name, key, refresh });
  }

  async #runLoader(
    key: string,
    loader: Loader<V>,
    opts: GetOrSetOptions,
    stale: CacheEntry | undefined,
  ): Promise<V | undefined> {
    let token: string | undefined;
    if (this.#lock !== undefined) {
      const outcome = await this.#lock.acquireOrWait(key);
      if (outcome.entry !== undefined) return outcome.entry.value as V | undefined;
      token = outcome.token;
    }
    try {
      this.#loaderCalls++;
      let value: V | undefined;
      try {
        value = await this.#callLoader(loader, key, false);
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
      if (!this.#lifetime.aborted) await this.#writer.write(key, value, opts);
      return value;
    } finally {
      if (token !== undefined) await this.#lock?.release(key, token);
    }
  }
}
