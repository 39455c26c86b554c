// One `run` call on its way through the pool. Internal.
import type { TransferListItem } from 'node:worker_threads';
import type { RunQueueItem } from './RunQueue.js';
import type { Thread } from './Thread.js';

/** {@link Task.state}: waiting in the queue. */
export const QUEUED = 0;
/** {@link Task.state}: handed to a thread (posted or still in its outbox). */
export const DISPATCHED = 1;
/** {@link Task.state}: settled. */
export const DONE = 2;

/** A task: what to call with what, its limits, its promise's settlers and where it is. */
export class Task implements RunQueueItem {
  readonly priority: number;
  readonly seq: number;
  removed = false;
  state = QUEUED;
  readonly handlerId: number;
  payload: unknown;
  readonly transferList: readonly TransferListItem[] | undefined;
  readonly exclusive: boolean;
  /**
   * Moves objects: it goes only to a thread with nothing else handed to it, so that it starts
   * at once (a moved payload cannot be re-sent if the thread dies before starting it).
   */
  readonly movesObjects: boolean;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  onAbort: (() => void) | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  thread: Thread<Task> | undefined = undefined;
  slot = -1;
  /** Order in which it was handed to its thread. */
  dispatchOrder = -1;
  /** Position among the tasks actually posted to its thread (what the thread's counter counts); -1 until posted. */
  threadSeq = -1;

  constructor(
    seq: number,
    priority: number,
    handlerId: number,
    payload: unknown,
    transferList: readonly TransferListItem[] | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    enqueuedAt: number,
  ) {
    this.seq = seq;
    this.priority = priority;
    this.handlerId = handlerId;
    this.payload = payload;
    this.transferList = transferList;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
    this.exclusive = signal !== undefined || timeoutMs > 0;
    this.movesObjects = transferList !== undefined && transferList.length > 0;
    this.enqueuedAt = enqueuedAt;
  }

  /** Removes the abort listener and clears the timer that `TaskWatcher.watch` armed. */
  unwatch(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.onAbort !== undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
  }
}
