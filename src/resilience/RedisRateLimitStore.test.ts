// Unit tests only: the Redis behaviour is tested against a real redis-server in
// test/integration/ratelimit-redis.test.ts (no Redis mocks).
import { type Cluster, Redis } from 'ioredis';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidOptionError } from '../core/index.js';
import { RateLimiter } from './RateLimiter.js';
import { RedisRateLimitStore, type RedisScriptClient } from './RedisRateLimitStore.js';

describe('RedisRateLimitStore', () => {
  it('takes an ioredis client', () => {
    // #region redisStore
    // Every process that shares this Redis shares each key's limit. Fail fast while Redis is down
    // (no offline queue), and let requests through meanwhile (fail open, the default).
    const redis = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false, lazyConnect: true });
    const limiter = new RateLimiter({
      limit: 100,
      periodMs: 60_000,
      store: new RedisRateLimitStore({ client: redis }),
      storeTimeoutMs: 200,
      onStoreError: 'fail-open',
    });
    // const { allowed, degraded } = await limiter.limit(userId);
    // #endregion redisStore
    expect(limiter.algorithm).toBe('gcra');
    redis.disconnect();
  });

  it('accepts ioredis Redis and Cluster clients by type', () => {
    expectTypeOf<Redis>().toExtend<RedisScriptClient>();
    expectTypeOf<Cluster>().toExtend<RedisScriptClient>();
  });

  it('rejects anything that is not a script-capable client', () => {
    for (const client of [undefined, null, {}, 'redis', { evalsha: () => {} }, { eval: () => {} }]) {
      expect(() => new RedisRateLimitStore({ client } as never)).toThrow(InvalidOptionError);
    }
    expect(() => new RedisRateLimitStore([] as never)).toThrow('Expected `options` to be an object');
    expect(() => new RedisRateLimitStore({ client: {}, prefix: 'x' } as never)).toThrow(
      /`options.prefix`.*not an option of RedisRateLimitStore/,
    );
    expect(() => new RedisRateLimitStore({ client: {} } as never)).toThrow(
      'Expected `options.client` to be a Redis client with `evalsha` and `eval`, got `{}` (object)',
    );
  });
});
