// Settles tasks from the results their threads post back. Internal.
import { receiveMessageOnPort } from 'node:worker_threads';
import type { Dispatcher } from './Dispatcher.js';
import type { PipelineSizer } from './PipelineSizer.js';
import type { PoolContext } from './PoolContext.js';
import type { PoolCounters } from './PoolCounters.js';
import { RESULT_STRIDE, reviveError, type SerializedError, STATUS_ERROR, STATUS_OK } from './protocol.js';
import { DISPATCHED, DONE, type Task } from './Task.js';
import type { Thread } from './Thread.js';

/** Reads result batches (protocol.ts): frees each slot, measures run time, settles the task. */
export class ResultReader {
  readonly #dispatcher: Dispatcher;
  readonly #counters: PoolCounters;
  readonly #sizer: PipelineSizer;
  readonly #recordTiming: boolean;

  constructor(context: PoolContext, dispatcher: Dispatcher, sizer: PipelineSizer) {
    this.#dispatcher = dispatcher;
    this.#counters = context.counters;
    this.#sizer = sizer;
    this.#recordTiming = context.options.recordTiming;
  }

  /** A batch arrived on the thread's port: settle it and what else is waiting, then refill. */
  onMessage(thread: Thread<Task>, batch: unknown[]): void {
    this.read(thread, batch);
    // Everything else that arrived since the wake-up, without a turn of the event loop each.
    this.readWaiting(thread);
    this.#sizer.update();
    this.#dispatcher.afterChange(thread);
  }

  /** Reads every batch waiting on the thread's port, synchronously. */
  readWaiting(thread: Thread<Task>): void {
    for (
      let next = receiveMessageOnPort(thread.port);
      next !== undefined;
      next = receiveMessageOnPort(thread.port)
    ) {
      this.read(thread, next.message as unknown[]);
    }
  }

  /** Settles the tasks of one batch (a task already settled, aborted or timed out, only frees its slot). */
  read(thread: Thread<Task>, batch: unknown[]): void {
    const recordTiming = this.#recordTiming;
    const counters = this.#counters;
    const sizer = this.#sizer;
    const slots = thread.slots;
    for (let i = 0; i < batch.length; i += RESULT_STRIDE) {
      const slot = batch[i] as number;
      const task = slots[slot];
      if (task === undefined) continue;
      slots[slot] = undefined;
      thread.free.push(slot);
      thread.inflight--;
      counters.running--;
      if (task.exclusive) thread.exclusive = false;
      task.slot = -1;
      const runMs = batch[i + 3] as number;
      counters.runTotalMs += runMs;
      sizer.record(runMs);
      if (recordTiming) counters.runTime.record(runMs);
      if (task.state !== DISPATCHED) continue;
      task.state = DONE;
      if (task.onAbort !== undefined || task.timer !== undefined) task.unwatch();
      const status = batch[i + 1] as number;
      const value = batch[i + 2];
      if (status === STATUS_OK) {
        counters.completed++;
        task.resolve(value);
      } else {
        counters.failed++;
        task.reject(status === STATUS_ERROR ? reviveError(value as SerializedError) : value);
      }
    }
  }
}
