import { LoadstoneError } from './LoadstoneError.js';

/**
 * A circuit breaker is open (or half-open with every probe slot taken): the call was refused
 * without running, to give the failing dependency time to recover.
 *
 * @example
 * {@includeCode ./errors.test.ts#circuitOpen}
 */
export class CircuitOpenError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_CIRCUIT_OPEN';
  declare readonly code: 'ERR_LOADSTONE_CIRCUIT_OPEN';
  /** The breaker's name. */
  readonly breaker: string;
  /** How long until the breaker lets a probe call through, in ms (0 when half-open). */
  readonly retryAfterMs: number;

  /**
   * @param breaker - the breaker's name.
   * @param retryAfterMs - ms until a probe call is allowed.
   */
  constructor(breaker: string, retryAfterMs: number) {
    super(
      'ERR_LOADSTONE_CIRCUIT_OPEN',
      `Circuit breaker "${breaker}" is open: retry in ${Math.ceil(retryAfterMs)} ms`,
    );
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}
