import { LoadstoneError } from './LoadstoneError.js';

/**
 * Work was refused because the process is overloaded (its load signal is `critical`) and the
 * work's priority is below the level that is still admitted. Retry later, elsewhere, or not at all.
 *
 * @example
 * {@includeCode ./errors.test.ts#shed}
 */
export class ShedError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_SHED';
  declare readonly code: 'ERR_LOADSTONE_SHED';
  /** The priority of the refused work, as the caller gave it. */
  readonly priority: string | number;

  /**
   * @param what - the refusing primitive, e.g. `PriorityTaskQueue`.
   * @param priority - the refused work's priority.
   */
  constructor(what: string, priority: string | number) {
    super(
      'ERR_LOADSTONE_SHED',
      `${what} shed a task of priority ${JSON.stringify(priority)}: load is critical`,
    );
    this.priority = priority;
  }
}
