import { randomUUID } from 'node:crypto';
import { isLoadstoneError } from '../core/index.js';
import {
  type Job,
  JobQueue,
  type JobQueueOptions,
  type JobStore,
  JobWorker,
  type JobWorkerOptions,
} from '../jobs/index.js';
import type { ContractTestApi } from './busContract.js';

/**
 * Registers the tests every {@link JobStore} must pass, end to end through `JobQueue` and
 * `JobWorker`, so the memory and Redis stores (and yours) keep one behaviour: delivery, results,
 * idempotent ids, priorities and aging, delays, retries and the dead set, order per key across
 * workers, hand-back at close, recovery of an expired lease, handler timeouts, partitions, and
 * ids that look like syntax. Each test uses a queue with a random name (so a shared Redis is
 * fine) and closes its workers; nothing sleeps longer than a lease (1 s).
 *
 * @param name - the implementation's name, used as the suite title.
 * @param makeStore - builds a store (one per test); may be async. It is closed after the test.
 * @param t - the runner's `describe`, `it` and `expect`.
 *
 * @example
 * {@includeCode ../jobs/MemoryJobStore.test.ts#jobStoreContract}
 */
export function describeJobStoreContract(
  name: string,
  makeStore: () => JobStore | Promise<JobStore>,
  t: ContractTestApi,
): void {
  const { describe, it, expect } = t;

  type Env = {
    store: JobStore;
    queue: (options?: Partial<JobQueueOptions>) => JobQueue<unknown>;
    worker: <R>(
      options: Omit<JobWorkerOptions<unknown, R>, 'queue'> & { queue: JobQueue<unknown> },
    ) => JobWorker<unknown, R>;
  };
  const test = (title: string, body: (env: Env) => Promise<void>): void => {
    it(title, async () => {
      const store = await makeStore();
      const workers: JobWorker<unknown, unknown>[] = [];
      try {
        await body({
          store,
          queue: (options) => new JobQueue({ name: `contract-${randomUUID()}`, store, ...options }),
          worker: (options) => {
            const worker = new JobWorker(options);
            workers.push(worker as JobWorker<unknown, unknown>);
            return worker;
          },
        });
      } finally {
        await Promise.all(workers.map((worker) => worker.close({ timeoutMs: 0 })));
        await store.close();
      }
    });
  };

  describe(`${name} (JobStore contract)`, () => {
    test('runs an added job once and keeps its result', async ({ queue, worker }) => {
      const q = queue();
      const id = await q.add({ to: 'ada@example.com' });
      const seen: Job<unknown>[] = [];
      const done = once(q, 'job:completed');
      worker({
        queue: q,
        handler: async (job) => {
          seen.push(job);
          return { sent: true };
        },
      });
      await done;
      expect(seen.length).toBe(1);
      expect(seen[0]?.data).toEqual({ to: 'ada@example.com' });
      expect(seen[0]?.attempt).toBe(1);
      const info = await q.getJob(id);
      expect(info?.state).toBe('completed');
      expect(info?.result).toEqual({ sent: true });
      expect(await q.counts()).toEqual({
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 1,
        failed: 0,
        dead: 0,
      });
    });

    test('adds an id the queue still holds only once, before and after it completes', async ({
      queue,
      worker,
    }) => {
      const q = queue();
      expect(await q.add('first', { id: 'invoice-7' })).toBe('invoice-7');
      expect(await q.add('second', { id: 'invoice-7' })).toBe('invoice-7');
      const runs: unknown[] = [];
      const done = once(q, 'job:completed');
      const w = worker({ queue: q, handler: async (job) => void runs.push(job.data) });
      await done;
      await w.close();
      await q.add('third', { id: 'invoice-7' });
      expect(runs).toEqual(['first']);
      expect((await q.counts()).waiting).toBe(0);
    });

    test('runs higher priorities first, and a long-waiting low job before a fresh critical one', async ({
      queue,
      worker,
    }) => {
      const q = queue({ agingIntervalMs: 60_000 });
      for (const priority of ['low', 'medium', 'critical', 'high']) await q.add(priority, { priority });
      const aged = queue({ agingIntervalMs: 1 });
      await aged.add('old low', { priority: 'low' });
      await sleep(20); // more than 3 levels × 1 ms
      await aged.add('new critical', { priority: 'critical' });
      const order: unknown[] = [];
      const agedOrder: unknown[] = [];
      const all = count(q, 'job:completed', 4);
      const agedAll = count(aged, 'job:completed', 2);
      worker({ queue: q, handler: async (job) => void order.push(job.data) });
      worker({ queue: aged, handler: async (job) => void agedOrder.push(job.data) });
      await Promise.all([all, agedAll]);
      expect(order).toEqual(['critical', 'high', 'medium', 'low']);
      expect(agedOrder).toEqual(['old low', 'new critical']);
    });

    test('runs a delayed job no earlier than its delay', async ({ queue, worker }) => {
      const q = queue();
      const addedAt = Date.now();
      const id = await q.add('later', { delayMs: 300 });
      expect((await q.counts()).delayed).toBe(1);
      expect((await q.getJob(id))?.state).toBe('delayed');
      let startedAt = 0;
      const done = once(q, 'job:completed');
      worker({
        queue: q,
        pollIntervalMs: 50,
        handler: async () => {
          startedAt = Date.now();
        },
      });
      await done;
      expect(startedAt - addedAt >= 300).toBe(true);
    });

    test('retries a failed job with backoff and counts only failures as attempts', async ({
      queue,
      worker,
    }) => {
      const q = queue({ attempts: 3, backoff: { baseDelayMs: 1, maxDelayMs: 5 } });
      const id = await q.add('flaky');
      const failed: number[] = [];
      q.on('job:failed', (event) => failed.push(event.attempt));
      const done = once(q, 'job:completed');
      worker({
        queue: q,
        pollIntervalMs: 10,
        handler: async (job) => {
          if (job.attempt < 3) throw new Error(`attempt ${job.attempt}`);
          return job.attempt;
        },
      });
      await done;
      expect(failed).toEqual([1, 2]);
      const info = await q.getJob(id);
      expect(info?.failures).toBe(2);
      expect(info?.lastError).toBe('Error: attempt 2');
      expect(info?.result).toBe(3);
    });

    test('sends a job to the dead set after its last attempt, and retryDead puts it back', async ({
      queue,
      worker,
    }) => {
      const q = queue({ attempts: 2, backoff: { baseDelayMs: 1, maxDelayMs: 1 } });
      const id = await q.add('poison');
      let healthy = false;
      const dead = once(q, 'job:dead');
      worker({
        queue: q,
        pollIntervalMs: 10,
        handler: async () => {
          if (!healthy) throw 'nope';
        },
      });
      const event = await dead;
      expect(event.reason).toBe("non-Error thrown: 'nope'");
      const info = await q.getJob(id);
      expect(info?.state).toBe('dead');
      expect(info?.failures).toBe(2);
      expect((await q.counts()).dead).toBe(1);
      healthy = true;
      const done = once(q, 'job:completed');
      expect(await q.retryDead()).toBe(1);
      await done;
      expect((await q.getJob(id))?.state).toBe('completed');
    });

    test('runs the jobs of one key one at a time and in order, across workers, a retry keeping its place', async ({
      queue,
      worker,
    }) => {
      const q = queue({ partitions: 3, backoff: { baseDelayMs: 5, maxDelayMs: 20 } });
      const keys = ['user-1', 'user-2', 'user-3'];
      await q.addBulk(Array.from({ length: 45 }, (_, i) => ({ data: i, key: keys[i % 3] as string })));
      const active = new Set<string>();
      const started = new Map<string, number[]>();
      let overlaps = 0;
      let failedOnce = false;
      const handler = async (job: Job<unknown>) => {
        const key = job.key as string;
        if (active.has(key)) overlaps++;
        active.add(key);
        if (job.attempt === 1) started.set(key, [...(started.get(key) ?? []), job.data as number]);
        await sleep((job.data as number) % 4);
        active.delete(key);
        if (job.data === 4 && !failedOnce) {
          failedOnce = true;
          throw new Error('once');
        }
      };
      const all = count(q, 'job:completed', 45);
      worker({ queue: q, concurrency: 4, pollIntervalMs: 10, handler });
      worker({ queue: q, concurrency: 4, pollIntervalMs: 10, handler });
      await all;
      expect(overlaps).toBe(0);
      for (const [i, key] of keys.entries()) {
        expect(started.get(key)).toEqual(Array.from({ length: 15 }, (_, n) => n * 3 + i));
      }
    });

    test('close hands running jobs back at its timeout, with no attempt used up', async ({
      queue,
      worker,
    }) => {
      const q = queue();
      const id = await q.add('long');
      let reason: unknown;
      const started = once(q, 'job:completed').catch(() => undefined);
      const first = worker({
        queue: q,
        handler: (_job, signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              resolve(undefined);
            });
          }),
      });
      await until(async () => (await q.counts()).active === 1);
      await first.close({ timeoutMs: 20 });
      expect(isLoadstoneError(reason, 'ERR_LOADSTONE_CLOSED')).toBe(true);
      const handedBack = await q.getJob(id);
      expect(handedBack?.state).toBe('waiting');
      expect(handedBack?.interruptions).toBe(1);
      expect(handedBack?.failures).toBe(0);
      const attempts: number[] = [];
      worker({ queue: q, handler: async (job) => void attempts.push(job.attempt) });
      await started;
      await until(async () => (await q.counts()).completed === 1);
      expect(attempts).toEqual([1]);
    });

    test('runs a job again once the lease of a vanished worker expires', async ({ store, queue, worker }) => {
      const q = queue();
      const id = await q.add('orphan');
      // A worker that leases the job and dies: nobody settles or renews it.
      const crashed = await store.take({
        queue: q.name,
        partition: 0,
        settle: [],
        max: 1,
        now: Date.now(),
        leaseMs: 1_000,
        sweepLimit: 100,
        keepCompleted: 1_000,
        keepCompletedMs: 86_400_000,
      });
      expect(crashed.jobs.map((job) => job.id)).toEqual([id]);
      const stalled = once(q, 'job:stalled');
      const done = once(q, 'job:completed');
      const runs: Job<unknown>[] = [];
      worker({ queue: q, pollIntervalMs: 50, handler: async (job) => void runs.push(job) });
      expect((await stalled).id).toBe(id);
      await done;
      expect(runs.map((job) => [job.attempt, job.interruptions])).toEqual([[1, 1]]);
      // The vanished worker's late settlement is refused: the job completed once.
      const late = await store.take({
        ...{ queue: q.name, partition: 0, max: 0, now: Date.now(), leaseMs: 1_000, sweepLimit: 100 },
        ...{ keepCompleted: 1_000, keepCompletedMs: 86_400_000 },
        settle: [{ kind: 'complete', id, token: crashed.jobs[0]?.token as string, result: undefined }],
      });
      expect(late.lost).toEqual([id]);
    });

    test('fails an attempt that runs past timeoutMs, with a readable reason', async ({ queue, worker }) => {
      const q = queue({ attempts: 1 });
      const id = await q.add('hang');
      let reason: unknown;
      const dead = once(q, 'job:dead');
      worker({
        queue: q,
        timeoutMs: 30,
        handler: (_job, signal) =>
          new Promise(() => {
            signal.addEventListener('abort', () => {
              reason = signal.reason;
            });
          }),
      });
      expect((await dead).reason).toBe('timed out after 30 ms');
      expect(isLoadstoneError(reason, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
      expect((await q.getJob(id))?.state).toBe('dead');
    });

    test('spreads jobs over partitions and runs every one', async ({ queue, worker }) => {
      const q = queue({ partitions: 4 });
      const ids = await q.addBulk(
        Array.from({ length: 200 }, (_, i) => ({ data: i, key: i % 2 ? `k${i % 10}` : undefined })),
      );
      expect(new Set(ids).size).toBe(200);
      expect((await q.counts()).waiting).toBe(200);
      const all = count(q, 'job:completed', 200);
      worker({ queue: q, concurrency: 8, handler: async () => undefined });
      await all;
      expect(await q.counts()).toEqual({
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 200,
        failed: 0,
        dead: 0,
      });
    });

    test('treats ids and keys that look like syntax as plain data', async ({ queue, worker }) => {
      const q = queue({ partitions: 2 });
      const odd = ['__proto__', '*', '{', '}{', 'a:b', 'constructor', '%s', 'ключ'];
      for (const id of odd) await q.add(id, { id, key: `{${id}}` });
      const seen: unknown[] = [];
      const all = count(q, 'job:completed', odd.length);
      worker({ queue: q, concurrency: 2, handler: async (job) => void seen.push(job.id) });
      await all;
      expect([...seen].sort()).toEqual([...odd].sort());
      for (const id of odd) expect((await q.getJob(id, { key: `{${id}}` }))?.state).toBe('completed');
    });
  });
}

type Events = {
  'job:completed': { id: string };
  'job:dead': { reason: string };
  'job:stalled': { id: string };
};

/** The next event of `name` (no timeout: the runner's ends a test that waits forever). */
function once<E extends keyof Events>(queue: JobQueue<unknown>, name: E): Promise<Events[E]> {
  return new Promise((resolve) =>
    (queue.once as (event: E, listener: (e: Events[E]) => void) => unknown)(name, resolve),
  );
}

/** Resolves after `n` events of `name`. */
function count(queue: JobQueue<unknown>, name: keyof Events, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    queue.on(name, () => {
      if (++seen === n) resolve();
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(5);
}
