import { LoadstoneError } from './LoadstoneError.js';

/**
 * There is no candidate to send the work to: a sharder whose last node was removed, a balancer
 * whose backends are all down.
 *
 * @example
 * {@includeCode ./errors.test.ts#noTarget}
 */
export class NoTargetError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_NO_TARGET';
  declare readonly code: 'ERR_LOADSTONE_NO_TARGET';

  /** @param reason - why nothing can be chosen, e.g. `the sharder has no nodes`. */
  constructor(reason: string) {
    super('ERR_LOADSTONE_NO_TARGET', `No target available: ${reason}`);
  }
}
