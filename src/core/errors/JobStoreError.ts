import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * A job store (Redis, a custom store) failed an operation: `JobQueue.add` rejects with it when
 * the store cannot take the job (nothing was queued, or the add may be retried safely with the
 * same `id`). Workers report it in `store:failed` events and keep trying.
 *
 * @example
 * {@includeCode ./errors.test.ts#jobStore}
 */
export class JobStoreError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_JOB_STORE';
  declare readonly code: 'ERR_LOADSTONE_JOB_STORE';
  /** The store's name, e.g. `redis`. */
  readonly store: string;
  /** The failed operation, e.g. `add`. */
  readonly operation: string;

  /**
   * @param store - the store's name.
   * @param operation - the failed operation.
   * @param options - the underlying failure as `cause`.
   */
  constructor(store: string, operation: string, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_JOB_STORE', `Job store "${store}" failed to ${operation}`, options);
    this.store = store;
    this.operation = operation;
  }
}
