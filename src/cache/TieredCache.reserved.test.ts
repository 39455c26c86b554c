import { describe, expect, it } from 'vitest';
import { MemoryTier } from './MemoryTier.js';
import { TieredCache } from './TieredCache.js';

const INVALID = { code: 'ERR_LOADSTONE_INVALID_OPTION' };

describe('TieredCache keys of its own', () => {
  it('keeps tag markers out of reach of every call, so an invalidation cannot be undone', async () => {
    const cache = new TieredCache<number>({ tiers: [new MemoryTier({ maxEntries: 100 })] });
    await cache.set('profile:7', 1, { tags: ['user:7'] });
    await cache.invalidateTags(['user:7']);
    expect(await cache.get('profile:7')).toBeUndefined();
    const marker = '__loadstone:tag:user:7';
    await expect(cache.get(marker)).rejects.toMatchObject(INVALID);
    await expect(cache.getOrSet(marker, async () => 2)).rejects.toMatchObject(INVALID);
    await expect(cache.has(marker)).rejects.toMatchObject(INVALID);
    await expect(cache.delete(marker)).rejects.toMatchObject(INVALID);
    await expect(cache.set('__loadstone:anything', 3)).rejects.toMatchObject(INVALID);
    expect(cache.peek(marker)).toBeUndefined();
    // Still invalidated: the marker is where invalidateTags put it.
    expect(await cache.get('profile:7')).toBeUndefined();
    // A key that merely contains the prefix is the caller's.
    await cache.set('x:__loadstone:tag:user:7', 4);
    expect(await cache.get('x:__loadstone:tag:user:7')).toBe(4);
    await cache.close();
  });
});
