// RedisJobStore against a real redis-server and a real 3-master Redis Cluster: the JobStore
// contract (the same suite the memory store passes), the partitions spread over the masters, and
// what a job costs in Redis. No Redis mocks.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue, JobWorker, RedisJobStore } from '../../src/jobs/index.js';
import { describeJobStoreContract } from '../../src/testing/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis, redisAvailability, suiteClients } from '../helpers/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redisCluster.js';
import { until } from '../helpers/until.js';

describeWithRedis('RedisJobStore', (getRedis) => {
  const { connect, adopt } = suiteClients(() => getRedis().url);

  describeJobStoreContract('RedisJobStore', () => new RedisJobStore({ client: connect() }), {
    describe,
    it,
    expect,
  });

  it('adds, runs and completes through Redis', async () => {
    const url = getRedis().url;
    // #region redisJobStore
    const client = partsClient(url); // your ioredis client (or a Cluster); the store never closes it
    const store = new RedisJobStore({ client });
    const queue = new JobQueue<{ invoice: number }>({ name: 'invoices', store, partitions: 4 });
    await queue.add({ invoice: 42 }, { id: 'invoice-42', key: 'customer-7' }); // durable once it resolves
    const worker = new JobWorker({
      queue,
      concurrency: 20,
      handler: async (job) => ({ sent: job.data.invoice }),
    });
    // #endregion redisJobStore
    adopt(client);
    await until(async () => (await queue.getJob('invoice-42', { key: 'customer-7' }))?.state === 'completed');
    await worker.close();
    await store.close();
    expect((await queue.getJob('invoice-42', { key: 'customer-7' }))?.result).toEqual({ sent: 42 });
    const keys = await client.keys('lsj:{invoices:*');
    expect(keys.every((key) => /^lsj:\{invoices:[0-3]\}:/.test(key))).toBe(true);
  });

  it('keeps queue names with braces and percent signs apart', async () => {
    const store = new RedisJobStore({ client: connect() });
    const a = new JobQueue({ name: 'a}b', store });
    const b = new JobQueue({ name: 'a%7db', store });
    await a.add(1);
    expect((await a.counts()).waiting).toBe(1);
    expect((await b.counts()).waiting).toBe(0);
    await store.close();
  });

  it('refuses a client it cannot use', () => {
    expect(() => new RedisJobStore({ client: {} as never })).toThrow(
      expect.objectContaining({ option: 'options.client' }),
    );
    expect(() => new RedisJobStore({ client: connect(), prefix: 7 as never })).toThrow(
      expect.objectContaining({ option: 'options.prefix' }),
    );
    for (const commandTimeoutMs of [-1, 1.5, 2 ** 31, '100']) {
      expect(
        () => new RedisJobStore({ client: connect(), commandTimeoutMs: commandTimeoutMs as never }),
      ).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.commandTimeoutMs' }),
      );
    }
  });
});

const availability = redisAvailability();
const describeCluster = availability.mode === 'skip' ? describe.skip : describe;

describeCluster('RedisJobStore on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  const clients: Cluster[] = [];
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

  it('spreads one queue’s partitions over every master and runs every job', async () => {
    const client = connect();
    const store = new RedisJobStore({ client });
    const queue = new JobQueue({ name: 'spread', store, partitions: 8 });
    await queue.addBulk(Array.from({ length: 400 }, (_, i) => ({ data: i, key: `user-${i % 40}` })));
    const perMaster = await Promise.all(client.nodes('master').map((node) => node.keys('lsj:{spread:*')));
    expect(perMaster.length).toBe(3);
    expect(perMaster.every((keys) => keys.length > 0)).toBe(true);
    const order = new Map<string, number[]>();
    const worker = new JobWorker({
      queue,
      concurrency: 16,
      handler: async (job) => {
        order.set(job.key as string, [...(order.get(job.key as string) ?? []), job.data as number]);
      },
    });
    await until(async () => (await queue.counts()).completed === 400);
    await worker.close();
    await store.close();
    for (const [key, seen] of order) {
      const n = Number(key.slice(5));
      expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => n + 40 * i));
    }
  });
});
