// A rolling reload of a supervised cluster whose workers run a JobWorker on Redis: the draining
// workers hand their unfinished jobs back at once, so the new workers run them without waiting
// for a lease to run out, and every job completes once.
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import { killAllPrimaries, startPrimary } from '../helpers/clusterPrimary.js';
import { describeWithRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

afterAll(() => killAllPrimaries());

describeWithRedis('JobWorkers through a rolling reload', (getRedis) => {
  it('hands running jobs back to the new workers, none waiting for a lease', {
    timeout: 90_000,
  }, async () => {
    const redis = new Redis(getRedis().url);
    const name = `reload-${Date.now()}`;
    const queue = new JobQueue<number>({ name, store: new RedisJobStore({ client: redis }) });
    const primary = startPrimary('jobs-app.mjs', {
      REDIS_URL: getRedis().url,
      FIXTURE_QUEUE: name,
      FIXTURE_WORKERS: '2',
      FIXTURE_JOB_MS: '1500',
      FIXTURE_CLOSE_MS: '100',
    });
    await primary.waitFor('started');
    await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ data: i, id: `job-${i}` })));
    await until(async () => (await queue.counts()).active === 4); // 2 workers × concurrency 2
    primary.child.send({ cmd: 'reload' });
    await primary.waitFor('reloaded', () => true, 60_000);
    await until(async () => (await queue.counts()).completed === 12);
    const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => queue.getJob(`job-${i}`)));
    expect(jobs.every((job) => job?.state === 'completed' && job.failures === 0)).toBe(true);
    expect(
      jobs.some((job) => (job?.interruptions ?? 0) > 0),
      'the reload cut some jobs short',
    ).toBe(true);
    expect(await redis.lrange(`stalled:${name}`, 0, -1), 'no job waited for its lease').toEqual([]);
    primary.child.kill('SIGTERM');
    expect((await primary.exited).code).toBe(0);
    redis.disconnect();
  });
});
