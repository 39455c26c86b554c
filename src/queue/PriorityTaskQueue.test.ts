import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { gate } from '../../test/helpers/gate.js';
import {
  CapacityExceededError,
  ClosedError,
  isLoadstoneError,
  RetriesExhaustedError,
  ShedError,
  type TimeoutError,
} from '../core/errors/index.js';
import { ManualLoadSignal } from '../core/ManualLoadSignal.js';
import { FakeClock } from '../testing/FakeClock.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import type { PriorityTaskQueueOptions, TaskContext } from './PriorityTaskQueueOptions.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('PriorityTaskQueue', () => {
  it('runs the highest priority first, FIFO within one', async () => {
    // #region priorityTaskQueue
    const queue = new PriorityTaskQueue({ concurrency: 2, maxQueued: 1_000 });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      return name;
    };
    queue.pause(); // collect first, so priority decides the order
    const results = Promise.all([
      queue.add(job('report'), { priority: 'low' }),
      queue.add(job('checkout'), { priority: 'critical' }),
      queue.add(job('email'), { priority: 'medium' }),
      queue.add(job('search'), { priority: 'high' }),
      queue.add(job('thumbnail'), { priority: 'low' }),
    ]);
    queue.resume();
    await results;
    // order: ['checkout', 'search', 'email', 'report', 'thumbnail']
    await queue.close();
    // #endregion priorityTaskQueue
    expect(order).toEqual(['checkout', 'search', 'email', 'report', 'thumbnail']);
  });

  it('accepts numbers between and beyond the named levels', async () => {
    const queue = new PriorityTaskQueue({ paused: true });
    const order: (string | number)[] = [];
    const all = [3, 'critical', 2.5, 'high', -1, 'low', 10].map((p) =>
      queue.add(async () => void order.push(p), { priority: p }),
    );
    queue.resume();
    await Promise.all(all);
    expect(order).toEqual([10, 3, 'critical', 2.5, 'high', 'low', -1]);
  });

  it('limits concurrency and starts a task synchronously when a slot is free', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 2 });
    const gates = [gate(), gate(), gate()];
    let running = 0;
    let peak = 0;
    const tasks = gates.map((g) =>
      queue.add(async () => {
        running++;
        peak = Math.max(peak, running);
        await g.promise;
        running--;
      }),
    );
    expect(queue.pending).toBe(2);
    expect(queue.size).toBe(1);
    for (const g of gates) g.open();
    await Promise.all(tasks);
    expect(peak).toBe(2);
    expect(queue.stats()).toMatchObject({ queued: 0, running: 0, added: 3, started: 3, completed: 3 });
  });

  it('adds and awaits several tasks with addAll', async () => {
    // #region addAll
    const queue = new PriorityTaskQueue({ concurrency: 4 });
    const sizes = await queue.addAll(
      ['a.txt', 'b.txt', 'c.txt'].map((name) => async () => name.length),
      { priority: 'high' },
    );
    // sizes: [5, 5, 5]
    // #endregion addAll
    expect(sizes).toEqual([5, 5, 5]);
  });

  it('passes a task error through unchanged when there is no retry', async () => {
    const queue = new PriorityTaskQueue();
    const boom = new Error('boom');
    await expect(queue.add(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      queue.add(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(queue.stats().failed).toBe(2);
  });

  it('refuses tasks beyond maxQueued with CapacityExceededError', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 1, maxQueued: 1 });
    const g = gate();
    const running = queue.add(() => g.promise);
    const queued = queue.add(async () => 'queued');
    const refused = queue.add(async () => 'refused');
    await expect(refused).rejects.toBeInstanceOf(CapacityExceededError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY', limit: 1 });
    g.open();
    await running;
    expect(await queued).toBe('queued');
    expect(queue.stats().rejectedFull).toBe(1);
  });

  it('pauses and resumes', async () => {
    // #region pause
    const queue = new PriorityTaskQueue({ concurrency: 4 });
    queue.pause();
    const done = queue.add(async () => 'ran');
    // queue.size === 1: nothing starts while paused
    queue.resume();
    await done; // 'ran'
    // #endregion pause
    expect(await done).toBe('ran');
    expect(queue.isPaused).toBe(false);
  });

  it('waits for empty and idle, and stops waiting on abort', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 1 });
    const first = gate();
    const second = gate();
    queue.add(() => first.promise);
    queue.add(() => second.promise);
    const events: string[] = [];
    queue.on('queue:emptied', () => events.push('emptied'));
    queue.on('queue:idled', () => events.push('idled'));
    const controller = new AbortController();
    const aborted = queue.onIdle({ signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(aborted).rejects.toThrow('stop waiting');
    let empty = false;
    const emptyPromise = queue.onEmpty().then(() => {
      empty = true;
    });
    await flush();
    expect(empty).toBe(false);
    first.open();
    await emptyPromise;
    expect(queue.pending).toBe(1);
    // #region onIdle
    const idle = queue.onIdle(); // resolves once nothing is queued or running
    // #endregion onIdle
    second.open();
    await idle;
    expect(events).toEqual(['emptied', 'idled']);
    await expect(queue.onIdle()).resolves.toBeUndefined();
  });

  it('waits until fewer than n tasks are queued, stops waiting on abort, and checks the limit', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 1 });
    const gates = [gate(), gate(), gate(), gate()];
    const tasks = gates.map((g) => queue.add(() => g.promise).catch(() => 'destroyed')); // 1 running, 3 queued
    const controller = new AbortController();
    const aborted = queue.onSizeLessThan(1, { signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(aborted).rejects.toThrow('stop waiting');
    // #region onSizeLessThan
    // A producer that keeps at most 3 tasks waiting before it pulls the next job:
    await queue.onSizeLessThan(4); // 3 are queued: at once
    // #endregion onSizeLessThan
    let below3 = false;
    const three = queue.onSizeLessThan(3).then(() => {
      below3 = true;
    });
    await flush();
    expect(below3).toBe(false);
    gates[0]?.open(); // the next starts: 2 queued
    await three;
    expect(queue.size).toBe(2);
    const zero = queue.onSizeLessThan(1);
    queue.destroy(); // empties the queue: the waiter resolves, never hangs
    await expect(zero).resolves.toBeUndefined();
    expect(await Promise.all(tasks)).toEqual([undefined, 'destroyed', 'destroyed', 'destroyed']);
    await expect(queue.onSizeLessThan(0)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
  });

  describe('retries', () => {
    it('retries with backoff and reports the attempts on final failure', async () => {
      vi.useFakeTimers();
      // #region add
      const queue = new PriorityTaskQueue({
        concurrency: 8,
        retry: { attempts: 3, baseDelayMs: 100 }, // every task: up to 3 attempts
        timeoutMs: 5_000, // per attempt
      });
      const calls: number[] = [];
      const send = queue.add(
        async ({ attempt, signal }: TaskContext) => {
          calls.push(attempt);
          if (signal.aborted) return 'aborted';
          throw new Error(`SMTP 451 (attempt ${attempt})`);
        },
        { priority: 'high', id: 'send-email' },
      );
      // send rejects with RetriesExhaustedError: attempts 3, cause: Error('SMTP 451 (attempt 3)')
      // #endregion add
      const outcome = send.catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(1_000);
      const error = (await outcome) as RetriesExhaustedError;
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect(error.attempts).toBe(3);
      expect((error.cause as Error).message).toBe('SMTP 451 (attempt 3)');
      expect(error.message).toContain('task "send-email"');
      expect(calls).toEqual([1, 2, 3]);
      expect(queue.stats()).toMatchObject({ retries: 2, failed: 1 });
    });

    it('succeeds on a later attempt; per-task retry overrides and retryIf stops early', async () => {
      vi.useFakeTimers();
      const queue = new PriorityTaskQueue({ retry: { attempts: 5, baseDelayMs: 10 } });
      let n = 0;
      const flaky = queue.add(async () => {
        if (++n < 3) throw new Error('flaky');
        return n;
      });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await flaky).toBe(3);

      const fatal = new TypeError('bug');
      const refused = queue
        .add(
          async () => {
            throw fatal;
          },
          { retry: { attempts: 4, retryIf: (e) => !(e instanceof TypeError) } },
        )
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_000);
      const error = (await refused) as RetriesExhaustedError;
      expect(error.attempts).toBe(1);
      expect(error.cause).toBe(fatal);

      const plain = new Error('plain');
      await expect(queue.add(() => Promise.reject(plain), { retry: false })).rejects.toBe(plain);
    });

    it('stops retrying when the caller aborts during the backoff, rejecting with signal.reason', async () => {
      vi.useFakeTimers();
      const queue = new PriorityTaskQueue({ retry: { attempts: 5, baseDelayMs: 1_000, jitter: 'none' } });
      const controller = new AbortController();
      let calls = 0;
      const task = queue
        .add(
          async () => {
            calls++;
            throw new Error('down');
          },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(500); // inside the first 1 s backoff
      const reason = new Error('client gone');
      controller.abort(reason);
      expect(await task).toBe(reason);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(calls).toBe(1);
      expect(queue.stats()).toMatchObject({ aborted: 1, failed: 0, running: 0 });
    });

    it('times out an attempt with TimeoutError and aborts its signal', async () => {
      vi.useFakeTimers();
      const queue = new PriorityTaskQueue({ concurrency: 1 });
      let seen: AbortSignal | undefined;
      const slow = queue
        .add(
          ({ signal }) => {
            seen = signal;
            return new Promise(() => {});
          },
          { timeoutMs: 50, id: 'slow' },
        )
        .catch((e: unknown) => e);
      const next = queue.add(async () => 'next');
      await vi.advanceTimersByTimeAsync(50);
      const error = (await slow) as TimeoutError;
      expect(isLoadstoneError(error, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
      expect(error.timeoutMs).toBe(50);
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toBe(error);
      expect(await next).toBe('next'); // the slot was freed
      expect(queue.stats().timedOut).toBe(1);
    });
  });

  describe('abort', () => {
    it('removes an aborted queued task and rejects with signal.reason', async () => {
      const queue = new PriorityTaskQueue({ concurrency: 1 });
      const g = gate();
      queue.add(() => g.promise);
      const controller = new AbortController();
      let ran = false;
      const queued = queue.add(
        async () => {
          ran = true;
        },
        { signal: controller.signal },
      );
      const reason = new Error('user left');
      controller.abort(reason);
      await expect(queued).rejects.toBe(reason);
      expect(queue.size).toBe(0);
      g.open();
      await queue.onIdle();
      expect(ran).toBe(false);
      expect(queue.stats().aborted).toBe(1);
    });

    it('rejects at once for an already aborted signal', async () => {
      const queue = new PriorityTaskQueue();
      const reason = new Error('already');
      await expect(queue.add(async () => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });

    it('aborts a running task through its derived signal and frees the slot', async () => {
      const queue = new PriorityTaskQueue({ concurrency: 1 });
      const controller = new AbortController();
      let inner: AbortSignal | undefined;
      const running = queue.add(
        ({ signal }) => {
          inner = signal;
          return new Promise(() => {});
        },
        { signal: controller.signal },
      );
      const next = queue.add(async () => 'next');
      const reason = new Error('cancel');
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      expect(inner?.aborted).toBe(true);
      expect(await next).toBe('next');
    });
  });

  describe('load shedding', () => {
    it('sheds low priorities while critical, holds queued ones, lowers concurrency when degraded', async () => {
      // #region shed
      const load = new ManualLoadSignal();
      const queue = new PriorityTaskQueue({
        concurrency: 4,
        loadSignal: load, // e.g. the HealthMonitor's signal
        shed: { minPriority: 'high', degradedConcurrency: 1 },
      });
      load.set('critical');
      const refused = queue.add(async () => 'report', { priority: 'low' }); // rejects with ShedError
      const served = queue.add(async () => 'checkout', { priority: 'critical' }); // still runs
      // #endregion shed
      await expect(refused).rejects.toBeInstanceOf(ShedError);
      await expect(refused).rejects.toMatchObject({ code: 'ERR_LOADSTONE_SHED', priority: 'low' });
      expect(await served).toBe('checkout');

      load.set('healthy');
      queue.pause();
      const order: string[] = [];
      const low = queue.add(async () => void order.push('low'), { priority: 'low' });
      const high = queue.add(async () => void order.push('high'), { priority: 'high' });
      load.set('critical');
      queue.resume();
      await high;
      await flush();
      expect(order).toEqual(['high']); // the queued low task is held back
      expect(queue.stats()).toMatchObject({ queued: 1, deferred: 1, load: 'critical', shed: 1 });
      load.set('degraded');
      await low;
      expect(order).toEqual(['high', 'low']);
      expect(queue.stats().concurrency).toBe(1);
      load.set('healthy');
      expect(queue.stats().concurrency).toBe(4);
    });

    it.each([
      ['buckets', {}],
      ['heap (aging on)', { aging: { intervalMs: 1_000 }, clock: { now: () => 0 } }],
    ])('keeps FIFO order for tasks held back and deferred while critical (%s)', async (_name, extra) => {
      const load = new ManualLoadSignal();
      const queue = new PriorityTaskQueue({
        concurrency: 1,
        loadSignal: load,
        shed: { action: 'defer', minPriority: 'high' },
        ...extra,
      });
      const g = gate();
      const order: string[] = [];
      const tasks = [queue.add(() => g.promise, { priority: 'critical' })];
      const add = (name: string, priority: string) =>
        tasks.push(queue.add(async () => void order.push(name), { priority }));
      add('low 1', 'low');
      add('low 2', 'low');
      add('medium 1', 'medium');
      load.set('critical');
      g.open();
      await flush();
      add('low 3', 'low'); // deferred
      add('high 1', 'high');
      await flush();
      expect(order).toEqual(['high 1']);
      expect(queue.stats().deferred).toBeGreaterThan(0);
      load.set('healthy');
      await Promise.all(tasks);
      expect(order).toEqual(['high 1', 'medium 1', 'low 1', 'low 2', 'low 3']);
    });

    it('defers instead of rejecting when asked, and emits events', async () => {
      const load = new ManualLoadSignal({ initialStatus: 'critical' });
      const queue = new PriorityTaskQueue({ loadSignal: load, shed: { action: 'defer' } });
      const changes: string[] = [];
      queue.on('load:changed', ({ status }) => changes.push(status));
      let ran = false;
      const deferred = queue.add(async () => {
        ran = true;
      });
      await flush();
      expect(ran).toBe(false);
      load.set('healthy');
      await deferred;
      expect(ran).toBe(true);
      expect(changes).toEqual(['healthy']);

      const shedQueue = new PriorityTaskQueue({ loadSignal: load });
      const shed: unknown[] = [];
      shedQueue.on('task:shed', (event) => shed.push(event));
      load.set('critical');
      await expect(shedQueue.add(async () => 1, { priority: 'high', id: 'x' })).rejects.toBeInstanceOf(
        ShedError,
      );
      expect(shed).toEqual([{ priority: 'high', id: 'x' }]);
      // A task without a priority gets the lowest level, and the error names it.
      await expect(shedQueue.add(async () => 1)).rejects.toMatchObject({ priority: 'low' });
      await expect(shedQueue.add(async () => 1, { priority: 'critical' })).resolves.toBe(1);
    });
  });

  it('caps starts per interval', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const queue = new PriorityTaskQueue({ concurrency: 10, rate: { limit: 2, intervalMs: 1_000 }, clock });
    const started: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) => queue.add(async () => void started.push(i)));
    expect(started).toEqual([0, 1]);
    clock.advance(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toEqual([0, 1, 2, 3]);
    clock.advance(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('ages waiting tasks so low priority cannot starve', async () => {
    const clock = new FakeClock();
    const queue = new PriorityTaskQueue({ aging: { intervalMs: 100 }, clock, paused: true });
    const order: string[] = [];
    const old = queue.add(async () => void order.push('old low'), { priority: 'low' });
    clock.advance(350); // gained 3.5 levels: above a fresh critical task
    const fresh = queue.add(async () => void order.push('fresh critical'), { priority: 'critical' });
    const fresher = queue.add(async () => void order.push('fresh high'), { priority: 'high' });
    queue.resume();
    await Promise.all([old, fresh, fresher]);
    expect(order).toEqual(['old low', 'fresh critical', 'fresh high']);
  });

  describe('close and destroy', () => {
    it('finishes accepted work, refuses new work, nothing runs after close resolves', async () => {
      // #region close
      const queue = new PriorityTaskQueue({ concurrency: 2 });
      const done: number[] = [];
      for (let i = 0; i < 5; i++) queue.add(async () => void done.push(i));
      const closing = queue.close(); // stops intake, drains what was accepted
      const late = queue.add(async () => 'late'); // rejects with ClosedError
      await closing; // done: [0, 1, 2, 3, 4]
      // #endregion close
      expect(done).toEqual([0, 1, 2, 3, 4]);
      await expect(late).rejects.toBeInstanceOf(ClosedError);
      expect(queue.closed).toBe(true);
      await expect(queue.close()).resolves.toBeUndefined();
    });

    it('resumes a paused queue on close', async () => {
      const queue = new PriorityTaskQueue({ paused: true });
      const task = queue.add(async () => 'ran');
      await queue.close();
      expect(await task).toBe('ran');
    });

    it('destroy rejects queued and running tasks with ClosedError and aborts running signals', async () => {
      const queue = new PriorityTaskQueue({ concurrency: 1 });
      let inner: AbortSignal | undefined;
      const running = queue.add(({ signal }) => {
        inner = signal;
        return new Promise(() => {});
      });
      const queued = queue.add(async () => 'never');
      const closing = queue.close();
      const reason = new Error('shutdown');
      await queue.destroy(reason);
      await expect(running).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
      await expect(queued).rejects.toBeInstanceOf(ClosedError);
      expect(inner?.aborted).toBe(true);
      await expect(closing).resolves.toBeUndefined();
      expect(queue.stats()).toMatchObject({ queued: 0, running: 0 });
    });

    it('close with an aborted signal destroys and rejects with its reason', async () => {
      const queue = new PriorityTaskQueue();
      const running = queue.add(() => new Promise(() => {}));
      const controller = new AbortController();
      const closing = queue.close({ signal: controller.signal });
      const reason = new Error('deadline');
      controller.abort(reason);
      await expect(closing).rejects.toBe(reason);
      await expect(running).rejects.toBeInstanceOf(ClosedError);
    });

    it('close gives up on a hung task after closeTimeoutMs: destroys, then resolves', async () => {
      vi.useFakeTimers();
      const queue = new PriorityTaskQueue({ closeTimeoutMs: 1_000 });
      const hung = queue.add(() => new Promise(() => {})).catch((e: unknown) => e);
      let closed = false;
      const closing = queue.close().then(() => {
        closed = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      const error = await hung;
      expect(error).toBeInstanceOf(ClosedError);
      expect((error as ClosedError).cause).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 1_000 });
      expectInvalidOption(
        () => new PriorityTaskQueue({ closeTimeoutMs: -1 }),
        'options.closeTimeoutMs',
        'an integer',
      );
    });

    it('supports await using', async () => {
      let ran = false;
      {
        await using queue = new PriorityTaskQueue();
        queue.add(async () => {
          ran = true;
        });
      }
      expect(ran).toBe(true);
    });
  });

  it('lets concurrency grow at run time', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 1 });
    const gates = [gate(), gate()];
    for (const g of gates) queue.add(() => g.promise);
    expect(queue.pending).toBe(1);
    queue.concurrency = 2;
    expect(queue.pending).toBe(2);
    expect(queue.concurrency).toBe(2);
    expectInvalidOption(
      () => {
        queue.concurrency = 0;
      },
      'concurrency',
      'an integer >= 1',
    );
    for (const g of gates) g.open();
  });

  it.each<[string, PriorityTaskQueueOptions, string, string]>([
    ['concurrency 0', { concurrency: 0 }, 'options.concurrency', 'an integer >= 1'],
    ['fractional concurrency', { concurrency: 1.5 }, 'options.concurrency', 'an integer >= 1'],
    ['negative maxQueued', { maxQueued: -1 }, 'options.maxQueued', 'an integer >= 0'],
    ['empty priorities', { priorities: [] }, 'options.priorities', 'a non-empty array'],
    ['duplicate level', { priorities: ['a', 'a'] }, 'options.priorities[1]', 'a level name not used'],
    ['unknown default', { defaultPriority: 'urgent' }, 'options.defaultPriority', 'one of'],
    ['retry attempts 0', { retry: { attempts: 0 } }, 'options.retry.attempts', 'an integer from 1'],
    ['negative timeout', { timeoutMs: -1 }, 'options.timeoutMs', 'a finite number >= 0'],
    ['bad load signal', { loadSignal: {} as never }, 'options.loadSignal', 'a LoadSignal'],
    ['bad shed action', { shed: { action: 'drop' as never } }, 'options.shed.action', 'one of'],
    ['bad shed level', { shed: { minPriority: 'x' } }, 'options.shed.minPriority', 'one of'],
    ['rate limit 0', { rate: { limit: 0, intervalMs: 10 } }, 'options.rate.limit', 'an integer >= 1'],
    [
      'rate interval 0',
      { rate: { limit: 1, intervalMs: 0 } },
      'options.rate.intervalMs',
      'a finite number >= 1',
    ],
    ['aging 0', { aging: { intervalMs: 0 } }, 'options.aging.intervalMs', 'a finite number >= 1'],
    ['bad clock', { clock: {} as never }, 'options.clock', 'a Clock'],
    ['bad paused', { paused: 'yes' as never }, 'options.paused', 'a boolean'],
  ])('rejects %s', (_name, options, option, expected) => {
    expectInvalidOption(() => new PriorityTaskQueue(options), option, expected);
  });

  it('rejects bad add arguments without throwing', async () => {
    const queue = new PriorityTaskQueue();
    await expect(queue.add('nope' as never)).rejects.toMatchObject({ option: 'fn' });
    await expect(queue.add(async () => 1, { priority: 'urgent' })).rejects.toMatchObject({
      option: 'options.priority',
    });
    await expect(queue.add(async () => 1, { priority: Number.NaN })).rejects.toMatchObject({
      option: 'options.priority',
    });
    await expect(queue.add(async () => 1, { timeoutMs: -5 })).rejects.toMatchObject({
      option: 'options.timeoutMs',
    });
    await expect(queue.add(async () => 1, { retry: { attempts: 0 } })).rejects.toMatchObject({
      option: 'options.retry.attempts',
    });
    await expect(queue.addAll('x' as never)).rejects.toMatchObject({ option: 'fns' });
  });
});
