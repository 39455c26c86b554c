import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * Work was aborted. A caller's `AbortSignal` rejects with its own `reason` when that reason is
 * an `Error` (the default `AbortError` included); this error stands in when it is not, e.g.
 * `controller.abort('shutdown')`, and keeps that reason as `cause`.
 *
 * @example
 * {@includeCode ./errors.test.ts#aborted}
 */
export class AbortedError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_ABORTED';
  declare readonly code: 'ERR_LOADSTONE_ABORTED';

  /**
   * @param operation - what was aborted.
   * @param options - the abort reason, as `cause`.
   */
  constructor(operation: string, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_ABORTED', `${operation} was aborted`, options);
  }
}
