import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import type { RandomSource } from '../core/RandomSource.js';
import type { GuardedTier } from './GuardedTier.js';
import type { ResolvedPolicy, ResolvedTieredCacheOptions } from './resolveOptions.js';
import type { GetOrSetOptions, SetOptions } from './TieredCacheOptions.js';
import { tagMarker } from './tagMarker.js';

/** The options the write path reads. */
export type TierWriterOptions = Pick<
  ResolvedTieredCacheOptions,
  'defaultPolicy' | 'policies' | 'jitterRatio' | 'tagTtlMs' | 'clock' | 'random'
>;

/**
 * The write and invalidate path of a TieredCache: builds an entry from the TTL policy of its key
 * (with jitter, grace and tags) and writes it, deletes, clears and writes tag markers, in every
 * tier at once. Publishing the change is the caller's business.
 */
export class TierWriter {
  readonly #tiers: readonly GuardedTier[];
  readonly #o: TierWriterOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  #lastTagInvalidation = Number.NEGATIVE_INFINITY;

  /**
   * @param tiers - the guarded tiers.
   * @param options - the policies, jitter, tag TTL, clock and random source.
   */
  constructor(tiers: readonly GuardedTier[], options: TierWriterOptions) {
    this.#tiers = tiers;
    this.#o = options;
    this.#clock = options.clock;
    this.#random = options.random;
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

  /**
   * Writes the markers of tags invalidated at `now` (the keys are the tags under `TAG_PREFIX`);
   * entries with those tags written before then read as misses from now on.
   */
  writeTagMarkers(keys: readonly string[], now: number): Promise<unknown> {
    this.#lastTagInvalidation = now;
    const marker = tagMarker(now, this.#o.tagTtlMs);
    return Promise.all(keys.map((key) => this.#writeEntry(key, marker, this.#o.tagTtlMs)));
  }

  /** Removes `keys` from every tier. */
  async delete(keys: string[]): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#tiers) {
      const result = slot.run('delete', () => slot.tier.delete(keys));
      if (result instanceof Promise) writes.push(result);
    }
    if (writes.length > 0) await Promise.all(writes);
  }

  /** Empties every tier. */
  clear(): Promise<unknown> {
    return Promise.all(this.#tiers.map((slot) => slot.run('clear', () => slot.tier.clear())));
  }

  async #writeEntry(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const writes: Promise<unknown>[] = [];
    for (const slot of this.#tiers) {
      const result = slot.run('set', () => slot.tier.set(key, entry, ttlMs));
      if (result instanceof Promise) writes.push(result);
    }
    if (writes.length > 0) await Promise.all(writes);
  }

  #policy(key: string): ResolvedPolicy {
    for (const policy of this.#o.policies) if (key.startsWith(policy.prefix)) return policy;
    return this.#o.defaultPolicy;
  }
}
