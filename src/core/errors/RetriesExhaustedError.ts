import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * Work that was allowed several attempts failed every one of them. `cause` is the last
 * attempt's error; `attempts` says how many were made.
 *
 * @example
 * {@includeCode ./errors.test.ts#retriesExhausted}
 */
export class RetriesExhaustedError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_RETRIES_EXHAUSTED';
  declare readonly code: 'ERR_LOADSTONE_RETRIES_EXHAUSTED';
  /** How many attempts were made (the first included). */
  readonly attempts: number;

  /**
   * @param what - the failed work, e.g. `task "send-email"`.
   * @param attempts - how many attempts were made.
   * @param options - the last attempt's error as `cause`.
   */
  constructor(what: string, attempts: number, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_RETRIES_EXHAUSTED', `${what} failed after ${attempts} attempts`, options);
    this.attempts = attempts;
  }
}
