// Hands tasks to threads: the queue, the choice of thread, slots, cancellation, draining. Internal.
import { performance } from 'node:perf_hooks';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { BatchPoster } from './BatchPoster.js';
import type { HandlerRegistry } from './HandlerRegistry.js';
import type { PipelineSizer } from './PipelineSizer.js';
import type { PoolContext } from './PoolContext.js';
import type { PoolCounters } from './PoolCounters.js';
import type { PoolState } from './PoolState.js';
import type { RunQueue } from './RunQueue.js';
import type { ResolvedWorkerThreadPoolOptions } from './resolveOptions.js';
import { DISPATCHED, DONE, QUEUED, type Task } from './Task.js';
import { TaskWatcher } from './TaskWatcher.js';
import type { Thread } from './Thread.js';
import type { ThreadSet } from './ThreadSet.js';

/**
 * Takes each new task to a thread that can start it soon (the least loaded one under the
 * pipeline cap, starting a thread if all have work and `maxThreads` allows), or to the queue;
 * refills threads from the queue as tasks leave them; cancels tasks; and tells a waiting
 * `close()` when the last accepted task has settled.
 */
export class Dispatcher {
  readonly #name: string;
  readonly #o: ResolvedWorkerThreadPoolOptions;
  readonly #queue: RunQueue<Task>;
  readonly #threads: ThreadSet;
  /** `#threads.list`, kept here for the hot path. */
  readonly #live: Thread<Task>[];
  readonly #counters: PoolCounters;
  readonly #sizer: PipelineSizer;
  readonly #state: PoolState;
  readonly #poster: BatchPoster;
  readonly #watcher: TaskWatcher;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  constructor(context: PoolContext, threads: ThreadSet, handlers: HandlerRegistry, sizer: PipelineSizer) {
    const o = context.options;
    this.#name = o.name;
    this.#o = o;
    this.#queue = context.queue;
    this.#threads = threads;
    this.#live = threads.list;
    this.#counters = context.counters;
    this.#sizer = sizer;
    this.#state = context.state;
    this.#poster = new BatchPoster(handlers, this);
    this.#watcher = new TaskWatcher(o.name, this);
  }

  /** Hands a new task to a thread, or queues it, or rejects it (no thread, queue full). */
  submit(task: Task): void {
    const queue = this.#queue;
    if (queue.size === 0) {
      let thread: Thread<Task> | undefined;
      try {
        thread = this.#pick(task);
      } catch (error) {
        this.settleError(task, error);
        return;
      }
      if (thread !== undefined) {
        if (task.exclusive) this.#watcher.watch(task);
        this.#dispatch(task, thread);
        return;
      }
    }
    if (queue.size >= this.#o.maxQueue) {
      this.settleError(
        task,
        new CapacityExceededError(`WorkerThreadPool "${this.#name}" queue`, this.#o.maxQueue),
      );
      return;
    }
    if (task.exclusive) this.#watcher.watch(task);
    queue.push(task);
  }

  /** Hands queued tasks to threads while some can take the next one. */
  pump(): void {
    const queue = this.#queue;
    while (queue.size > 0) {
      const task = queue.peek() as Task;
      let thread: Thread<Task> | undefined;
      try {
        thread = this.#pick(task);
      } catch (error) {
        queue.shift();
        this.settleError(task, error);
        continue;
      }
      if (thread === undefined) return;
      queue.shift();
      this.#dispatch(task, thread);
    }
  }

  /** After tasks left a thread: refill from the queue, notice idleness and the end of a drain. */
  afterChange(thread: Thread<Task>): void {
    if (this.#queue.size > 0) this.pump();
    if (thread.inflight === 0 && !thread.exiting) this.#threads.becameIdle(thread);
    if (this.#resolveDrained !== undefined) this.checkDrained();
  }

  /** Frees the task's slot in its thread (the task is settled or going back to the queue). */
  release(thread: Thread<Task>, task: Task): void {
    if (task.slot >= 0 && thread.slots[task.slot] === task) {
      thread.slots[task.slot] = undefined;
      thread.free.push(task.slot);
      thread.inflight--;
      this.#counters.running--;
      if (task.exclusive) thread.exclusive = false;
    }
    task.slot = -1;
  }

  /** Rejects the task with `error`. */
  settleError(task: Task, error: unknown): void {
    task.state = DONE;
    if (task.onAbort !== undefined || task.timer !== undefined) task.unwatch();
    this.#counters.failed++;
    task.reject(error);
  }

  /** Rejects every task not settled yet, queued or handed to a thread (`destroy()`). */
  settleAll(error: () => unknown): void {
    for (const task of this.#queue.drain()) this.settleError(task, error());
    for (const thread of this.#threads.all()) {
      for (const task of thread.slots) {
        if (task !== undefined && task.state === DISPATCHED) this.settleError(task, error());
      }
    }
  }

  /** Its signal aborted or its time ran out: a running task takes its thread down with it. */
  cancel(task: Task, error: unknown, why: 'abort' | 'timeout'): void {
    if (task.state === QUEUED) {
      this.#queue.remove(task);
      this.settleError(task, error);
      if (this.#resolveDrained !== undefined) this.checkDrained();
      return;
    }
    if (task.state !== DISPATCHED) return;
    const thread = task.thread as Thread<Task>;
    this.settleError(task, error);
    if (task.threadSeq < 0) {
      // Not posted yet: nothing runs, so the thread can stay.
      this.release(thread, task);
      this.afterChange(thread);
      return;
    }
    this.#threads.end(thread, why);
    if (this.#queue.size > 0) this.pump();
  }

  /** For `close()`: resolves once no task is queued or running and every thread has exited. */
  drained(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    this.checkDrained();
    return this.#drained;
  }

  /** For `destroy()`, once its threads exited: resolves {@link Dispatcher.drained} if pending. */
  resolveDrained(): void {
    this.#resolveDrained?.();
    this.#resolveDrained = undefined;
  }

  /** Resolves a pending {@link Dispatcher.drained} (after ending the threads) if nothing is left. */
  checkDrained(): void {
    if (this.#resolveDrained === undefined || this.#queue.size > 0 || this.#counters.running > 0) return;
    const resolve = this.#resolveDrained;
    this.#resolveDrained = undefined;
    void this.#threads.endAll().then(resolve);
  }

  /** A thread that can take the task now (starting one if allowed), or `undefined`. */
  #pick(task: Task): Thread<Task> | undefined {
    let best: Thread<Task> | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    const cap = task.exclusive || task.movesObjects ? 1 : this.#sizer.cap;
    const threads = this.#live;
    for (let i = 0; i < threads.length; i++) {
      const thread = threads[i] as Thread<Task>;
      const load = thread.inflight;
      if (load < bestLoad && load < cap && !thread.exclusive) {
        best = thread;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    if (bestLoad > 0 && threads.length < this.#o.maxThreads && !this.#state.destroyed) {
      return this.#threads.spawn();
    }
    return best;
  }

  #dispatch(task: Task, thread: Thread<Task>): void {
    task.state = DISPATCHED;
    task.thread = thread;
    const slot = thread.free.length > 0 ? (thread.free.pop() as number) : thread.slots.length;
    thread.slots[slot] = task;
    task.slot = slot;
    task.dispatchOrder = thread.dispatched++;
    if (thread.inflight++ === 0) {
      thread.worker.ref();
    }
    if (task.exclusive) thread.exclusive = true;
    this.#counters.running++;
    if (this.#o.recordTiming) this.#counters.waitTime.record(performance.now() - task.enqueuedAt);
    this.#poster.enqueue(thread, task);
  }
}
