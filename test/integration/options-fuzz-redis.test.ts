// The options fuzzer (test/helpers/optionsFuzz.ts) over the Redis-backed parts, against a real
// redis-server: each case that is not refused does one ordinary command round trip and closes.
import type { Redis } from 'ioredis';
import { describe } from 'vitest';
import {
  JobQueue,
  Mailbox,
  RateLimiter,
  RedisBus,
  RedisJobStore,
  RedisLock,
  RedisRateLimitStore,
  RedisTier,
} from '../../src/index.js';
import { fuzzTargets, type Options, type Target } from '../helpers/optionsFuzz.js';
import { describeWithRedis, suiteClients } from '../helpers/redis.js';

describeWithRedis('options fuzzer: the Redis parts', (getRedis) => {
  const { connect } = suiteClients(() => getRedis().url);
  let shared: Redis | undefined;
  /** The suite's client, unless the case swapped `client` for a hostile value. */
  const withClient = (o: Options): Options => {
    shared ??= connect();
    return Object.hasOwn(o, 'client') ? o : { client: shared, ...o };
  };
  const entry = { value: 1, freshUntil: Date.now() + 60_000, staleUntil: Date.now() + 60_000 };

  const targets: readonly Target[] = [
    {
      name: 'RedisTier',
      path: 'options',
      base: { prefix: 'fuzz:tier:' },
      keys: ['client', 'prefix', 'serializer', 'name'],
      make: (o) => new RedisTier(withClient(o) as never),
      use: (t: RedisTier) => t.set('k', entry as never, 1_000).then(() => t.get('k')),
    },
    {
      name: 'RedisLock',
      path: 'options',
      base: { prefix: 'fuzz:lock:' },
      keys: ['client', 'prefix'],
      make: (o) => new RedisLock(withClient(o) as never),
      use: async (l: RedisLock) => {
        const token = await l.acquire('k', 1_000);
        if (token !== undefined) await l.release('k', token);
      },
    },
    {
      name: 'RedisRateLimitStore',
      path: 'options',
      base: {},
      keys: ['client'],
      make: (o) =>
        new RateLimiter({
          limit: 5,
          periodMs: 1_000,
          store: new RedisRateLimitStore(withClient(o) as never),
        }),
      use: (l: RateLimiter) => l.limit('fuzz'),
    },
    {
      name: 'RedisBus',
      path: 'options',
      base: {},
      keys: ['client', 'subscriber', 'onHandlerError', 'commandTimeoutMs', 'closeTimeoutMs'],
      make: (o) => new RedisBus(withClient(o) as never),
      use: (b: RedisBus) => b.publish('fuzz', { n: 1 }),
    },
    {
      name: 'RedisJobStore',
      path: 'options',
      base: { prefix: 'fuzz:jobs:' },
      keys: ['client', 'prefix', 'commandTimeoutMs'],
      make: (o) => new JobQueue({ name: 'fuzz', store: new RedisJobStore(withClient(o) as never) }),
      use: (q: JobQueue) => q.add(1),
    },
    {
      name: 'Mailbox',
      path: 'options',
      base: { prefix: 'fuzz:mail:' },
      keys: ['client', 'prefix', 'maxMessages', 'whenFull', 'ttlMs', 'maxMessageBytes', 'commandTimeoutMs'],
      make: (o) => new Mailbox(withClient(o) as never),
      use: (m: Mailbox<{ n: number }>) => m.post('r', { n: 1 }).then(() => m.read('r')),
    },
    {
      name: 'Mailbox.read',
      path: 'options',
      base: {},
      keys: ['after', 'limit'],
      make: (o) => new Mailbox(withClient({ prefix: 'fuzz:read:' }) as never).read('r', o as never),
    },
  ];

  describe('each options object', () => {
    fuzzTargets(targets, 150);
  });
});
