// TieredCache, RedisLock and RedisBus through an ioredis `Cluster` on a local 3-master Redis
// Cluster: the same read/write/invalidate suite as on one node.
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryTier, RedisBus, RedisLock, RedisTier, TieredCache } from '../../src/cache/index.js';
import { redisAvailability } from '../helpers/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redisCluster.js';

const availability = redisAvailability();
if (availability.mode === 'skip') {
  console.warn('\n  redis-server NOT FOUND on PATH: SKIPPING the Redis Cluster cache tests.\n');
}
const describeCluster = availability.mode === 'skip' ? describe.skip : describe;

describeCluster('TieredCache on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  const clients: (Cluster | Redis)[] = [];
  const connect = (): Cluster => {
    if (cluster === undefined) throw new Error('redis-server is required (CI=true)');
    const client = new Cluster([...cluster.nodes]);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await cluster?.stop();
  });

  it('spreads keys over the masters and reads, writes, multi-gets, deletes and clears through Cluster', async () => {
    const client = connect();
    const memory = new MemoryTier({ maxEntries: 1_000 });
    const cache = new TieredCache<{ n: number; at: Date }>({
      tierTimeoutMs: 5_000, // generous: a loaded test machine must not trip the breaker
      tiers: [memory, new RedisTier({ client, prefix: 'cl:' })],
      jitterRatio: 0,
    });
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    await cache.setMany(keys.map((key, n) => ({ key, value: { n, at: new Date(n) } })));
    // Every master holds some of them.
    const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(perNode.length).toBe(3);
    expect(perNode.every((count) => count > 0)).toBe(true);

    memory.clear();
    const values = await cache.getMany([...keys, 'missing']);
    expect(values.slice(0, 30).map((v) => v?.n)).toEqual(keys.map((_, n) => n));
    expect(values[30]).toBe(undefined);
    expect(values[3]?.at).toBeInstanceOf(Date);

    await cache.delete('key-1');
    memory.clear();
    expect(await cache.get('key-1')).toBe(undefined);
    expect((await cache.get('key-2'))?.n).toBe(2);
    // Several keys at once: spread over slots, so one DEL per key (a multi-key DEL is CROSSSLOT).
    const tier = new RedisTier({ client, prefix: 'cl:' });
    await tier.delete(['key-2', 'key-3', 'key-4', 'key-5']);
    expect(await tier.getMany(['key-2', 'key-3', 'key-4', 'key-5', 'key-6'])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      expect.objectContaining({ value: expect.objectContaining({ n: 6 }) }),
    ]);

    await client.set('outside', 'keep');
    await cache.clear();
    memory.clear();
    expect(await cache.getMany(keys)).toEqual(keys.map(() => undefined));
    expect(await client.get('outside')).toBe('keep');
    expect(cache.stats().tiers[1]?.errors).toBe(0);
    await cache.close();
  });

  it('invalidates another cache’s memory tier through a RedisBus on the cluster', async () => {
    const busA = new RedisBus({ client: connect() });
    const busB = new RedisBus({ client: connect() });
    const tier = () => new RedisTier({ client: connect(), prefix: 'cl-bus:' });
    const a = new TieredCache({
      tierTimeoutMs: 5_000,
      tiers: [new MemoryTier({ maxEntries: 10 }), tier()],
      bus: busA,
    });
    const bMemory = new MemoryTier({ maxEntries: 10 });
    const b = new TieredCache({ tierTimeoutMs: 5_000, tiers: [bMemory, tier()], bus: busB });
    await Promise.all([busA.ready(), busB.ready()]);
    await a.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    await a.delete('k');
    await vi.waitFor(() => expect(b.stats().invalidationsReceived).toBe(2));
    expect(bMemory.get('k')).toBe(undefined);
    expect(await b.get('k')).toBe(undefined);
    await Promise.all([a.close(), b.close(), busA.close(), busB.close()]);
  });

  it('runs the loader once across two caches with a RedisLock on the cluster', async () => {
    const lock = new RedisLock({ client: connect(), prefix: 'cl-lock:' });
    const make = () =>
      new TieredCache<string>({
        tierTimeoutMs: 5_000, // generous: a loaded test machine must not trip the breaker
        tiers: [
          new MemoryTier({ maxEntries: 10 }),
          new RedisTier({ client: connect(), prefix: 'cl-locked:' }),
        ],
        lock,
        lockPollMs: 10,
      });
    const [a, b] = [make(), make()];
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'v';
    };
    await Promise.all([
      ...Array.from({ length: 50 }, () => a.getOrSet('k', loader)),
      ...Array.from({ length: 50 }, () => b.getOrSet('k', loader)),
    ]);
    expect(calls).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describeCluster('startRedisCluster without redis-cli (CLUSTER ADDSLOTSRANGE + MEET via ioredis)', () => {
  it('forms a working 3-master cluster', async () => {
    const cluster = await startRedisCluster({ withoutRedisCli: true });
    if (cluster === undefined) throw new Error('redis-server is required (CI=true)');
    const client = new Cluster([...cluster.nodes]);
    try {
      const tier = new RedisTier({ client, prefix: 'manual:' });
      const cache = new TieredCache({ tierTimeoutMs: 5_000, tiers: [tier], jitterRatio: 0 });
      await cache.setMany(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i })));
      expect(await cache.getMany(['k0', 'k19'])).toEqual([0, 19]);
      expect(client.nodes('master').length).toBe(3);
      await cache.close();
    } finally {
      await client.quit();
      await cluster.stop();
    }
  });
});
