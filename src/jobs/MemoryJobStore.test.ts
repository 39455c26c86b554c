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

  it('leases ready jobs lowest score first, and equal scores first in, first out', async () => {
    const store = new MemoryJobStore();
    const scored = (id: string, score: number) => ({ ...job(id), score });
    await store.add(
      'q',
      0,
      [scored('c1', 5), scored('a', 9), scored('c2', 5), scored('b', 1), scored('c3', 5)],
      0,
    );
    const taken = await store.take({ ...request, settle: [], max: 5, now: 1 });
    expect(taken.jobs.map((j) => j.id)).toEqual(['b', 'c1', 'c2', 'c3', 'a']);
  });

  it('promotes delayed jobs in due order, one sweep at a time, none before it is due', async () => {
    const store = new MemoryJobStore();
    const due = (id: string, dueAt: number) => ({ ...job(id), dueAt });
    await store.add('q', 0, [due('d300', 300), due('d100', 100), due('d200', 100), due('d250', 250)], 0);
    const at = async (now: number) =>
      (await store.take({ ...request, leaseMs: 10_000, sweepLimit: 1, settle: [], max: 5, now })).jobs.map(
        (j) => j.id,
      );
    expect(await at(99)).toEqual([]);
    expect(await at(150)).toEqual(['d100']); // d200 is due too, but the sweep moves one: it added later
    expect(await at(160)).toEqual(['d200']);
    expect(await at(260)).toEqual(['d250']);
    expect(await at(299)).toEqual([]);
    expect(await at(300)).toEqual(['d300']);
  });

  it('recovers expired leases in the order they expire, skipping renewed ones', async () => {
    const store = new MemoryJobStore();
    await store.add('q', 0, [job('long'), job('short'), job('renewed')], 0);
    const long = (await store.take({ ...request, leaseMs: 300, settle: [], max: 1, now: 0 })).jobs[0];
    const short = (await store.take({ ...request, leaseMs: 100, settle: [], max: 1, now: 0 })).jobs[0];
    const renewed = (await store.take({ ...request, leaseMs: 50, settle: [], max: 1, now: 0 })).jobs[0];
    expect([long?.id, short?.id, renewed?.id]).toEqual(['long', 'short', 'renewed']);
    expect(await store.extend('q', 0, [renewed as { id: string; token: string }], 40, 1_000)).toEqual([]);
    const sweep = async (now: number) =>
      (await store.take({ ...request, sweepLimit: 1, settle: [], max: 0, now })).stalled;
    expect(await sweep(99)).toEqual([]); // the renewed lease's first end (50) has passed: not stalled
    expect(await sweep(100)).toEqual(['short']);
    expect(await sweep(299)).toEqual([]);
    expect(await sweep(300)).toEqual(['long']);
    expect(await sweep(1_039)).toEqual([]);
    expect(await sweep(1_040)).toEqual(['renewed']);
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
