// What a PriorityTaskQueue leaves on the signals and timers it is given: no abort listener outlives
// the task or wait it was added for, and no timer outlives its task or the queue; and what an
// abort with a reason that is not an Error rejects with.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { gate } from '../../test/helpers/gate.js';
import { AbortedError } from '../core/errors/index.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import type { TaskContext } from './PriorityTaskQueueOptions.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('PriorityTaskQueue and the signals it is given', () => {
  it("removes its listener from a task's signal once the task starts, runs and ends", async () => {
    const queue = new PriorityTaskQueue();
    const blocker = gate();
    const first = queue.add(() => blocker.promise);
    const controller = new AbortController();
    const running = gate();
    const task = queue.add(() => running.promise, { signal: controller.signal });
    expect(listeners(controller.signal)).toBe(1); // queued: one listener
    blocker.open();
    await first;
    await flush();
    expect(queue.pending).toBe(1);
    expect(listeners(controller.signal)).toBe(1); // running: the queued one gave way
    running.open();
    await task;
    expect(listeners(controller.signal)).toBe(0);
  });

  it("removes its listener from a queued task's signal when that signal aborts", async () => {
    const queue = new PriorityTaskQueue({ paused: true });
    const controller = new AbortController();
    const task = queue.add(async () => 1, { signal: controller.signal });
    controller.abort(new Error('no longer needed'));
    await expect(task).rejects.toThrow('no longer needed');
    expect(listeners(controller.signal)).toBe(0);
  });

  it("removes its listener from a running task's signal when that signal aborts", async () => {
    const queue = new PriorityTaskQueue();
    const controller = new AbortController();
    const task = queue.add(() => new Promise(() => {}), { signal: controller.signal });
    await flush();
    controller.abort(new Error('stop'));
    await expect(task).rejects.toThrow('stop');
    expect(listeners(controller.signal)).toBe(0);
  });

  it('leaves no listener on the signal the queue hands to its tasks', async () => {
    // A plain task's context signal is the queue's own: guarded tasks must not pile listeners on it.
    const queue = new PriorityTaskQueue();
    let shared: AbortSignal | undefined;
    await queue.add(async ({ signal }) => {
      shared = signal;
    });
    for (let i = 0; i < 5; i++) await queue.add(async () => i, { timeoutMs: 1_000, id: `t${i}` });
    const caller = new AbortController();
    const failing = queue.add(
      async () => {
        throw new Error('no');
      },
      { signal: caller.signal },
    );
    await expect(failing).rejects.toThrow('no');
    expect(listeners(shared as AbortSignal)).toBe(0);
  });

  it('removes the listeners of waits once they resolve or abort', async () => {
    const queue = new PriorityTaskQueue();
    const running = gate();
    const task = queue.add(() => running.promise);
    queue.add(async () => 2);
    const signal = new AbortController().signal;
    const waits = [queue.onEmpty({ signal }), queue.onIdle({ signal }), queue.onSizeLessThan(1, { signal })];
    expect(listeners(signal)).toBe(3);
    running.open();
    await task;
    await Promise.all(waits);
    expect(listeners(signal)).toBe(0);

    const busy = gate();
    queue.add(() => busy.promise);
    const controller = new AbortController();
    const aborted = queue.onIdle({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(listeners(controller.signal)).toBe(0);
    busy.open();
  });

  it('clears a finished task’s timer, so its signal never aborts later', async () => {
    const queue = new PriorityTaskQueue({ timeoutMs: 30 });
    const before = timers();
    let seen: AbortSignal | undefined;
    await queue.add(async ({ signal }: TaskContext) => {
      seen = signal;
      return 1;
    });
    expect(timers()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen?.aborted).toBe(false);
  });

  it('clears the timer of a task that throws synchronously', async () => {
    const queue = new PriorityTaskQueue();
    const before = timers();
    const boom = new Error('sync');
    const task = queue.add(
      () => {
        throw boom;
      },
      { timeoutMs: 10_000 },
    );
    await expect(task).rejects.toBe(boom);
    expect(timers()).toBe(before);
    expect(queue.stats()).toMatchObject({ failed: 1, timedOut: 0 });
  });

  it('leaves no rate-cap timer behind once destroyed', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 5, rate: { limit: 1, intervalMs: 60_000 } });
    const before = timers();
    const tasks = Array.from({ length: 4 }, (_, i) => queue.add(async () => i));
    for (const t of tasks.slice(1)) t.catch(() => {});
    await tasks[0];
    expect(timers()).toBe(before + 1);
    queue.add(async () => 9).catch(() => {});
    expect(timers()).toBe(before + 1); // one timer for the next window, however many wait
    await queue.destroy();
    expect(timers()).toBe(before);
  });

  it.each([
    [
      'an already aborted signal',
      'task',
      (q: PriorityTaskQueue) => q.add(async () => 1, { signal: AbortSignal.abort('x') }),
    ],
    [
      'an abort while queued',
      'task',
      (q: PriorityTaskQueue) => {
        q.pause();
        const c = new AbortController();
        const p = q.add(async () => 1, { signal: c.signal });
        c.abort('x');
        return p;
      },
    ],
    [
      'an abort while running',
      'task',
      (q: PriorityTaskQueue) => {
        const c = new AbortController();
        const p = q.add(() => new Promise(() => {}), { signal: c.signal });
        setImmediate(() => c.abort('x'));
        return p;
      },
    ],
    [
      'a wait with an aborted signal',
      'wait',
      (q: PriorityTaskQueue) => q.onEmpty({ signal: AbortSignal.abort('x') }),
    ],
    [
      'a wait aborted later',
      'wait',
      (q: PriorityTaskQueue) => {
        q.add(() => new Promise(() => {}));
        const c = new AbortController();
        const p = q.onIdle({ signal: c.signal });
        c.abort('x');
        return p;
      },
    ],
    [
      'a close aborted later',
      'close of PriorityTaskQueue',
      (q: PriorityTaskQueue) => {
        q.add(() => new Promise(() => {})).catch(() => {});
        const c = new AbortController();
        const p = q.close({ signal: c.signal });
        c.abort('x');
        return p;
      },
    ],
  ])(
    'rejects %s whose reason is not an Error with an AbortedError carrying it',
    async (_name, operation, act) => {
      const error = await act(new PriorityTaskQueue()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AbortedError);
      expect(error).toMatchObject({ message: `${operation} was aborted`, cause: 'x' });
    },
  );

  it("aborts a running task's own signal with the same kind of error its promise rejects with", async () => {
    const queue = new PriorityTaskQueue();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const task = queue.add(
      ({ signal }) => {
        inner = signal;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    await flush();
    controller.abort('x');
    await expect(task).rejects.toMatchObject({ message: 'task was aborted', cause: 'x' });
    expect(inner?.reason).toMatchObject({ message: 'task was aborted', cause: 'x' });
  });
});
