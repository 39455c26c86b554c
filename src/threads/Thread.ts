// One worker thread of the pool and the tasks handed to it. Internal.
import type { MessagePort, Worker } from 'node:worker_threads';
import type { ThreadExitReason } from './WorkerThreadPoolOptions.js';

/**
 * A worker thread and its bookkeeping: the slots of the tasks handed to it, the ones not posted
 * yet (`outbox`), the handlers it knows and its idle timer. Generic over the task type so that
 * the task can point back at its thread without the two files importing each other.
 */
export class Thread<T> {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly state: Int32Array;
  readonly threadId: number;
  readonly exited: Promise<void>;
  markExited!: () => void;
  readonly slots: (T | undefined)[] = [];
  readonly free: number[] = [];
  inflight = 0;
  dispatched = 0;
  posted = 0;
  outbox: T[] = [];
  dirty = false;
  readonly known: boolean[] = [];
  /** Running a task that must be alone (it has a signal or a time limit). */
  exclusive = false;
  exiting = false;
  exitReason: ThreadExitReason | undefined = undefined;
  error: unknown = undefined;
  idleSince = 0;
  idleTimer: NodeJS.Timeout | undefined = undefined;

  constructor(worker: Worker, port: MessagePort, state: Int32Array) {
    this.worker = worker;
    this.port = port;
    this.state = state;
    this.threadId = worker.threadId;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
  }
}
