// The connection a RedisJobStore subscribes on to wake idle workers (issue #21), against real
// redis-server processes: on a fail-fast client (`enableOfflineQueue: false`) the first wait is
// already subscribed, so an add wakes it instead of a poll; and close() returns while Redis hangs.
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { type RedisServerHandle, redisAvailability, startRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const availability = redisAvailability();
if (availability.mode === 'skip')
  console.warn('\n  redis-server NOT FOUND on PATH: SKIPPING the job wake-up fault tests.\n');
const describeFaults = availability.mode === 'skip' ? describe.skip : describe;

describeFaults('RedisJobStore wake-up connection faults', () => {
  const servers: RedisServerHandle[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
  });
  const server = async (): Promise<RedisServerHandle> => {
    const started = await startRedis();
    if (started === undefined) throw new Error('redis-server is required');
    servers.push(started);
    return started;
  };
  const connect = async (url: string, options: RedisOptions = {}): Promise<Redis> => {
    const client = partsClient(url, options);
    client.on('error', () => undefined);
    clients.push(client);
    await until(() => client.status === 'ready', 20_000);
    return client;
  };
  const subscribers = async (admin: Redis, channel: string): Promise<number> =>
    ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1];

  it('wakes the first wait on a fail-fast client (enableOfflineQueue: false) when a job is added', async () => {
    const redis = await server();
    const client = await connect(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const admin = await connect(redis.url);
    const store = new RedisJobStore({ client });
    const queue = new JobQueue({ name: 'wake', store });
    const woken = store.waitForWork('wake', 60_000, new AbortController().signal);
    await until(async () => (await subscribers(admin, 'lsj:wake:wake')) === 1, 5_000);
    await queue.add('job');
    await woken;
    await store.close();
  });

  it('closes while Redis hangs (SIGSTOP), bounded instead of waiting for QUIT forever', {
    timeout: 30_000,
  }, async () => {
    const redis = await server();
    const client = await connect(redis.url);
    const admin = await connect(redis.url);
    const store = new RedisJobStore({ client });
    const controller = new AbortController();
    void store.waitForWork('hang', 60_000, controller.signal);
    await until(async () => (await subscribers(admin, 'lsj:wake:hang')) === 1, 5_000);
    controller.abort();
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
  });
});
