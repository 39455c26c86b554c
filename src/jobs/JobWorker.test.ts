import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { isLoadstoneError } from '../core/errors/index.js';
import { ManualLoadSignal } from '../core/ManualLoadSignal.js';
import { RateLimiter } from '../resilience/index.js';
import type { JobQueueEvents, StoreFailedEvent } from './events.js';
import { JobQueue } from './JobQueue.js';
import type { JobStore } from './JobStore.js';
import { JobWorker } from './JobWorker.js';
import type { JobWorkerOptions } from './JobWorkerOptions.js';
import { MemoryJobStore } from './MemoryJobStore.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const next = <E extends keyof JobQueueEvents>(queue: JobQueue<unknown>, event: E) =>
  new Promise<JobQueueEvents[E][0]>((resolve) =>
    (queue.once as (e: E, listener: (payload: JobQueueEvents[E][0]) => void) => unknown)(event, resolve),
  );
const until = async (condition: () => boolean | Promise<boolean>) => {
  while (!(await condition())) await sleep(2);
};

describe('JobWorker', () => {
  it('never runs more than concurrency jobs at once', async () => {
    const queue = new JobQueue({ name: 'c' });
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ data: i })));
    let running = 0;
    let most = 0;
    const worker = new JobWorker({
      queue,
      concurrency: 4,
      handler: async () => {
        most = Math.max(most, ++running);
        await sleep(1);
        running--;
      },
    });
    await until(async () => (await queue.counts()).completed === 30);
    await worker.close();
    expect(most).toBe(4);
  });

  it('takes no new job while the load signal is critical', async () => {
    const load = new ManualLoadSignal({ initialStatus: 'critical' });
    const queue = new JobQueue({ name: 'load' });
    await queue.add('x');
    const runs: unknown[] = [];
    const worker = new JobWorker({
      queue,
      loadSignal: load,
      pollIntervalMs: 5,
      handler: async (job) => void runs.push(job.data),
    });
    await sleep(30);
    expect(runs).toEqual([]);
    expect((await queue.counts()).waiting).toBe(1);
    const done = next(queue, 'job:completed');
    load.set('degraded');
    await done;
    expect(runs).toEqual(['x']);
    await worker.close();
  });

  it('starts a job only when the rate limiter allows it', async () => {
    const queue = new JobQueue({ name: 'rated' });
    await queue.addBulk([{ data: 1 }, { data: 2 }, { data: 3 }]);
    const asked: string[] = [];
    let allowance = 1;
    const limiter = {
      limit: async (key: string) => {
        asked.push(key);
        return allowance-- > 0 ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: 5 };
      },
    };
    const runs: unknown[] = [];
    const worker = new JobWorker({
      queue,
      concurrency: 3,
      rate: { limiter: limiter as never },
      handler: async (job) => void runs.push(job.data),
    });
    await until(() => runs.length === 1);
    await sleep(30);
    expect(runs).toHaveLength(1);
    expect(asked.every((key) => key === 'jobs:rated')).toBe(true);
    allowance = 10;
    await until(() => runs.length === 3);
    await worker.close();
  });

  it('shares one RateLimiter between workers: starts across both stay within the limit', async () => {
    const queue = new JobQueue({ name: 'rated-real' });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ data: i })));
    // 3 per 10 s: three start at once, the fourth not before about 3.3 s.
    const limiter = new RateLimiter({ limit: 3, periodMs: 10_000 });
    const started: unknown[] = [];
    const options = {
      queue,
      concurrency: 5,
      rate: { limiter },
      handler: async (job: { data: unknown }) => void started.push(job.data),
    };
    const workers = [new JobWorker(options), new JobWorker(options)];
    await until(() => started.length === 3);
    await sleep(300);
    expect(started).toHaveLength(3);
    await Promise.all(workers.map((worker) => worker.close({ timeoutMs: 0 })));
    expect((await queue.counts()).completed).toBe(3);
    expect((await queue.counts()).waiting).toBe(7); // the held-back jobs were handed back unrun
  });

  it('keeps working through store failures, settling each job once', async () => {
    const store = new MemoryJobStore();
    const take = store.take.bind(store);
    let failures = 3;
    store.take = async (request) => {
      if (failures-- > 0) throw new Error('ECONNRESET');
      return take(request);
    };
    const queue = new JobQueue({ name: 'flaky', store: store as JobStore });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ data: i })));
    const events: StoreFailedEvent[] = [];
    queue.on('store:failed', (event) => events.push(event));
    const runs: unknown[] = [];
    const worker = new JobWorker({
      queue,
      concurrency: 3,
      pollIntervalMs: 20,
      handler: async (job) => void runs.push(job.data),
    });
    await until(async () => (await queue.counts()).completed === 10);
    await worker.close();
    expect(events.map((event) => event.operation)).toEqual(['take', 'take', 'take']);
    expect(events.map((event) => event.retryInMs)).toEqual([20, 20, 20]); // 50 ms, doubling, capped by pollIntervalMs
    expect([...runs].sort()).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('retries a settlement whose call failed, and the store applies it once', async () => {
    const store = new MemoryJobStore();
    const take = store.take.bind(store);
    let failNextSettle = true;
    store.take = async (request) => {
      if (request.settle.length > 0 && failNextSettle) {
        failNextSettle = false;
        await take(request); // applied, but the answer is lost on the way back
        throw new Error('socket closed');
      }
      return take(request);
    };
    const queue = new JobQueue({ name: 'lost-reply', store: store as JobStore });
    const id = await queue.add('x');
    let completed = 0;
    queue.on('job:completed', () => completed++);
    const worker = new JobWorker({ queue, pollIntervalMs: 5, handler: async () => 'ok' });
    await until(async () => (await queue.getJob(id))?.state === 'completed');
    await sleep(20);
    await worker.close();
    // The retried settlement finds its lease ended by itself: accepted once, one event.
    expect(completed).toBe(1);
    expect((await queue.counts()).completed).toBe(1);
  });

  it('aborts a job whose lease was lost and reports nothing for it', async () => {
    const store = new MemoryJobStore();
    store.extend = async (_queue, _partition, leases) => leases.map((lease) => lease.id);
    const queue = new JobQueue({ name: 'lost', store: store as JobStore });
    await queue.add('x');
    let reason: unknown;
    const events: string[] = [];
    for (const event of ['job:completed', 'job:failed', 'job:dead'] as const)
      queue.on(event, () => events.push(event));
    const worker = new JobWorker({
      queue,
      visibilityTimeoutMs: 1_000,
      handler: (_job, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve(undefined);
          }),
        ),
    });
    await until(() => reason !== undefined);
    expect(isLoadstoneError(reason, 'ERR_LOADSTONE_LEASE_LOST')).toBe(true);
    expect(worker.running).toBe(0);
    await worker.close();
    expect(events).toEqual([]);
  });

  it('close with a signal hands the jobs back and rejects with its reason', async () => {
    const queue = new JobQueue({ name: 'sig' });
    const id = await queue.add('x');
    const worker = new JobWorker({ queue, handler: () => new Promise(() => undefined) });
    await until(() => worker.running === 1);
    const controller = new AbortController();
    const closing = worker.close({ signal: controller.signal });
    expect(worker.close()).toBe(closing);
    controller.abort(new Error('deadline'));
    await expect(closing).rejects.toThrow('deadline');
    expect(worker.closed).toBe(true);
    expect((await queue.getJob(id))?.state).toBe('waiting');
  });

  it('destroy hands every running job back at once', async () => {
    const queue = new JobQueue({ name: 'destroy' });
    await queue.addBulk([{ data: 1 }, { data: 2 }]);
    let aborted = 0;
    const worker = new JobWorker({
      queue,
      concurrency: 2,
      handler: (_job, signal) => new Promise(() => signal.addEventListener('abort', () => aborted++)),
    });
    await until(() => worker.running === 2);
    await worker.destroy(new Error('shutdown'));
    expect(aborted).toBe(2);
    expect(await queue.counts()).toMatchObject({ waiting: 2, active: 0 });
  });

  it('fails an attempt whose result JSON cannot carry', async () => {
    const queue = new JobQueue({ name: 'result', attempts: 1 });
    await queue.add('x');
    const dead = next(queue, 'job:dead');
    const worker = new JobWorker({ queue, handler: async () => ({ big: 1n }) });
    expect((await dead).reason).toBe("the handler's result is not JSON-serialisable (type)");
    await worker.close();
  });

  it('reports a throwing listener as a warning and goes on', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const queue = new JobQueue({ name: 'listener' });
      await queue.addBulk([{ data: 1 }, { data: 2 }]);
      queue.on('job:completed', () => {
        throw new Error('listener bug');
      });
      const worker = new JobWorker({ queue, handler: async () => undefined });
      await until(async () => (await queue.counts()).completed === 2);
      await worker.close();
      expect(warn).toHaveBeenCalledWith(
        "A JobQueue 'job:completed' listener threw: Error: listener bug",
        expect.objectContaining({ code: 'LOADSTONE_WARN_JOBS_LISTENER_THREW' }),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it.each<[string, Partial<JobWorkerOptions<unknown, unknown>>, string, string]>([
    ['a queue that is not a JobQueue', { queue: {} as never }, 'options.queue', 'a JobQueue'],
    ['no handler', { handler: undefined as never }, 'options.handler', 'a function'],
    ['concurrency 0', { concurrency: 0 }, 'options.concurrency', 'an integer from 1'],
    [
      'a visibility timeout under 1 s',
      { visibilityTimeoutMs: 999 },
      'options.visibilityTimeoutMs',
      'an integer from 1000',
    ],
    ['a timeout of 0', { timeoutMs: 0 }, 'options.timeoutMs', 'an integer from 1'],
    ['a load signal without subscribe', { loadSignal: {} as never }, 'options.loadSignal', 'a LoadSignal'],
    ['a rate without a limiter', { rate: {} as never }, 'options.rate.limiter', 'a RateLimiter'],
    [
      'BullMQ’s lockDuration',
      { lockDuration: 30_000 } as never,
      'options.lockDuration',
      'absent: use `options.visibilityTimeoutMs`',
    ],
  ])('refuses %s', (_name, options, option, expected) => {
    const queue = new JobQueue({ name: 'q' });
    expectInvalidOption(
      () => new JobWorker({ queue, handler: async () => undefined, ...options }),
      option,
      expected,
    );
  });

  it('refuses a bad close timeout', async () => {
    const worker = new JobWorker({ queue: new JobQueue({ name: 'q' }), handler: async () => undefined });
    await expect(worker.close({ timeoutMs: -1 })).rejects.toMatchObject({ option: 'options.timeoutMs' });
    await worker.close();
  });
});
