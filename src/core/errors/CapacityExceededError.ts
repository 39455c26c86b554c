import { LoadstoneError } from './LoadstoneError.js';

/**
 * A queue or pool is full. The work is refused at the call that offered it, never accepted and
 * dropped later.
 *
 * @example
 * {@includeCode ./errors.test.ts#capacity}
 */
export class CapacityExceededError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_CAPACITY';
  declare readonly code: 'ERR_LOADSTONE_CAPACITY';
  /** The capacity that was reached. */
  readonly limit: number;

  /**
   * @param what - the full thing, e.g. `PriorityTaskQueue queue`.
   * @param limit - its capacity.
   */
  constructor(what: string, limit: number) {
    super('ERR_LOADSTONE_CAPACITY', `${what} is full (limit ${limit})`);
    this.limit = limit;
  }
}
