// loadstone's Redis parts over node-redis (the official `redis` package) through fromNodeRedis:
// v6 with RESP3 (its default) and RESP2, and v5 with both, against a real redis-server. The JobStore and
// Bus contracts run whole (the same suites the ioredis stores pass); the cache tier, the lock,
// the rate-limit store and the mailbox get a round trip each. No Redis mocks.
import { createClient } from 'redis';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTier, RedisBus, RedisLock, RedisTier, TieredCache } from '../../src/cache/index.js';
import { fromNodeRedis, type JsonValue, type NodeRedisClient } from '../../src/core/index.js';
import { JobQueue, JobWorker, RedisJobStore } from '../../src/jobs/index.js';
import { Mailbox } from '../../src/mailbox/index.js';
import { RateLimiter, RedisRateLimitStore } from '../../src/resilience/index.js';
import { describeBusContract, describeJobStoreContract } from '../../src/testing/index.js';
import { describeWithRedis, startRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

type Variant = readonly [label: string, make: (url: string) => NodeRedisClient];
const VARIANTS: readonly Variant[] = [
  ['redis 6, RESP3', (url) => createClient({ url }) as unknown as NodeRedisClient],
  ['redis 6, RESP2', (url) => createClient({ url, RESP: 2 }) as unknown as NodeRedisClient],
  ['redis 5, RESP2', (url) => createClient5({ url }) as unknown as NodeRedisClient],
  ['redis 5, RESP3', (url) => createClient5({ url, RESP: 3 }) as unknown as NodeRedisClient],
];

describeWithRedis('node-redis', (getRedis) => {
  it('runs a job queue on a node-redis client', async () => {
    // #region fromNodeRedis
    const client = createClient({ url: getRedis().url }); // the official `redis` package, v5 or v6
    client.on('error', (error) => console.error('redis:', error)); // node-redis needs one
    await client.connect();
    const store = new RedisJobStore({ client: fromNodeRedis(client) }); // RedisTier, RedisBus… alike
    // #endregion fromNodeRedis
    const queue = new JobQueue<number>({ name: 'nr-example', store });
    await queue.add(21, { id: 'a' });
    const worker = new JobWorker<number>({ queue, handler: async (job) => job.data * 2 });
    await until(async () => (await queue.getJob('a'))?.state === 'completed');
    expect((await queue.getJob('a'))?.result).toBe(42);
    await worker.close();
    await store.close();
    await client.close();
  });

  for (const [label, make] of VARIANTS) {
    describe(label, () => {
      let client: NodeRedisClient | undefined;
      const redis = () => {
        if (client === undefined) throw new Error('not connected yet');
        return fromNodeRedis(client);
      };
      beforeAll(async () => {
        client = make(getRedis().url);
        client.on('error', () => undefined);
        await client.connect();
      });
      afterAll(async () => {
        await (client?.close?.() ?? client?.quit?.());
      });

      describeJobStoreContract(`RedisJobStore over ${label}`, () => new RedisJobStore({ client: redis() }), {
        describe,
        it,
        expect,
      });
      describeBusContract(
        `RedisBus over ${label}`,
        ({ onHandlerError }) => new RedisBus({ client: redis(), onHandlerError }),
        { describe, it, expect },
      );

      it('caches through RedisTier, single-flights with RedisLock, and clears by prefix', async () => {
        const prefix = `nr:${label.replace(/\W/g, '')}:`;
        const lock = new RedisLock({ client: redis() });
        // Two caches with their own memory tiers, as two processes: the lock lets one load.
        const makeCache = () =>
          new TieredCache<{ n: number }>({
            tiers: [new MemoryTier({ maxEntries: 100 }), new RedisTier({ client: redis(), prefix })],
            lock,
            lockTtlMs: 5_000,
          });
        const [cache, twin] = [makeCache(), makeCache()];
        let loads = 0;
        const loader = async () => {
          loads++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          return { n: 7 };
        };
        const all = await Promise.all(
          [cache, twin].flatMap((c) => Array.from({ length: 10 }, () => c.getOrSet('k', loader))),
        );
        expect(all.every((v) => v?.n === 7)).toBe(true);
        expect(loads).toBe(1);
        expect(await redis().get(`${prefix}k`)).not.toBeNull();
        await cache.set('j', { n: 1 });
        const other = new TieredCache<{ n: number }>({ tiers: [new RedisTier({ client: redis(), prefix })] });
        expect(await other.get('j')).toEqual({ n: 1 }); // through Redis: MGET, numbers as strings
        await cache.clear(); // SCAN by prefix, then DEL
        expect(await redis().get(`${prefix}k`)).toBeNull();
        await cache.close();
        await twin.close();
        await other.close();
      });

      it('rate-limits through RedisRateLimitStore with both algorithms', async () => {
        for (const algorithm of ['gcra', 'sliding-window'] as const) {
          const limiter = new RateLimiter({
            algorithm,
            limit: 2,
            periodMs: 60_000,
            store: new RedisRateLimitStore({ client: redis() }),
          });
          const key = `nr-${label}-${algorithm}`;
          const decisions = [];
          for (let i = 0; i < 3; i++) decisions.push((await limiter.limit(key)).allowed);
          expect([algorithm, decisions]).toEqual([algorithm, [true, true, false]]);
        }
      });

      it('posts, reads and acknowledges through Mailbox', async () => {
        const mailbox = new Mailbox<{ text: string }>({ client: redis(), prefix: `nr-${label}:` });
        const first = await mailbox.post('u', { text: 'one' });
        await mailbox.post('u', { text: 'two' });
        expect((await mailbox.read('u')).messages.map((m) => m.message.text)).toEqual(['one', 'two']);
        await mailbox.ack('u', first);
        expect((await mailbox.read('u', { after: first })).messages.map((m) => m.message.text)).toEqual([
          'two',
        ]);
      });
    });
  }
});

describeWithRedis('node-redis faults', () => {
  it('survives redis-server restarting: no crash, the outage reported, every channel heard again', async () => {
    const first = await startRedis();
    if (first === undefined) throw new Error('redis-server is required');
    const client = createClient({ url: first.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => undefined); // the user's client: theirs to listen to
    await client.connect();
    const reported: unknown[] = [];
    const bus = new RedisBus({
      client: fromNodeRedis(client),
      onHandlerError: (error) => reported.push(error),
    });
    const received: JsonValue[] = [];
    bus.subscribe('before', (message) => received.push(message));
    await bus.ready();
    await first.stop(); // the bus's own connection errors: reported, never an unhandled 'error'
    await until(() => reported.length > 0, 20_000);
    bus.subscribe('during', (message) => received.push(message));
    const restarted = await startRedis({ port: first.port });
    if (restarted === undefined) throw new Error('redis-server did not restart');
    try {
      const publisher = createClient({ url: restarted.url });
      publisher.on('error', () => undefined);
      await publisher.connect();
      await until(
        async () => {
          await publisher.sendCommand(['PUBLISH', 'before', '"b"']);
          await publisher.sendCommand(['PUBLISH', 'during', '"d"']);
          return received.includes('b') && received.includes('d');
        },
        20_000,
        50,
      );
      // Heard once each per publish: node-redis restored 'before' itself, and nothing doubled it.
      const heard = received.length;
      await publisher.sendCommand(['PUBLISH', 'before', '"once"']);
      await until(() => received.length > heard, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received.filter((m) => m === 'once')).toHaveLength(1);
      await publisher.close();
    } finally {
      await bus.destroy();
      await client.close().catch(() => undefined);
      await restarted.stop();
    }
  });
});

describe('fromNodeRedis', () => {
  it('refuses what is not a node-redis client', () => {
    for (const value of [undefined, {}, { sendCommand: () => undefined }]) {
      expect(() => fromNodeRedis(value as never)).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'client' }),
      );
    }
  });
});
