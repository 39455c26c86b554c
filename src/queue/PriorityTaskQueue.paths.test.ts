// The ways a PriorityTaskQueue runs a task (a time limit, retries or an id given per task or per
// queue), destroy() with work in flight, tasks that add tasks, mass cancellation, cancelling a
// task held back by load shedding, and the waits at their boundaries.
import { describe, expect, it } from 'vitest';
import { gate } from '../../test/helpers/gate.js';
import { ClosedError, RetriesExhaustedError, TimeoutError } from '../core/errors/index.js';
import { ManualLoadSignal } from '../core/ManualLoadSignal.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import type { PriorityTaskQueueOptions } from './PriorityTaskQueueOptions.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const forever = () => new Promise<never>(() => {});

/** A task that fails `failures` times, then returns 'ok'; counts its calls. */
function flaky(failures: number) {
  const calls = { count: 0 };
  const fn = async () => {
    calls.count++;
    if (calls.count <= failures) throw new Error(`attempt ${calls.count}`);
    return 'ok';
  };
  return { fn, calls };
}

describe('PriorityTaskQueue task paths', () => {
  it('applies a time limit given to one task, naming the task by its id', async () => {
    const queue = new PriorityTaskQueue();
    await expect(queue.add(forever, { timeoutMs: 5 })).rejects.toMatchObject({
      message: 'task timed out after 5 ms',
    });
    const named = queue.add(forever, { timeoutMs: 5, id: 'report' });
    await expect(named).rejects.toBeInstanceOf(TimeoutError);
    await expect(named).rejects.toMatchObject({
      message: 'task "report" timed out after 5 ms',
      timeoutMs: 5,
    });
    expect(queue.stats()).toMatchObject({ timedOut: 2, failed: 2 });
  });

  it("applies the queue's time limit to tasks given no options", async () => {
    const queue = new PriorityTaskQueue({ timeoutMs: 5 });
    await expect(queue.add(forever)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('retries a task given retry options when the queue has none', async () => {
    const queue = new PriorityTaskQueue();
    const twice = flaky(1);
    await expect(queue.add(twice.fn, { retry: { attempts: 2, baseDelayMs: 0 } })).resolves.toBe('ok');
    expect(twice.calls.count).toBe(2);
    // Retry options without `attempts` mean three attempts.
    const thrice = flaky(2);
    await expect(queue.add(thrice.fn, { retry: { baseDelayMs: 0 } })).resolves.toBe('ok');
    expect(thrice.calls.count).toBe(3);
    expect(queue.stats().retries).toBe(3);
  });

  it('names the task whose retries ran out by its id', async () => {
    const queue = new PriorityTaskQueue({ retry: { attempts: 2, baseDelayMs: 0 } });
    const anonymous = queue.add(flaky(5).fn);
    await expect(anonymous).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(anonymous).rejects.toMatchObject({ message: 'task failed after 2 attempts', attempts: 2 });
    await expect(queue.add(flaky(5).fn, { id: 'mail' })).rejects.toMatchObject({
      message: 'task "mail" failed after 2 attempts',
    });
  });

  it('gives a task its id in its context', async () => {
    const queue = new PriorityTaskQueue();
    await expect(queue.add(async ({ id, attempt }) => [id, attempt], { id: 'job-1' })).resolves.toEqual([
      'job-1',
      1,
    ]);
    await expect(queue.add(async ({ id }) => id)).resolves.toBeUndefined();
  });

  it.each<[string, PriorityTaskQueueOptions]>([
    ['plain', {}],
    ['guarded', { timeoutMs: 60_000 }],
  ])('destroy aborts a running %s task, and its late outcome changes nothing', async (_name, options) => {
    const queue = new PriorityTaskQueue(options);
    const late = gate<string>();
    let signal: AbortSignal | undefined;
    const task = queue.add((context) => {
      signal = context.signal;
      return late.promise;
    });
    await flush();
    const reason = new Error('shutdown');
    await queue.destroy(reason);
    await expect(task).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
    expect(signal?.aborted).toBe(true);
    late.open('finished anyway');
    await flush();
    expect(queue.stats()).toMatchObject({ running: 0, completed: 0, failed: 0, started: 1 });
  });

  it('destroy without a reason rejects with a ClosedError that has no cause', async () => {
    const queue = new PriorityTaskQueue({ paused: true });
    const task = queue.add(async () => 1);
    await queue.destroy();
    const error = await task.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect(error).toMatchObject({ message: 'PriorityTaskQueue is closed' });
    expect(Object.hasOwn(error as object, 'cause')).toBe(false);
  });

  it('runs a long chain of tasks that each add the next synchronously', async () => {
    // Each add starts its task at once, inside the previous task's start: the dispatch loop must
    // not recurse once per link.
    const queue = new PriorityTaskQueue({ concurrency: Number.POSITIVE_INFINITY });
    const links = 20_000;
    const done: Promise<number>[] = [];
    const link = (i: number) => (): number => {
      if (i < links) done.push(queue.add(link(i + 1)));
      return i;
    };
    done.push(queue.add(link(1)));
    const results = (await Promise.all(done)).sort((a, b) => a - b);
    expect(results).toEqual(Array.from({ length: links }, (_, i) => i + 1));
  });

  it.each<[string, PriorityTaskQueueOptions]>([
    ['buckets', {}],
    ['heap (aging on)', { aging: { intervalMs: 60_000 }, clock: { now: () => 0 } }],
  ])(
    'keeps the live tasks, in order, when thousands of queued ones are cancelled (%s)',
    async (_name, extra) => {
      const queue = new PriorityTaskQueue({ paused: true, ...extra });
      const order: string[] = [];
      const live = (name: string, priority: string) =>
        queue.add(async () => void order.push(name), { priority });
      const controller = new AbortController();
      const tasks: Promise<unknown>[] = [live('low 1', 'low')];
      const cancelled: Promise<unknown>[] = [];
      for (let i = 0; i < 1_500; i++) {
        const priority = ['critical', 'high', 'medium', 'low'][i % 4] as string;
        cancelled.push(
          queue.add(async () => void order.push('cancelled'), { priority, signal: controller.signal }),
        );
        if (i === 700) tasks.push(live('high 1', 'high'), live('medium 1', 'medium'));
      }
      tasks.push(live('high 2', 'high'), live('low 2', 'low'));
      controller.abort(new Error('cancelled'));
      await Promise.allSettled(cancelled);
      expect(queue.size).toBe(5);
      queue.resume();
      await Promise.all(tasks);
      expect(order).toEqual(['high 1', 'high 2', 'medium 1', 'low 1', 'low 2']);
      expect(queue.stats()).toMatchObject({ aborted: 1_500, completed: 5, queued: 0 });
    },
  );

  it('forgets a deferred task whose signal aborts while the load is critical', async () => {
    const load = new ManualLoadSignal({ initialStatus: 'critical' });
    const queue = new PriorityTaskQueue({ loadSignal: load, shed: { action: 'defer' } });
    const order: string[] = [];
    const first = new AbortController();
    const third = new AbortController();
    const tasks = [
      queue.add(async () => void order.push('first'), { signal: first.signal }),
      queue.add(async () => void order.push('second')),
      queue.add(async () => void order.push('third'), { signal: third.signal }),
    ];
    await flush();
    expect(queue.stats()).toMatchObject({ deferred: 3, queued: 3 });
    first.abort(new Error('first cancelled'));
    expect(queue.stats()).toMatchObject({ deferred: 2, queued: 2 });
    third.abort(new Error('third cancelled'));
    expect(queue.stats()).toMatchObject({ deferred: 1, queued: 1 });
    load.set('healthy');
    const outcomes = await Promise.allSettled(tasks);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect(order).toEqual(['second']);
  });

  it('keeps every deferred task when a task still in the store is cancelled', async () => {
    const load = new ManualLoadSignal({ initialStatus: 'critical' });
    const queue = new PriorityTaskQueue({ concurrency: 2, loadSignal: load, shed: { action: 'defer' } });
    const order: string[] = [];
    const blockers = [gate(), gate()];
    const tasks = [
      queue.add(() => (blockers[0] as ReturnType<typeof gate>).promise, { priority: 'critical' }),
    ];
    tasks.push(queue.add(async () => void order.push('low 1'), { priority: 'low' }));
    tasks.push(queue.add(async () => void order.push('low 2'), { priority: 'low' }));
    tasks.push(queue.add(() => (blockers[1] as ReturnType<typeof gate>).promise, { priority: 'critical' }));
    const controller = new AbortController();
    const inStore = queue.add(async () => void order.push('cancelled'), { signal: controller.signal });
    expect(queue.stats()).toMatchObject({ deferred: 2, queued: 3, running: 2 });
    controller.abort(new Error('cancelled'));
    await expect(inStore).rejects.toThrow('cancelled');
    expect(queue.stats()).toMatchObject({ deferred: 2, queued: 2 });
    load.set('healthy');
    for (const b of blockers) b.open();
    await Promise.all(tasks);
    expect(order).toEqual(['low 1', 'low 2']);
  });

  it('counts a free slot as free only while nothing waits for it', async () => {
    // The rate cap keeps a task waiting with slots free: the bound on waiting tasks applies.
    const queue = new PriorityTaskQueue({
      concurrency: 4,
      maxQueued: 1,
      rate: { limit: 1, intervalMs: 60_000 },
    });
    await queue.add(async () => 1);
    const waiting = queue.add(async () => 2);
    waiting.catch(() => {});
    await expect(queue.add(async () => 3)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
    await queue.destroy();
  });

  it('resolves both of two close calls once the running task ends', async () => {
    const queue = new PriorityTaskQueue();
    const running = gate();
    const task = queue.add(() => running.promise);
    const first = queue.close();
    const second = queue.close();
    running.open();
    await task;
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });
});

describe('PriorityTaskQueue waits at their boundaries', () => {
  it('onEmpty resolves at once when tasks run but none waits', async () => {
    const queue = new PriorityTaskQueue();
    const running = gate();
    const task = queue.add(() => running.promise);
    let empty = false;
    await queue.onEmpty().then(() => {
      empty = true;
    });
    expect([empty, queue.pending]).toEqual([true, 1]);
    running.open();
    await task;
  });

  it("onEmpty and queue:emptied follow the last waiting task's abort", async () => {
    const queue = new PriorityTaskQueue();
    const running = gate();
    const task = queue.add(() => running.promise);
    const controller = new AbortController();
    const waiting = queue.add(async () => 2, { signal: controller.signal });
    const events: string[] = [];
    queue.on('queue:emptied', () => events.push('emptied'));
    let empty = false;
    const wait = queue.onEmpty().then(() => {
      empty = true;
    });
    await flush();
    expect([empty, events]).toEqual([false, []]);
    controller.abort(new Error('not needed'));
    await expect(waiting).rejects.toThrow('not needed');
    await wait;
    expect([empty, events, queue.pending]).toEqual([true, ['emptied'], 1]);
    running.open();
    await task;
  });

  it('onIdle waits for queued tasks that cannot start yet (paused)', async () => {
    const queue = new PriorityTaskQueue({ paused: true });
    const task = queue.add(async () => 1);
    let idle = false;
    const wait = queue.onIdle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    queue.resume();
    await task;
    await wait;
  });

  it('close waits for a task the rate cap holds back', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 2, rate: { limit: 1, intervalMs: 50 } });
    const ran: number[] = [];
    const tasks = [1, 2].map((n) => queue.add(async () => void ran.push(n)));
    await tasks[0]; // the second waits for the next window, with nothing running
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await flush();
    expect([closed, ran]).toEqual([false, [1]]);
    await closing;
    expect(ran).toEqual([1, 2]);
    await Promise.all(tasks);
  });

  it('onSizeLessThan resolves only once the backlog is below the limit, not at it', async () => {
    const queue = new PriorityTaskQueue();
    const gates = [gate(), gate(), gate(), gate()];
    const tasks = gates.map((g) => queue.add(() => g.promise));
    expect(queue.size).toBe(3);
    let below = false;
    const wait = queue.onSizeLessThan(2).then(() => {
      below = true;
    });
    gates[0]?.open();
    await flush();
    expect([queue.size, below]).toEqual([2, false]);
    gates[1]?.open();
    await wait;
    expect([queue.size, below]).toEqual([1, true]);
    for (const g of gates) g.open();
    await Promise.all(tasks);
  });
});
