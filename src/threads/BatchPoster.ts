// Posts the tasks handed to each thread, one message per thread per burst. Internal.
import type { TransferListItem } from 'node:worker_threads';
import type { HandlerRegistry } from './HandlerRegistry.js';
import { OP_DEFINE } from './protocol.js';
import { DISPATCHED, type Task } from './Task.js';
import type { Thread } from './Thread.js';

/** What the poster does with a task that cannot be posted. */
export type BatchPosterHost = {
  /** Frees the task's slot in its thread. */
  release(thread: Thread<Task>, task: Task): void;
  /** Rejects the task. */
  settleError(task: Task, error: unknown): void;
  /** Tasks left the thread: refill it. */
  afterChange(thread: Thread<Task>): void;
};

/**
 * Collects the tasks handed to threads in each thread's `outbox` and posts them in a microtask,
 * encoded as in protocol.ts, defining each handler to a thread before its first task.
 */
export class BatchPoster {
  readonly #handlers: HandlerRegistry;
  readonly #host: BatchPosterHost;
  readonly #dirty: Thread<Task>[] = [];
  #flushQueued = false;

  constructor(handlers: HandlerRegistry, host: BatchPosterHost) {
    this.#handlers = handlers;
    this.#host = host;
  }

  /** Queues a task handed to `thread` for the next flush. */
  enqueue(thread: Thread<Task>, task: Task): void {
    thread.outbox.push(task);
    if (!thread.dirty) {
      thread.dirty = true;
      this.#dirty.push(thread);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flush);
      }
    }
  }

  // Posting is deferred to a microtask so that every task handed out in one synchronous burst
  // (a loop of `run` calls, or a refill after a batch of results) goes in one message per thread.
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) {
      const thread = dirty[i] as Thread<Task>;
      thread.dirty = false;
      this.#post(thread);
    }
    dirty.length = 0;
  };

  #post(thread: Thread<Task>): void {
    const tasks = thread.outbox;
    if (tasks.length === 0 || thread.exiting) return;
    thread.outbox = [];
    const message: unknown[] = [];
    let transfer: TransferListItem[] | undefined;
    let defined: number[] | undefined;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      const h = task.handlerId;
      if (thread.known[h] !== true && defined?.includes(h) !== true) {
        const def = this.#handlers.definition(h);
        message.push(OP_DEFINE, h, def.url, def.name);
        defined ??= [];
        defined.push(h);
      }
      message.push(task.slot, h, task.payload);
      if (task.transferList !== undefined) {
        transfer ??= [];
        for (const t of task.transferList) transfer.push(t);
      }
    }
    if (message.length === 0) return;
    try {
      thread.port.postMessage(message, transfer);
    } catch {
      // Some payload cannot be cloned or transferred: post one by one so only that task fails.
      this.#postEach(thread, tasks);
      return;
    }
    if (defined !== undefined) for (const h of defined) thread.known[h] = true;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      task.threadSeq = thread.posted++;
    }
  }

  #postEach(thread: Thread<Task>, tasks: readonly Task[]): void {
    const host = this.#host;
    for (const task of tasks) {
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      const h = task.handlerId;
      const message: unknown[] = [];
      if (thread.known[h] !== true) {
        const def = this.#handlers.definition(h);
        message.push(OP_DEFINE, h, def.url, def.name);
      }
      message.push(task.slot, h, task.payload);
      try {
        thread.port.postMessage(message, task.transferList);
      } catch (error) {
        host.release(thread, task);
        host.settleError(task, error);
        continue;
      }
      thread.known[h] = true;
      task.threadSeq = thread.posted++;
    }
    host.afterChange(thread);
  }
}
