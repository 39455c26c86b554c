import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * The primitive was closed or destroyed: raised by calls made after `close()`/`destroy()`, and
 * for accepted work that `destroy()` abandons.
 *
 * @example
 * {@includeCode ./errors.test.ts#closed}
 */
export class ClosedError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_CLOSED';
  declare readonly code: 'ERR_LOADSTONE_CLOSED';

  /**
   * @param what - the primitive that is closed, e.g. `InProcessBus`.
   * @param options - the `cause`, if any (e.g. the reason given to `destroy`).
   */
  constructor(what: string, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_CLOSED', `${what} is closed`, options);
  }
}
