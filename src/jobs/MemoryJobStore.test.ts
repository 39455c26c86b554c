import { describe, expect, it } from 'vitest';
import { describeJobStoreContract } from '../testing/index.js';
import { MemoryJobStore } from './MemoryJobStore.js';

// #region jobStoreContract
describeJobStoreContract('MemoryJobStore', () => new MemoryJobStore(), { describe, it, expect });
// #endregion jobStoreContract

describe('MemoryJobStore', () => {
  const job = (id: string, key?: string) => ({
    id,
    data: '0',
    key,
    score: 0,
    priority: 'medium',
    dueAt: 0,
    addedAt: 0,
    attempts: 1,
    backoff: { jitter: 'none' as const, baseDelayMs: 1, maxDelayMs: 1 },
  });
  const request = {
    queue: 'q',
    partition: 0,
    leaseMs: 100,
    sweepLimit: 10,
    keepCompleted: 10,
    keepCompletedMs: 1e9,
  };

  it('puts a dead job back at the end of its key’s line', async () => {
    const store = new MemoryJobStore();
    await store.add('q', 0, [job('first', 'k'), job('second', 'k')], 0);
    const [first] = (await store.take({ ...request, settle: [], max: 5, now: 1 })).jobs;
    expect(first?.id).toBe('first');
    const next = await store.take({
      ...request,
      settle: [{ kind: 'dead', id: 'first', token: first?.token as string, error: 'poison' }],
      max: 5,
      now: 2,
    });
    expect(next.jobs.map((j) => j.id)).toEqual(['second']); // the poison job unblocked its key
    expect(await store.retryDead('q', 0, 10, 3)).toBe(1);
    expect((await store.take({ ...request, settle: [], max: 5, now: 4 })).jobs).toEqual([]);
    const second = next.jobs[0];
    const after = await store.take({
      ...request,
      settle: [{ kind: 'complete', id: 'second', token: second?.token as string, result: undefined }],
      max: 5,
      now: 5,
    });
    expect(after.jobs.map((j) => [j.id, j.failures])).toEqual([['first', 0]]);
  });

  it('reports the next due job or lease end, so an idle worker sleeps until then', async () => {
    const store = new MemoryJobStore();
    await store.add('q', 0, [{ ...job('later'), dueAt: 500 }], 0);
    expect((await store.take({ ...request, settle: [], max: 1, now: 10 })).nextAt).toBe(500);
    await store.add('q', 0, [job('now')], 10);
    expect((await store.take({ ...request, settle: [], max: 1, now: 20 })).nextAt).toBe(120); // its lease
  });

  it('wakes a waiting worker on add, and on abort or timeout without one', async () => {
    const store = new MemoryJobStore();
    const woken = store.waitForWork('q', 60_000, new AbortController().signal);
    await store.add('q', 0, [job('x')], 0);
    await woken;
    const controller = new AbortController();
    const aborted = store.waitForWork('q', 60_000, controller.signal);
    controller.abort();
    await aborted;
    await store.waitForWork('q', 1, new AbortController().signal);
  });
});
