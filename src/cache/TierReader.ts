import type { CacheEntry } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import { type CacheState, checkKey, checkKeys, checkOpen } from './checkArguments.js';
import type { GuardedTier } from './GuardedTier.js';
import { TAG_PREFIX } from './tagMarker.js';

/** What a lookup found: the first fresh entry, or else a stale one. */
export type Found = { readonly entry: CacheEntry; readonly fresh: boolean };

/**
 * The read path of a TieredCache below its memory fast hit: reads tier by tier, checks tagged
 * entries against their tags' markers, back-fills the faster tiers on a hit lower down and drops
 * expired entries from the local tiers.
 */
export class TierReader {
  #hits = 0;
  #misses = 0;
  readonly #tiers: readonly GuardedTier[];
  readonly #clock: Clock;
  readonly #cache: CacheState;

  /**
   * @param tiers - the guarded tiers, fastest first.
   * @param clock - the cache's clock (exact, never the coarse one).
   * @param cache - the cache, which rejects calls once closed.
   */
  constructor(tiers: readonly GuardedTier[], clock: Clock, cache: CacheState) {
    this.#tiers = tiers;
    this.#clock = clock;
    this.#cache = cache;
  }

  /** Reads of a value answered from a tier. */
  get hits(): number {
    return this.#hits;
  }

  /** Reads of a value that found no fresh entry. */
  get misses(): number {
    return this.#misses;
  }

  /** `TieredCache.get` past the memory fast hit. */
  async get(key: string): Promise<unknown> {
    checkOpen(this.#cache);
    checkKey(key);
    const found = await this.lookup(key);
    return this.countRead(found) ? found.entry.value : undefined;
  }

  /** `TieredCache.has`: a fresh value (not a cached "not found") in some tier; not counted as a read. */
  async has(key: string): Promise<boolean> {
    checkOpen(this.#cache);
    checkKey(key);
    const found = await this.lookup(key);
    return found?.fresh === true && found.entry.value !== undefined;
  }

  /**
   * Counts a read of a value (`get`, `getOrSet`; a `has` is not one) that found `found`.
   * @returns `true` for a hit: `found` is fresh.
   */
  countRead(found: Found | undefined): found is Found & { readonly fresh: true } {
    if (found?.fresh === true) {
      this.#hits++;
      return true;
    }
    this.#misses++;
    return false;
  }

  /** Reads tier by tier; back-fills faster tiers on a fresh hit; returns the first fresh entry or a stale one. */
  async lookup(key: string): Promise<Found | undefined> {
    let stale: CacheEntry | undefined;
    for (let i = 0; i < this.#tiers.length; i++) {
      const slot = this.#tiers[i] as GuardedTier;
      const entry = await slot.read(key);
      if (entry === undefined) {
        slot.misses++;
        continue;
      }
      const now = this.#clock.now();
      if (entry.staleUntil <= now || (entry.tags !== undefined && (await this.#tagged(entry)))) {
        slot.misses++;
        if (!slot.remote) slot.run('delete', () => slot.tier.delete([key]));
        continue;
      }
      if (entry.freshUntil > now) {
        slot.hits++;
        this.#backfill(key, entry, i);
        return { entry, fresh: true };
      }
      slot.misses++;
      stale ??= entry;
    }
    return stale === undefined ? undefined : { entry: stale, fresh: false };
  }

  /**
   * `TieredCache.getMany`: each tier is asked only for the keys the tiers above it missed, with
   * one multi-get where the tier has one. Counts its hits and misses.
   * @returns the values in the order of `keys`, `undefined` where missing.
   */
  async getMany(keys: readonly string[]): Promise<unknown[]> {
    checkOpen(this.#cache);
    checkKeys(keys);
    const results: unknown[] = new Array(keys.length).fill(undefined);
    let pending: number[] = keys.map((_, i) => i);
    const foundAt = new Map<number, { entry: CacheEntry; slot: number }>();
    for (let s = 0; s < this.#tiers.length && pending.length > 0; s++) {
      const slot = this.#tiers[s] as GuardedTier;
      const wanted = pending.map((i) => keys[i] as string);
      let entries: (CacheEntry | undefined)[];
      if (slot.getMany !== undefined) {
        const many = slot.getMany;
        entries = (await slot.run('getMany', () => many(wanted))) ?? [];
      } else {
        entries = await Promise.all(wanted.map((key) => slot.read(key)));
      }
      const next: number[] = [];
      const now = this.#clock.now();
      for (let j = 0; j < pending.length; j++) {
        const i = pending[j] as number;
        const entry = entries[j];
        if (entry !== undefined && entry.freshUntil > now && !(await this.#tagged(entry))) {
          slot.hits++;
          foundAt.set(i, { entry, slot: s });
          results[i] = entry.value;
        } else {
          slot.misses++;
          next.push(i);
        }
      }
      pending = next;
    }
    for (const [i, { entry, slot }] of foundAt) this.#backfill(keys[i] as string, entry, slot);
    this.#hits += keys.length - pending.length;
    this.#misses += pending.length;
    return results;
  }

  /** True when a tag of `entry` was invalidated after the entry was written. */
  async #tagged(entry: CacheEntry): Promise<boolean> {
    const tags = entry.tags;
    if (tags === undefined) return false;
    for (const tag of tags) {
      const key = TAG_PREFIX + tag;
      for (let i = 0; i < this.#tiers.length; i++) {
        const slot = this.#tiers[i] as GuardedTier;
        const marker = await slot.read(key);
        if (marker === undefined || marker.staleUntil <= this.#clock.now()) continue;
        this.#backfill(key, marker, i);
        if (typeof marker.value === 'number' && marker.value >= entry.createdAt) return true;
        break;
      }
    }
    return false;
  }

  /** Copies `entry`, found in tier `below`, into the tiers above it (none when `below` is 0). */
  #backfill(key: string, entry: CacheEntry, below: number): void {
    const ttlMs = entry.staleUntil - this.#clock.now();
    if (ttlMs < 1) return;
    for (let j = 0; j < below; j++) {
      const slot = this.#tiers[j] as GuardedTier;
      slot.run('set', () => slot.tier.set(key, entry, ttlMs));
    }
  }
}
