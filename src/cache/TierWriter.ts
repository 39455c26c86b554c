import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import type { RandomSource } from '../core/RandomSource.js';
import { type CacheState, checkEntries, checkKey, checkOpen, checkSet, checkTags } from './checkArguments.js';
import type { GuardedTier } from './GuardedTier.js';
import type { InvalidationRelay } from './InvalidationRelay.js';
import type { ResolvedPolicy, ResolvedTieredCacheOptions } from './resolveOptions.js';
import type { GetOrSetOptions, SetOptions } from './TieredCacheOptions.js';
import { TAG_PREFIX, tagMarker } from './tagMarker.js';

/** The options the write path reads. */
export type TierWriterOptions = Pick<
  ResolvedTieredCacheOptions,
  'defaultPolicy' | 'policies' | 'jitterRatio' | 'tagTtlMs' | 'clock' | 'random'
>;

/**
 * The write and invalidate path of a TieredCache: builds an entry from the TTL policy of its key
 * (with jitter, grace and tags) and writes it, deletes, clears and writes tag markers, in every
 * tier at once; each change then goes on the bus (a loaded value, written by `write`, does not).
 */
export class TierWriter {
  readonly #tiers: readonly GuardedTier[];
  readonly #o: TierWriterOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #relay: InvalidationRelay;
  readonly #cache: CacheState;
  #lastTagInvalidation = Number.NEGATIVE_INFINITY;

  /**
   * @param tiers - the guarded tiers.
   * @param options - the policies, jitter, tag TTL, clock and random source.
   * @param relay - tells the other processes of each change.
   * @param cache - the cache, which rejects calls once closed.
   */
  constructor(
    tiers: readonly GuardedTier[],
    options: TierWriterOptions,
    relay: InvalidationRelay,
    cache: CacheState,
  ) {
    this.#tiers = tiers;
    this.#o = options;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#relay = relay;
    this.#cache = cache;
  }

  /** `TieredCache.set`. */
  async set(key: string, value: unknown, options: SetOptions | undefined): Promise<void> {
    checkOpen(this.#cache);
    const opts = checkSet(key, value, options);
    await this.write(key, value, opts);
    this.#relay.keysChanged([key]);
  }

  /** `TieredCache.setMany`: one invalidation message for all. */
  async setMany(
    entries: readonly { readonly key: string; readonly value: unknown; readonly options?: SetOptions }[],
  ): Promise<void> {
    checkOpen(this.#cache);
    checkEntries(entries);
    await Promise.all(entries.map((entry) => this.write(entry.key, entry.value, entry.options ?? {})));
    if (entries.length > 0) this.#relay.keysChanged(entries.map((entry) => entry.key));
  }

  /** `TieredCache.delete`. */
  async delete(key: string): Promise<void> {
    checkOpen(this.#cache);
    checkKey(key);
    await this.#deleteEverywhere([key]);
    this.#relay.keysChanged([key]);
  }

  /** `TieredCache.clear`. */
  async clear(): Promise<void> {
    checkOpen(this.#cache);
    await Promise.all(this.#tiers.map((slot) => slot.run('clear', () => slot.tier.clear())));
    this.#relay.cleared();
  }

  /**
   * `TieredCache.invalidateTags`: writes a marker per tag; entries with those tags written
   * before now read as misses from now on.
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    checkOpen(this.#cache);
    checkTags(tags);
    const now = this.#clock.now();
    this.#lastTagInvalidation = now;
    const marker = tagMarker(now, this.#o.tagTtlMs);
    const keys = tags.map((tag) => TAG_PREFIX + tag);
    await Promise.all(keys.map((key) => this.#writeEntry(key, marker, this.#o.tagTtlMs)));
    this.#relay.tagsInvalidated(keys, now);
  }

  /** Writes `value` (`undefined`: a "not found", kept `negativeTtlMs`, or not at all when 0). */
  async write(key: string, value: unknown, opts: SetOptions): Promise<void> {
    const policy = this.#policy(key);
    const now = this.#clock.now();
    let ttlMs: number;
    if (value === undefined) {
      ttlMs = (opts as GetOrSetOptions).negativeTtlMs ?? policy.negativeTtlMs;
      if (ttlMs === 0) return;
    } else {
      ttlMs = opts.ttlMs ?? policy.ttlMs;
    }
    // With a ratio of 0 the formula gives the TTL back (it is at least 1): the check saves a draw.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, as said above
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
    for (const slot of this.#tiers) {
      const result = slot.run('set', () => slot.tier.set(key, entry, ttlMs));
      if (result instanceof Promise) writes.push(result);
    }
    await Promise.all(writes);
  }

  async #deleteEverywhere(keys: string[]): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#tiers) {
      const result = slot.run('delete', () => slot.tier.delete(keys));
      if (result instanceof Promise) writes.push(result);
    }
    await Promise.all(writes);
  }

  #policy(key: string): ResolvedPolicy {
    for (const policy of this.#o.policies) if (key.startsWith(policy.prefix)) return policy;
    return this.#o.defaultPolicy;
  }
}
