import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * An operation (acquire, run, close…) did not finish within its time limit.
 *
 * @example
 * {@includeCode ./errors.test.ts#timeout}
 */
export class TimeoutError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_TIMEOUT';
  declare readonly code: 'ERR_LOADSTONE_TIMEOUT';
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param operation - what timed out, e.g. `acquire from pool "db"`.
   * @param timeoutMs - the limit that was exceeded, in milliseconds.
   */
  constructor(operation: string, timeoutMs: number, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_TIMEOUT', `${operation} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}
