import type { InvalidOptionError } from './errors/InvalidOptionError.js';
import { oneOfOption } from './internal/validate.js';
import type { JsonValue } from './Json.js';

/**
 * Every {@link HealthStatus}, best first; a status's index is its severity.
 *
 * @example
 * {@includeCode ./HealthCheck.test.ts#healthStatuses}
 */
export const healthStatuses = Object.freeze(['healthy', 'degraded', 'critical'] as const);

/**
 * How well something is doing: `healthy` (serve normally), `degraded` (serving, but shed
 * optional load) or `critical` (stop sending it work).
 */
export type HealthStatus = (typeof healthStatuses)[number];

/** The outcome of one {@link HealthCheck.check}: plain data, safe to serve as JSON. */
export type HealthCheckResult = {
  /** The verdict. */
  readonly status: HealthStatus;
  /** A human-readable explanation, e.g. `3 of 8 workers busy for > 5 s`. */
  readonly message?: string;
  /** Measurements behind the verdict, e.g. `{ pending: 120, limit: 100 }`. */
  readonly details?: Readonly<Record<string, JsonValue>>;
};

/**
 * Something that can report its own health: pools, the cluster supervisor and cache tiers
 * implement it, and the health monitor runs any number of them.
 *
 * @example
 * {@includeCode ./HealthCheck.test.ts#healthCheck}
 */
export interface HealthCheck {
  /** Identifies the check in reports, e.g. `pool:db`. Stable and unique per monitor. */
  readonly name: string;

  /**
   * Runs the check. Failing to determine health is a result (`critical` with a `message`),
   * not a rejection; the caller treats a rejection the same way.
   *
   * @param signal - aborted when the caller stops waiting (its timeout or shutdown); stop work
   * and reject with `signal.reason`.
   * @returns the verdict.
   */
  check(signal?: AbortSignal): Promise<HealthCheckResult>;
}

/**
 * The more severe of two statuses, to combine checks: `reduce(worstStatus, 'healthy')`.
 *
 * @param a - one status.
 * @param b - another status.
 * @returns `a` or `b`, whichever comes later in {@link healthStatuses}.
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when either is not a
 * {@link HealthStatus}.
 *
 * @example
 * {@includeCode ./HealthCheck.test.ts#worstStatus}
 */
export function worstStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  const rankA = healthStatuses.indexOf(oneOfOption('a', a, healthStatuses));
  const rankB = healthStatuses.indexOf(oneOfOption('b', b, healthStatuses));
  return rankB > rankA ? b : a;
}
