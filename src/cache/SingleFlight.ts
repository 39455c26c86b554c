import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import { LoaderError } from '../core/errors/LoaderError.js';
import type { CrossProcessLock } from './CrossProcessLock.js';
import type { GetOrSetOptions, Loader } from './TieredCacheOptions.js';
import type { TierReader } from './TierReader.js';
import type { TierWriter } from './TierWriter.js';

/**
 * The miss path of `getOrSet`: one load per key per process, shared (value or error) by every
 * caller that asks meanwhile; a stale entry within grace stands in for a failing loader, or with
 * stale-while-revalidate is returned at once while one background refresh runs.
 */
export class SingleFlight<V> {
  readonly #flights = new Map<string, Promise<unknown>>();
  readonly #refreshing = new Set<string>();
  readonly #reader: TierReader;
  readonly #writer: TierWriter;
  readonly #lock: CrossProcessLock | undefined;
  readonly #clock: Clock;
  readonly #staleWhileRevalidate: boolean;
  readonly #lifetime: AbortSignal;
  #loaderCalls = 0;
  #loaderErrors = 0;
  #collapsed = 0;
  #staleServed = 0;
  #refreshes = 0;

  /**
   * @param reader - looks the key up before loading.
   * @param writer - stores what the loader returned.
   * @param lock - the cross-process lock, if the cache has one.
   * @param clock - the cache's clock, to tell whether a stale entry is still within grace.
   * @param staleWhileRevalidate - the cache's option.
   * @param lifetime - aborted when the cache is destroyed: the loaders' signal.
   */
  constructor(
    reader: TierReader,
    writer: TierWriter,
    lock: CrossProcessLock | undefined,
    clock: Clock,
    staleWhileRevalidate: boolean,
    lifetime: AbortSignal,
  ) {
    this.#reader = reader;
    this.#writer = writer;
    this.#lock = lock;
    this.#clock = clock;
    this.#staleWhileRevalidate = staleWhileRevalidate;
    this.#lifetime = lifetime;
  }

  /** Loader runs. */
  get loaderCalls(): number {
    return this.#loaderCalls;
  }

  /** Loader runs that failed. */
  get loaderErrors(): number {
    return this.#loaderErrors;
  }

  /** Calls that joined a load already running instead of starting one. */
  get collapsed(): number {
    return this.#collapsed;
  }

  /** Stale values returned. */
  get staleServed(): number {
    return this.#staleServed;
  }

  /** Background refreshes started. */
  get refreshes(): number {
    return this.#refreshes;
  }

  /** The loads running now, for `close()` to wait on. */
  running(): Promise<unknown>[] {
    return [...this.#flights.values()];
  }

  /**
   * The load of `key` running in this process, or a new one.
   * @returns its value, shared by every caller of this key meanwhile.
   */
  join(key: string, loader: Loader<V>, opts: GetOrSetOptions): Promise<V | undefined> {
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
    if (found?.fresh === true) {
      this.#reader.hits++;
      return found.entry.value as V | undefined;
    }
    this.#reader.misses++;
    const stale = found?.entry;
    if (stale !== undefined && this.#staleWhileRevalidate) {
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
      const outcome = await this.#lock.acquireOrWait(key);
      if (outcome.entry !== undefined) return outcome.entry.value as V | undefined;
      token = outcome.token;
    }
    try {
      this.#loaderCalls++;
      let value: V | undefined;
      try {
        value = await loader({ key, signal: this.#lifetime });
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
