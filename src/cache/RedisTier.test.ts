import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
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
    // Each command the tier needs, missing in turn; and a serializer missing either half.
    const { get, set, del } = lazyClient;
    for (const client of [{ set, del }, { get, del }, { get, set }, 'redis']) {
      expectInvalidOption(() => new RedisTier({ client } as never), 'options.client', 'an ioredis');
    }
    for (const serializer of [{ serialize: JSON.stringify }, { deserialize: JSON.parse }, 'json']) {
      expectInvalidOption(
        () => new RedisTier({ client: lazyClient, serializer } as never),
        'options.serializer',
        'a Serializer',
      );
    }
    expectInvalidOption(() => new RedisTier({ client: lazyClient, name: '' }), 'options.name', 'a non-empty');
    expect(() => new RedisTier({ client: lazyClient, ttl: 1 } as never)).toThrow(
      /not an option of RedisTier/,
    );
    const defaults = new RedisTier({ client: lazyClient });
    expect([defaults.name, defaults.prefix, defaults.remote]).toEqual(['redis', 'loadstone:cache:', true]);
    expect(new RedisTier({ client: lazyClient, name: 'shared', prefix: 'p:' })).toMatchObject({
      name: 'shared',
      prefix: 'p:',
    });

    expectInvalidOption(() => new RedisLock({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(() => new RedisLock({ client: { set } as never }), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisLock({ client: lazyClient, prefix: '' }),
      'options.prefix',
      'a non-empty',
    );
    expect(() => new RedisLock({ client: lazyClient, ttl: 1 } as never)).toThrow(
      /not an option of RedisLock/,
    );
    expectInvalidOption(() => new RedisBus({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisBus({ client: { publish: async () => 0 } as never }),
      'options.subscriber',
      'given when',
    );
  });
});
