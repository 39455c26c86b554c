// One task of a PriorityTaskQueue (internal), from `add` until it settles.
import type { AddOptions, Task } from './PriorityTaskQueueOptions.js';

/** Waiting in the store (or held back by load shedding). */
export const QUEUED = 0;
/** Started: in the running list. */
export const RUNNING = 1;
/** Settled, aborted or abandoned: whatever still refers to it ignores it. */
export const DONE = 2;

/**
 * One queued or running task. A class with fixed fields (and no per-task closures besides the
 * promise's own) keeps a queued task to a few hundred bytes.
 */
export class TaskEntry {
  key: number;
  readonly seq: number;
  readonly rank: number;
  state = QUEUED;
  readonly fn: Task<unknown>;
  readonly options: AddOptions | undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** The queued-phase abort listener, when the task has a signal. */
  onAbort: (() => void) | undefined = undefined;
  /** Neighbours in the running list (destroy() walks it). */
  prev: TaskEntry | undefined = undefined;
  next: TaskEntry | undefined = undefined;

  constructor(fn: Task<unknown>, rank: number, key: number, seq: number, options: AddOptions | undefined) {
    this.fn = fn;
    this.rank = rank;
    this.key = key;
    this.seq = seq;
    this.options = options;
  }

  /** Removes the queued-phase abort listener (the task starts or is abandoned). */
  detachAbort(): void {
    const onAbort = this.onAbort;
    if (onAbort === undefined) return;
    this.onAbort = undefined;
    this.options?.signal?.removeEventListener('abort', onAbort);
  }
}
