// RedisJobStore when Redis goes away: an add is refused with a coded error instead of being
// dropped, and a worker whose Redis restarts (AOF, appendfsync always) pauses, reconnects and
// finishes every job, acknowledging each exactly once. Real redis-server processes, no mocks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoadstoneError } from '../../src/core/errors/index.js';
import { JobQueue, JobWorker, RedisJobStore, type StoreFailedEvent } from '../../src/jobs/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { type RedisServerHandle, redisAvailability, startDurableRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const availability = redisAvailability();
if (availability.mode === 'skip')
  console.warn('\n  redis-server NOT FOUND on PATH: SKIPPING the job fault tests.\n');
const describeFaults = availability.mode === 'skip' ? describe.skip : describe;

describeFaults('RedisJobStore faults', () => {
  const servers: RedisServerHandle[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const durable = async (port?: number, dir = mkdtempSync(join(tmpdir(), 'loadstone-jobs-aof-'))) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    const server = await startDurableRedis(dir, port);
    servers.push(server);
    return { server, dir };
  };

  it('refuses an add while Redis is down with ERR_LOADSTONE_JOB_STORE', async () => {
    const { server } = await durable();
    const client = partsClient(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    await until(() => client.status === 'ready', 20_000);
    const queue = new JobQueue({ name: 'down', store: new RedisJobStore({ client }) });
    await queue.add('before');
    await server.stop();
    await until(() => client.status !== 'ready', 20_000);
    const refused = await queue.add('during').catch((error: unknown) => error);
    expect(isLoadstoneError(refused, 'ERR_LOADSTONE_JOB_STORE')).toBe(true);
    client.disconnect();
  });

  it('pauses a worker through a Redis restart and finishes every job, acknowledging each once', {
    timeout: 60_000,
  }, async () => {
    const first = await durable();
    const client = partsClient(first.server.url, { retryStrategy: () => 100 });
    client.on('error', () => undefined);
    const store = new RedisJobStore({ client });
    const queue = new JobQueue<number>({ name: 'restart', store, partitions: 2 });
    const total = 300;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ data: i, id: `job-${i}` })));
    const completed = new Map<string, number>();
    const failures: StoreFailedEvent[] = [];
    queue.on('job:completed', ({ id }) => completed.set(id, (completed.get(id) ?? 0) + 1));
    queue.on('store:failed', (event) => failures.push(event));
    const runs = new Set<number>();
    const worker = new JobWorker({
      queue,
      concurrency: 4,
      visibilityTimeoutMs: 2_000,
      pollIntervalMs: 100,
      handler: async (job) => {
        runs.add(job.data);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    await until(() => completed.size >= 100, 20_000);
    await first.server.stop();
    await until(() => failures.length > 0, 20_000);
    await durable(first.server.port, first.dir); // the same port and AOF: Redis restarted
    await until(() => completed.size === total, 45_000);
    await worker.close();
    await store.close();
    expect(runs.size).toBe(total);
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(await queue.counts()).toMatchObject({
      waiting: 0,
      delayed: 0,
      active: 0,
      failed: 0,
      dead: 0,
      completed: total,
    });
    expect(failures.every((event) => event.operation === 'take' || event.operation === 'extend')).toBe(true);
    client.disconnect();
  });
});
