// The depth-driven scaling recipe of docs/jobs.md on real processes: a supervised cluster whose
// workers run a JobWorker on Redis, and whose autoscale.target follows the queue's depth. Adding
// a backlog grows the cluster to its max; as the workers drain it, the cluster shrinks back to
// one, and every job completes once (retired workers hand their running jobs back).
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import { killAllPrimaries, startPrimary } from '../helpers/clusterPrimary.js';
import { describeWithRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

afterAll(() => killAllPrimaries());

describeWithRedis('ClusterSupervisor scaling on a job queue’s depth', (getRedis) => {
  it('grows to max under a backlog, shrinks as it drains, and completes every job', {
    timeout: 90_000,
  }, async () => {
    const redis = new Redis(getRedis().url);
    const name = `scaling-${Date.now()}`;
    const queue = new JobQueue<number>({
      name,
      store: new RedisJobStore({ client: redis }),
      keepCompleted: { count: 1_000 },
    });
    const primary = startPrimary('jobs-app.mjs', {
      REDIS_URL: getRedis().url,
      FIXTURE_QUEUE: name,
      FIXTURE_PER_WORKER: '20',
      FIXTURE_JOB_MS: '40',
    });
    await primary.waitFor('started');
    await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ data: i, id: `job-${i}` })));
    const up = await primary.waitFor('workers:scaled', (p) => p.to === 3, 30_000);
    expect(up.target).toBe(3);
    const down = await primary.waitFor('workers:scaled', (p) => p.to === 1, 60_000);
    expect(down.target as number).toBeLessThanOrEqual(1);
    await until(async () => (await queue.counts()).completed === 300);
    expect(await queue.counts()).toMatchObject({ waiting: 0, active: 0, failed: 0, dead: 0 });
    primary.child.kill('SIGTERM');
    expect((await primary.exited).code).toBe(0);
    redis.disconnect();
  });
});
