import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/** Which kind of worker died: a `worker_threads` thread or a `cluster` process. */
export type WorkerKind = 'thread' | 'process';

/**
 * A worker (thread or process) exited or crashed while it held a task or request. Only the work
 * that worker was running fails with this error; queued work goes to a replacement worker.
 *
 * @example
 * {@includeCode ./errors.test.ts#workerExit}
 */
export class WorkerExitError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_WORKER_EXIT';
  declare readonly code: 'ERR_LOADSTONE_WORKER_EXIT';
  /** A thread or a process. */
  readonly kind: WorkerKind;
  /** The worker's id: `threadId` for a thread, the pid for a process. */
  readonly workerId: number;
  /** The exit code, or `null` when the worker was killed by a signal or never reported one. */
  readonly exitCode: number | null;

  /**
   * @param kind - a thread or a process.
   * @param workerId - `threadId` or pid.
   * @param exitCode - the exit code, or `null`.
   * @param options - the `cause` (e.g. the `ERR_WORKER_OUT_OF_MEMORY` error), if any.
   */
  constructor(kind: WorkerKind, workerId: number, exitCode: number | null, options?: LoadstoneErrorOptions) {
    const how = exitCode === null ? 'crashed' : `exited with code ${exitCode}`;
    super('ERR_LOADSTONE_WORKER_EXIT', `Worker ${kind} ${workerId} ${how} while running a task`, options);
    this.kind = kind;
    this.workerId = workerId;
    this.exitCode = exitCode;
  }
}
