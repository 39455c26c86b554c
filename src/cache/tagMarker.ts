import type { CacheEntry } from '../core/CacheTier.js';

/**
 * Keys the cache keeps for itself: no caller's key may start with it (`checkKey`), so no `get`
 * reads a marker and no `delete` removes one (which would revive what `invalidateTags` hid).
 */
export const RESERVED_KEY_PREFIX = '__loadstone:';

/** Tag-invalidation markers live in the tiers under this prefix plus the tag. */
export const TAG_PREFIX = `${RESERVED_KEY_PREFIX}tag:`;

/**
 * The marker of a tag invalidated at `at`: its value is that time, compared with the
 * `createdAt` of the tagged entries on read; it is kept `tagTtlMs`.
 */
export function tagMarker(at: number, tagTtlMs: number): CacheEntry {
  // `tags` (empty) keeps markers off the memory fast path, which serves untagged entries without
  // checking the key: a reserved key then reaches the slow path, which refuses it.
  return { value: at, createdAt: at, freshUntil: at + tagTtlMs, staleUntil: at + tagTtlMs, tags: [] };
}
