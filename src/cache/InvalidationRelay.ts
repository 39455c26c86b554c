import type { Bus } from '../core/Bus.js';
import type { CacheEntry } from '../core/CacheTier.js';
import type { JsonValue } from '../core/Json.js';
import type { GuardedTier } from './GuardedTier.js';
import type { TieredCacheStats } from './TieredCacheOptions.js';
import { tagMarker } from './tagMarker.js';

/** The bus counters, in the cache's stats. */
export type InvalidationStats = Pick<
  TieredCacheStats,
  'invalidationsSent' | 'invalidationsFailed' | 'invalidationsReceived'
>;

/** An invalidation on the bus: origin, and keys or "clear"; `t` marks a tag invalidation at that time. */
type Invalidation = { o: string; k?: string[]; c?: 1; t?: number };

/** What the relay asks of its cache: whether it is closed (then it ignores what arrives). */
export type InvalidationHost = { readonly closed: boolean };

/**
 * Coherence of the local tiers across processes: publishes this cache's changes on the bus and
 * applies the other processes' changes to the local tiers (remote tiers are shared, so they
 * already hold them). Without a bus it does nothing.
 */
export class InvalidationRelay {
  readonly #bus: Bus | undefined;
  readonly #channel: string;
  readonly #tiers: readonly GuardedTier[];
  readonly #tagTtlMs: number;
  readonly #host: InvalidationHost;
  readonly #origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  readonly #subscription: Disposable | undefined;
  #sent = 0;
  #sendFailures = 0;
  #received = 0;

  /**
   * Subscribes to `channel` on `bus`, when there is one.
   * @param bus - the cache's bus.
   * @param channel - the cache's channel.
   * @param tiers - the cache's tiers; only the local ones are updated.
   * @param tagTtlMs - lifetime of the tag markers written on a tag invalidation.
   * @param host - the cache.
   */
  constructor(
    bus: Bus | undefined,
    channel: string,
    tiers: readonly GuardedTier[],
    tagTtlMs: number,
    host: InvalidationHost,
  ) {
    this.#bus = bus;
    this.#channel = channel;
    this.#tiers = tiers;
    this.#tagTtlMs = tagTtlMs;
    this.#host = host;
    this.#subscription = bus?.subscribe(channel, this.#onInvalidation);
  }

  /** Its part of the cache's stats. */
  stats(): InvalidationStats {
    return {
      invalidationsSent: this.#sent,
      invalidationsFailed: this.#sendFailures,
      invalidationsReceived: this.#received,
    };
  }

  /** Tells the other processes that `keys` changed. */
  keysChanged(keys: string[]): void {
    this.#publish({ o: this.#origin, k: keys });
  }

  /** Tells the other processes to empty their local tiers. */
  cleared(): void {
    this.#publish({ o: this.#origin, c: 1 });
  }

  /** Tells the other processes that the tags under `keys` were invalidated at `at`. */
  tagsInvalidated(keys: string[], at: number): void {
    this.#publish({ o: this.#origin, k: keys, t: at });
  }

  /** Unsubscribes from the bus. */
  dispose(): void {
    this.#subscription?.[Symbol.dispose]();
  }

  #publish(message: Invalidation): void {
    const bus = this.#bus;
    if (bus === undefined) return;
    this.#sent++;
    bus.publish(this.#channel, message as unknown as JsonValue).catch(() => {
      this.#sendFailures++;
    });
  }

  readonly #onInvalidation = (message: JsonValue): void => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const m = message as Partial<Invalidation>;
    if (m.o === this.#origin || this.#host.closed) return;
    this.#received++;
    const keys = Array.isArray(m.k) ? m.k.filter((key): key is string => typeof key === 'string') : [];
    // A tag invalidation is replayed as markers, not deletes: a process whose only tiers are
    // local would otherwise never learn of it.
    const marker: CacheEntry | undefined =
      typeof m.t === 'number' ? tagMarker(m.t, this.#tagTtlMs) : undefined;
    for (const slot of this.#tiers) {
      if (slot.remote) continue;
      if (m.c === 1) slot.run('clear', () => slot.tier.clear());
      else if (marker !== undefined) {
        for (const key of keys) slot.run('set', () => slot.tier.set(key, marker, this.#tagTtlMs));
      } else if (keys.length > 0) {
        slot.run('delete', () => slot.tier.delete(keys));
      }
    }
  };
}
