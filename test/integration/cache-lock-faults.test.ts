// A memory tier with a RedisLock and no Redis tier, while Redis hangs (SIGSTOP: a hung Redis
// answers nothing and closes nothing, unlike a dead one). The lock is bounded by tierTimeoutMs
// and then skipped by its own breaker, so getOrSet still answers from the loader (#21, finding 5).
import type { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { MemoryTier, RedisLock, TieredCache } from '../../src/cache/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis } from '../helpers/redis.js';

describeWithRedis('TieredCache lock while Redis hangs', (getRedis) => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });

  it('getOrSet answers within tierTimeoutMs per lock call, then skips the lock while its breaker is open', async () => {
    const server = getRedis();
    const redis = partsClient(server.url);
    clients.push(redis);
    await redis.ping();
    const cache = new TieredCache<string>({
      tiers: [new MemoryTier({ maxEntries: 100 })],
      lock: new RedisLock({ client: redis }),
      tierTimeoutMs: 200,
      tierFailureThreshold: 2,
    });
    process.kill(server.pid, 'SIGSTOP');
    try {
      // Without a bound each call would wait for Redis to thaw; 5 s stands for "forever" here.
      const forever = new Promise<string>((resolve) =>
        setTimeout(() => resolve('still waiting'), 5_000).unref(),
      );
      const loads: string[] = [];
      for (const key of ['a', 'b', 'c', 'd']) {
        const value = await Promise.race([
          cache.getOrSet(key, async () => {
            loads.push(key);
            return `v:${key}`;
          }),
          forever,
        ]);
        expect(value).toBe(`v:${key}`);
      }
      expect(loads).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await cache.close();
  });
});
