// What two TieredCaches need to act as two processes in one unit test: a tier they share as
// processes share a Redis, and one lock table as a RedisLock is for every process.

import type { CacheLock } from '../../src/cache/CacheLock.js';
import type { CacheEntry, CacheTier } from '../../src/core/CacheTier.js';

/** A tier caches share; not Closeable, so it outlives them. `entries` shows what was written. */
export function sharedTier(): CacheTier<true> & { readonly entries: Map<string, CacheEntry> } {
  const entries = new Map<string, CacheEntry>();
  return {
    name: 'shared',
    entries,
    get: (key) => entries.get(key),
    set: (key, entry) => {
      entries.set(key, entry);
    },
    delete: (keys) => {
      for (const key of keys) entries.delete(key);
    },
    clear: () => entries.clear(),
  };
}

/**
 * One lock table: `held` maps a key to its holder's token (`t1`, `t2`…), `calls` logs each call,
 * `down` makes acquire fail as a lost Redis would, and `beforeAcquire` runs inside each acquire
 * (what another process does meanwhile).
 */
export function lockTable() {
  const held = new Map<string, string>();
  const calls: string[] = [];
  let tokens = 0;
  const table = {
    held,
    calls,
    down: false,
    beforeAcquire: (): Promise<void> | void => {},
    lock: {
      acquire: async (key: string) => {
        calls.push(`acquire ${key}`);
        await table.beforeAcquire();
        if (table.down) throw new Error('lock service down');
        if (held.has(key)) return undefined;
        const token = `t${++tokens}`;
        held.set(key, token);
        return token;
      },
      release: async (key: string, token: string) => {
        calls.push(`release ${key} ${token}`);
        if (held.get(key) === token) held.delete(key);
      },
    } satisfies CacheLock,
  };
  return table;
}
