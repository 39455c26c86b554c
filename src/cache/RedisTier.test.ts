import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { RedisBus } from './RedisBus.js';
import { RedisLock } from './RedisLock.js';
import { RedisTier } from './RedisTier.js';

// What the tier sends Redis and what it reads back are tested against a real redis-server
// (test/integration/cache-redis.test.ts, cache-cluster.test.ts); here, only option checks.
const lazyClient = new Redis({ lazyConnect: true });

describe('RedisTier', () => {
  it('validates its options, and those of RedisLock and RedisBus', () => {
    expectInvalidOption(() => new RedisTier({} as never), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisTier({ client: lazyClient, prefix: '' }),
      'options.prefix',
      'a non-empty',
    );
    expectInvalidOption(
      () => new RedisTier({ client: lazyClient, serializer: {} as never }),
      'options.serializer',
      'a Serializer',
    );
    expectInvalidOption(() => new RedisLock({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(() => new RedisBus({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisBus({ client: { publish: async () => 0 } as never }),
      'options.subscriber',
      'given when',
    );
  });
});
