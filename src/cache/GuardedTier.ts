import type { CacheEntry, CacheTier } from '../core/CacheTier.js';
import { CircuitOpenError } from '../core/errors/CircuitOpenError.js';
import { TierError } from '../core/errors/TierError.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { ResolvedTier } from './resolveOptions.js';
import type { TierFailedEvent, TierStats } from './TieredCacheOptions.js';

/** Where a {@link GuardedTier} reports its failures: the cache's `tier:failed` event. */
export type TierFailureHost = {
  emit(eventName: 'tier:failed', event: TierFailedEvent): boolean;
};

/** The breaker settings every remote tier of one cache shares. */
export type TierBreakerSettings = {
  readonly tierFailureThreshold: number;
  readonly tierOpenDurationMs: number;
  readonly tierTimeoutMs: number;
};

/**
 * One tier of a TieredCache behind its guard: a remote tier sits behind a circuit breaker with a
 * short timeout, and a failure of any tier is counted, reported and turned into `undefined`, so
 * no read or write ever rejects because of a tier.
 */
export class GuardedTier {
  readonly tier: CacheTier;
  readonly name: string;
  readonly remote: boolean;
  readonly breaker: CircuitBreaker | undefined;
  /** The tier's own multi-get, when it has one. */
  readonly getMany: ((keys: readonly string[]) => Promise<(CacheEntry | undefined)[]>) | undefined;
  /** Reads that found a usable entry here (counted by the read path). */
  hits = 0;
  /** Reads that found none, or only an expired or stale one (counted by the read path). */
  misses = 0;
  #skipped = 0;
  #errors = 0;
  readonly #host: TierFailureHost;

  /**
   * @param resolved - the validated tier.
   * @param cacheName - names the breaker `<cache>:<tier>`.
   * @param settings - the breaker's settings, used when the tier is remote.
   * @param host - receives the failures.
   */
  constructor(
    resolved: ResolvedTier,
    cacheName: string,
    settings: TierBreakerSettings,
    host: TierFailureHost,
  ) {
    const tier = resolved.tier;
    this.tier = tier;
    this.name = resolved.name;
    this.remote = resolved.remote;
    this.breaker = resolved.remote
      ? new CircuitBreaker({
          name: `${cacheName}:${resolved.name}`,
          consecutiveFailures: settings.tierFailureThreshold,
          openDurationMs: settings.tierOpenDurationMs,
          timeoutMs: settings.tierTimeoutMs,
        })
      : undefined;
    const many = (tier as { getMany?: unknown }).getMany;
    this.getMany =
      typeof many === 'function'
        ? (keys: readonly string[]) => many.call(tier, keys) as Promise<(CacheEntry | undefined)[]>
        : undefined;
    this.#host = host;
  }

  /** `get` through the guard, without a closure when there is no breaker. */
  read(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined> {
    // Stryker disable next-line BlockStatement: without this fast path the general one below does the same
    if (this.breaker === undefined) {
      // Stryker disable next-line BlockStatement: as above (an empty try falls through to it)
      try {
        const result = this.tier.get(key);
        if (result instanceof Promise) return result.catch((error: unknown) => this.#failed('get', error));
        return result;
      } catch (error) {
        return this.#failed('get', error);
      }
    }
    return this.run('get', () => this.tier.get(key));
  }

  /** Runs one tier call; a failure is counted, reported and turned into `undefined`. */
  run<T>(operation: string, fn: () => T | Promise<T>): T | undefined | Promise<T | undefined> {
    if (this.breaker === undefined) {
      try {
        const result = fn();
        if (result instanceof Promise)
          return result.catch((error: unknown) => this.#failed(operation, error));
        return result;
      } catch (error) {
        return this.#failed(operation, error);
      }
    }
    return this.breaker.execute(fn).catch((error: unknown) => this.#failed(operation, error));
  }

  /**
   * This tier's line in the cache's stats.
   * @param fastHits - hits the cache's fast path answered from this tier without the guard.
   */
  stats(fastHits: number): TierStats {
    return {
      name: this.name,
      state: this.breaker === undefined ? 'local' : this.breaker.state,
      hits: this.hits + fastHits,
      misses: this.misses,
      skipped: this.#skipped,
      errors: this.#errors,
    };
  }

  #failed(operation: string, error: unknown): undefined {
    if (error instanceof CircuitOpenError) {
      this.#skipped++;
      return undefined;
    }
    this.#errors++;
    this.#host.emit('tier:failed', {
      tier: this.name,
      operation,
      error: new TierError(this.name, operation, { cause: error }),
    });
    return undefined;
  }
}
