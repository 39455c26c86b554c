import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * A cache tier (Redis, a custom tier) failed an operation. `TieredCache` itself never rejects
 * with it on reads — it skips the tier — but reports it to hooks, events and tier-level calls.
 *
 * @example
 * {@includeCode ./errors.test.ts#tier}
 */
export class TierError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_TIER';
  declare readonly code: 'ERR_LOADSTONE_TIER';
  /** The tier's name, e.g. `redis`. */
  readonly tier: string;
  /** The failed operation, e.g. `get`. */
  readonly operation: string;

  /**
   * @param tier - the tier's name.
   * @param operation - the failed operation.
   * @param options - the underlying failure as `cause`.
   */
  constructor(tier: string, operation: string, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_TIER', `Cache tier "${tier}" failed to ${operation}`, options);
    this.tier = tier;
    this.operation = operation;
  }
}
