// Two worker processes share a Redis job queue of 2,000 jobs over 20 keys; one is SIGKILLed
// mid-run. Every job completes, none is lost, and the jobs of one key never overlap and never run
// out of order, across both processes and the crash (issue #16's acceptance test).
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import { describeWithRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const WORKER = fileURLToPath(new URL('../fixtures/jobs-worker.ts', import.meta.url));
const JOBS = 2_000;
const KEYS = 20;

describeWithRedis('JobWorker processes on Redis, one SIGKILLed', (getRedis) => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  const start = async (queue: string, handlerMs: number): Promise<ChildProcess> => {
    const child = fork(WORKER, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const ready = new Promise((resolve) => child.once('message', resolve));
    child.send({
      url: getRedis().url,
      queue,
      partitions: 4,
      concurrency: 8,
      visibilityTimeoutMs: 1_000,
      handlerMs,
    });
    await ready;
    return child;
  };

  it('completes 2,000 of 2,000 jobs, in order and one at a time per key', { timeout: 120_000 }, async () => {
    const redis = new Redis(getRedis().url);
    const store = new RedisJobStore({ client: redis });
    const queue = new JobQueue<number>({
      name: 'crash',
      store,
      partitions: 4,
      keepCompleted: { count: JOBS },
    });
    await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ data: i, key: `key-${i % KEYS}` })));
    // The victim's jobs are slow, so that its SIGKILL always lands in the middle of some.
    const [victim, survivor] = [await start('crash', 20), await start('crash', 1)];
    await until(async () => (await redis.llen('log')) >= 600);
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    await until(async () => (await queue.counts()).completed === JOBS, 90_000);
    survivor.kill('SIGTERM');
    expect((await once(survivor, 'exit'))[0]).toBe(0);

    const counts = await queue.counts();
    expect(counts).toEqual({ waiting: 0, delayed: 0, active: 0, completed: JOBS, failed: 0, dead: 0 });
    const log = (await redis.lrange('log', 0, -1)).map((line) => {
      const [event, key, n, pid] = line.split(' ');
      return { event, key: key as string, n: Number(n), pid: Number(pid) };
    });
    // Every job ended once, and the killed process cut some short: those ran again elsewhere.
    const ends = log.filter((entry) => entry.event === 'end');
    expect(new Set(ends.map((entry) => entry.n)).size).toBe(JOBS);
    const cut = log.filter(
      (entry) => entry.event === 'start' && !ends.some((end) => end.n === entry.n && end.pid === entry.pid),
    );
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((entry) => entry.pid === victim.pid)).toBe(true);
    for (let k = 0; k < KEYS; k++) {
      const events = log.filter((entry) => entry.key === `key-${k}`);
      // One at a time: each start follows the end of the key's previous start, unless that one
      // died with the killed process (its lease then had to expire first).
      let open: (typeof events)[number] | undefined;
      const firstRuns: number[] = [];
      for (const entry of events) {
        if (entry.event === 'start') {
          if (open !== undefined) expect(open.pid).toBe(victim.pid);
          open = entry;
          if (firstRuns.at(-1) !== entry.n) firstRuns.push(entry.n);
        } else {
          expect(entry.n).toBe(open?.n);
          open = undefined;
        }
      }
      // In order: the key's jobs first ran in the order they were added.
      expect(firstRuns).toEqual(Array.from({ length: JOBS / KEYS }, (_, i) => k + KEYS * i));
    }
    await store.close();
    redis.disconnect();
  });
});
