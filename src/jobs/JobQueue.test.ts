import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { JobQueue } from './JobQueue.js';
import type { JobQueueOptions } from './JobQueueOptions.js';
import type { JobStore } from './JobStore.js';
import { JobWorker } from './JobWorker.js';
import { MemoryJobStore } from './MemoryJobStore.js';

const completions = (queue: JobQueue<never>, n: number) =>
  new Promise<void>((resolve) => {
    let seen = 0;
    queue.on('job:completed', () => ++seen === n && resolve());
  });

describe('JobQueue', () => {
  it('adds jobs a worker runs, and reports them', async () => {
    const sendEmail = async (to: string) => `sent to ${to}`;
    // #region jobQueue
    const queue = new JobQueue<{ to: string }>({ name: 'emails' }); // MemoryJobStore: one process, not durable
    const id = await queue.add({ to: 'ada@example.com' }, { priority: 'high', attempts: 5 });
    await queue.add({ to: 'bob@example.com' }, { key: 'bob', delayMs: 1_000 }); // one at a time per key
    await queue.counts(); // { waiting: 1, delayed: 1, active: 0, completed: 0, failed: 0, dead: 0 }
    // #endregion jobQueue
    expect(await queue.counts()).toEqual({
      waiting: 1,
      delayed: 1,
      active: 0,
      completed: 0,
      failed: 0,
      dead: 0,
    });
    const done = completions(queue as JobQueue<never>, 1);
    // #region jobWorker
    const worker = new JobWorker({
      queue,
      concurrency: 10,
      handler: async (job, signal) => {
        signal.throwIfAborted(); // aborts on timeout, lost lease, or hand-back at close
        return sendEmail(job.data.to); // the result is kept with the completion record
      },
    });
    // …on SIGTERM: finish what runs within 10 s, hand the rest back to the queue
    process.once('SIGTERM', () => void worker.close({ timeoutMs: 10_000 }));
    // #endregion jobWorker
    await done;
    await worker.close();
    expect((await queue.getJob(id))?.result).toBe('sent to ada@example.com');
    expect(queue.stats()).toMatchObject({ name: 'emails', completed: 1, failed: 0, dead: 0, stalled: 0 });
    expect(queue.stats().runMs.count).toBe(1);
    expect(queue.stats().waitMs.count).toBe(1);
  });

  it('shares one memory store between the queues of one process', async () => {
    // #region memoryStore
    const store = new MemoryJobStore(); // tests and single-process use; RedisJobStore to survive a crash
    const producer = new JobQueue({ name: 'thumbnails', store });
    const consumer = new JobQueue({ name: 'thumbnails', store });
    await producer.add({ image: 'cat.png' });
    // #endregion memoryStore
    expect((await consumer.counts()).waiting).toBe(1);
    expect((await new JobQueue({ name: 'other', store }).counts()).waiting).toBe(0);
  });

  it('refuses data JSON cannot carry, naming where, and queues nothing', async () => {
    const queue = new JobQueue({ name: 'q' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const [data, where] of [
      [{ amount: 10n }, 'data.amount'],
      [cycle, 'data.self'],
      [{ callback: () => 1 }, 'data.callback'],
      [{ at: new Date(0) }, 'data.at'],
      [Number.NaN, 'data'],
      [undefined, 'data'],
    ] as const) {
      await expect(queue.add(data as never)).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: where,
      });
    }
    await expect(queue.addBulk([{ data: 1 }, { data: { n: 2n } as never }])).rejects.toMatchObject({
      option: 'jobs[1].data.n',
    });
    expect((await queue.counts()).waiting).toBe(0);
  });

  it('refuses bad job options at add, naming them', async () => {
    const queue = new JobQueue({ name: 'q' });
    const cases: [object, string][] = [
      [{ priority: 'urgent' }, 'options.priority'],
      [{ delayMs: -1 }, 'options.delayMs'],
      [{ attempts: 0 }, 'options.attempts'],
      [{ id: '' }, 'options.id'],
      [{ key: 7 }, 'options.key'],
      [{ backoff: { baseDelayMs: 10, maxDelayMs: 5 } }, 'options.backoff.maxDelayMs'],
      [{ backoff: { jitter: 'some' } }, 'options.backoff.jitter'],
      [{ retries: 3 }, 'options.retries'],
      [{ data: 3 }, 'options.data'],
      [{ backoff: { factor: 2 } }, 'options.backoff.factor'],
    ];
    for (const [options, option] of cases) {
      await expect(queue.add(1, options as never)).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option,
      });
    }
    await expect(queue.addBulk({} as never)).rejects.toMatchObject({ option: 'jobs' });
    await expect(queue.addBulk([{ data: 1, delayMs: 1.5 }])).rejects.toMatchObject({
      option: 'jobs[0].delayMs',
    });
    await expect(queue.addBulk([{ data: 1, lifo: true } as never])).rejects.toMatchObject({
      option: 'jobs[0].lifo',
    });
  });

  it.each<[string, Partial<JobQueueOptions>, string, string]>([
    ['no name', { name: '' }, 'options.name', 'a string of 1 to 256'],
    ['a store without take', { store: { add() {} } as never }, 'options.store', 'a JobStore'],
    ['0 partitions', { partitions: 0 }, 'options.partitions', 'an integer from 1 to 1024'],
    ['an empty level list', { priorities: [] }, 'options.priorities', 'a non-empty array'],
    ['a repeated level', { priorities: ['a', 'a'] }, 'options.priorities', 'distinct'],
    ['an unknown default level', { defaultPriority: 'urgent' }, 'options.defaultPriority', 'one of'],
    ['aging of 0', { agingIntervalMs: 0 }, 'options.agingIntervalMs', 'an integer from 1'],
    ['attempts above 1,000', { attempts: 1_001 }, 'options.attempts', 'an integer from 1 to 1000'],
    [
      'a negative kept count',
      { keepCompleted: { count: -1 } },
      'options.keepCompleted.count',
      'an integer >= 0',
    ],
    ['an unknown option', { lifo: true } as never, 'options.lifo', 'absent'],
    [
      'an unknown keepCompleted option',
      { keepCompleted: { max: 1 } } as never,
      'options.keepCompleted.max',
      'absent',
    ],
  ])('refuses %s', (_name, options, option, expected) =>
    expectInvalidOption(() => new JobQueue({ name: 'q', ...options }), option, expected),
  );

  it('defaults to medium, or the lowest level when there is no medium', async () => {
    const store = new MemoryJobStore();
    const queue = new JobQueue({ name: 'levels', store, priorities: ['now', 'soon', 'whenever'] });
    const id = await queue.add('x');
    expect((await queue.getJob(id))?.priority).toBe('whenever');
    const standard = new JobQueue({ name: 'standard', store });
    expect((await standard.getJob(await standard.add('y')))?.priority).toBe('medium');
  });

  it('rejects a failing store with JobStoreError, keeping the cause', async () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const store = new MemoryJobStore();
    store.add = async () => {
      throw cause;
    };
    const queue = new JobQueue({ name: 'q', store: store as JobStore });
    await expect(queue.add(1)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_JOB_STORE',
      store: 'memory',
      operation: 'add',
      cause,
    });
  });

  it('keeps at most keepCompleted records, so their ids can be added again', async () => {
    const queue = new JobQueue<number>({ name: 'kept', keepCompleted: { count: 2 } });
    const done = completions(queue as JobQueue<never>, 4);
    for (let i = 0; i < 4; i++) await queue.add(i, { id: `job-${i}` });
    const worker = new JobWorker({ queue, handler: async () => undefined });
    await done;
    await worker.close(); // its last settlement trims
    expect((await queue.counts()).completed).toBe(2);
    expect(await queue.getJob('job-0')).toBeUndefined();
    expect((await queue.getJob('job-3'))?.state).toBe('completed');
    await queue.add(0, { id: 'job-0' });
    expect((await queue.counts()).waiting).toBe(1);
  });

  it('refuses adds once closed', async () => {
    const queue = new JobQueue({ name: 'q' });
    await queue.close();
    await queue.close();
    expect(queue.closed).toBe(true);
    await expect(queue.add(1)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
  });
});
