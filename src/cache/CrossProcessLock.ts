import type { CacheEntry } from '../core/CacheTier.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { CacheLock } from './CacheLock.js';
import type { ResolvedTieredCacheOptions } from './resolveOptions.js';
import type { TieredCacheStats } from './TieredCacheOptions.js';
import type { TierReader } from './TierReader.js';

/** The lock's counters, in the cache's stats. */
export type LockStats = Pick<TieredCacheStats, 'locksAcquired' | 'lockWaits'>;

/** The options the lock reads. */
export type CrossProcessLockOptions = Pick<
  ResolvedTieredCacheOptions,
  | 'name'
  | 'lockTtlMs'
  | 'lockWaitMs'
  | 'lockPollMs'
  | 'tierTimeoutMs'
  | 'tierFailureThreshold'
  | 'tierOpenDurationMs'
>;

/** What {@link CrossProcessLock.acquireOrWait} ends with: the lock, the holder's value, or neither. */
export type LockOutcome = { entry?: CacheEntry; token?: string };

/**
 * The `lock` option of a TieredCache at work: before a loader runs, takes the key's lock shared
 * by all processes, or waits (polling the tiers) for the holder's value, or gives up waiting
 * after `lockWaitMs` and loads anyway. Lock calls go through the remote tier's breaker; with no
 * remote tier (a memory tier and a `RedisLock`), through a breaker of the lock's own with the
 * same settings, so a lock on a hung Redis costs `tierTimeoutMs`, not the client's whole wait.
 */
export class CrossProcessLock {
  #acquired = 0;
  #waits = 0;
  readonly #lock: CacheLock;
  readonly #breaker: CircuitBreaker;
  readonly #reader: TierReader;
  readonly #o: CrossProcessLockOptions;
  readonly #lifetime: AbortSignal;

  /**
   * @param lock - the shared lock.
   * @param breaker - the first remote tier's breaker, if any: the lock lives with that tier;
   *   without one, the lock gets its own, named `<cache>:lock`.
   * @param reader - polls the tiers for the holder's value.
   * @param options - the lock's TTL, wait and poll interval.
   * @param lifetime - aborted when the cache is destroyed: stops the wait.
   */
  constructor(
    lock: CacheLock,
    breaker: CircuitBreaker | undefined,
    reader: TierReader,
    options: CrossProcessLockOptions,
    lifetime: AbortSignal,
  ) {
    this.#lock = lock;
    this.#breaker =
      breaker ??
      new CircuitBreaker({
        name: `${options.name}:lock`,
        consecutiveFailures: options.tierFailureThreshold,
        openDurationMs: options.tierOpenDurationMs,
        timeoutMs: options.tierTimeoutMs,
      });
    this.#reader = reader;
    this.#o = options;
    this.#lifetime = lifetime;
  }

  /** Its part of the cache's stats. */
  stats(): LockStats {
    return { locksAcquired: this.#acquired, lockWaits: this.#waits };
  }

  /** Takes the cross-process lock, or waits for its holder's value, or gives up waiting. */
  async acquireOrWait(key: string): Promise<LockOutcome> {
    const lock = this.#lock;
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
        this.#acquired++;
        // Someone may have loaded and released between our miss and our lock.
        const found = waited ? await this.#reader.lookup(key) : undefined;
        if (found?.fresh === true) {
          await this.release(key, token);
          return { entry: found.entry };
        }
        return { token };
      }
      if (!waited) this.#waits++;
      waited = true;
      await sleep(this.#o.lockPollMs);
      const found = await this.#reader.lookup(key);
      if (found?.fresh === true) return { entry: found.entry };
      if (performance.now() >= deadline || this.#lifetime.aborted) return {};
    }
  }

  /**
   * Takes the key's lock if it is free, without waiting (a refresh-ahead: when another process
   * holds it, that process is reloading the key already).
   * @returns `{ token }` when taken; `{}` when held elsewhere; `{ unavailable: true }` when the
   *   lock service failed (the caller may load without it).
   */
  async tryAcquire(key: string): Promise<{ token?: string; unavailable?: true }> {
    const lock = this.#lock;
    try {
      const token = await this.#guardLock(() => lock.acquire(key, this.#o.lockTtlMs));
      if (token === undefined) return {};
      this.#acquired++;
      return { token };
    } catch {
      return { unavailable: true };
    }
  }

  /** Releases the lock `token` holds; a failure is ignored. */
  async release(key: string, token: string): Promise<void> {
    const lock = this.#lock;
    try {
      await this.#guardLock(() => lock.release(key, token));
    } catch {
      // The lock expires by itself.
    }
  }

  #guardLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#breaker.execute(fn);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
