import type { CacheEntry } from '../core/CacheTier.js';

/** Tag-invalidation markers live in the tiers under this prefix plus the tag. */
export const TAG_PREFIX = '__loadstone:tag:';

/**
 * The marker of a tag invalidated at `at`: its value is that time, compared with the
 * `createdAt` of the tagged entries on read; it is kept `tagTtlMs`.
 */
export function tagMarker(at: number, tagTtlMs: number): CacheEntry {
  return { value: at, createdAt: at, freshUntil: at + tagTtlMs, staleUntil: at + tagTtlMs };
}
