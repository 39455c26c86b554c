/**
 * A lock shared between processes, so that only one of them runs the loader of a missing key
 * (`TieredCache`'s `lock` option). Built-in: {@link RedisLock}.
 */
export type CacheLock = {
  /**
   * Tries once to take the lock of `key`; never waits.
   * @param key - the cache key.
   * @param ttlMs - the lock expires by itself after this long, so a holder that dies frees it.
   * @returns a token to release with, or `undefined` when another holder has it.
   */
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * Releases the lock if `token` still holds it (an expired lock retaken by another holder is
   * left alone).
   * @param key - the cache key.
   * @param token - what {@link CacheLock.acquire} returned.
   */
  release(key: string, token: string): Promise<void>;
};
