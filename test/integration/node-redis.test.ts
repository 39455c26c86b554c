// loadstone's Redis parts over node-redis (the official `redis` package) through fromNodeRedis:
// v6 with RESP3 (its default) and RESP2, and v5 with both, against a real redis-server, and a
// cluster client on a real 3-master Redis Cluster. The JobStore and Bus contracts run whole (the
// same suites the ioredis stores pass); the cache tier, the lock, the rate-limit store and the
// mailbox get a round trip each; a redis-server restart under a bus. No Redis mocks.
import { createClient, createCluster } from 'redis';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTier, RedisBus, RedisLock, RedisTier, TieredCache } from '../../src/cache/index.js';
import {
  fromNodeRedis,
  type JsonValue,
  type NodeRedisClient,
  type NodeRedisClusterClient,
} from '../../src/core/index.js';
import { JobQueue, JobWorker, RedisJobStore } from '../../src/jobs/index.js';
import { Mailbox } from '../../src/mailbox/index.js';
import { RateLimiter, RedisRateLimitStore } from '../../src/resilience/index.js';
import { describeBusContract, describeJobStoreContract } from '../../src/testing/index.js';
import { describeWithRedis, redisAvailability, startRedis } from '../helpers/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redisCluster.js';
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

const describeCluster = redisAvailability().mode === 'skip' ? describe.skip : describe;

describeCluster('node-redis on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  let client: NodeRedisClusterClient | undefined;
  const redis = () => {
    if (client === undefined) throw new Error('redis-server is required (CI=true)');
    return fromNodeRedis(client);
  };
  beforeAll(async () => {
    cluster = await startRedisCluster();
    if (cluster === undefined) return;
    const made = createCluster({
      rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    });
    made.on('error', () => undefined);
    await made.connect();
    client = made as unknown as NodeRedisClusterClient;
  }, 60_000);
  afterAll(async () => {
    await client?.close?.();
    await cluster?.stop();
  });

  describeJobStoreContract(
    'RedisJobStore over a node-redis cluster',
    () => new RedisJobStore({ client: redis() }),
    {
      describe,
      it,
      expect,
    },
  );
  // Not the Bus contract: its order test does not hold on a cluster, whose nodes relay one client's
  // messages in any order (RedisBus's docs say so; ioredis's Cluster is no different).
  it('carries every message between two buses over the cluster', async () => {
    const [publisher, subscriber] = [new RedisBus({ client: redis() }), new RedisBus({ client: redis() })];
    const received: JsonValue[] = [];
    subscriber.subscribe('nr-cluster', (message) => received.push(message));
    await subscriber.ready();
    for (let i = 0; i < 20; i++) await publisher.publish('nr-cluster', i);
    await until(() => received.length === 20, 10_000);
    expect([...received].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    await Promise.all([publisher.close(), subscriber.close()]);
  });

  it('spreads job partitions over the masters, and a tier reads, writes and clears across them', async () => {
    const store = new RedisJobStore({ client: redis() });
    const queue = new JobQueue<number>({ name: 'nr-spread', store, partitions: 8 });
    await queue.addBulk(Array.from({ length: 80 }, (_, i) => ({ data: i, key: `user-${i % 16}` })));
    const worker = new JobWorker<number>({ queue, concurrency: 8, handler: async (job) => job.data });
    await until(async () => (await queue.counts()).completed === 80, 20_000);
    await worker.close();
    await store.close();
    const nodes = redis().nodes?.('master') ?? [];
    expect(nodes).toHaveLength(3);
    const perMaster = await Promise.all(
      nodes.map(async (node) => (await node.scan('0', 'MATCH', 'lsj:{nr-spread:*', 'COUNT', 1000))[1].length),
    );
    expect(perMaster.filter((count) => count > 0).length).toBeGreaterThan(1);

    const tier = new RedisTier({ client: redis(), prefix: 'nrc:' });
    const cache = new TieredCache<number>({ tiers: [tier] });
    for (let i = 0; i < 30; i++) await cache.set(`k${i}`, i);
    expect(await cache.getMany(['k1', 'k2', 'k29'])).toEqual([1, 2, 29]); // key by key on a cluster
    await cache.clear(); // SCAN on every master
    expect(await cache.getMany(['k1', 'k2', 'k29'])).toEqual([undefined, undefined, undefined]);
    await cache.close();
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
