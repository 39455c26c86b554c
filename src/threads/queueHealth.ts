// The verdict of WorkerThreadPool.check(). Internal.
import type { HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';

/**
 * `critical` once closed or when the queue is full, `degraded` when it is at least half full,
 * `healthy` otherwise (an unbounded queue is never full).
 */
export function queueHealth(
  closed: boolean,
  queued: number,
  maxQueue: number,
  details: Readonly<Record<string, number>>,
): HealthCheckResult {
  let status: HealthStatus = 'healthy';
  let message: string | undefined;
  if (closed) {
    status = 'critical';
    message = 'closed';
  } else if (maxQueue !== Number.POSITIVE_INFINITY && queued >= maxQueue) {
    status = 'critical';
    message = `queue full (${queued} of ${maxQueue})`;
  } else if (maxQueue !== Number.POSITIVE_INFINITY && queued * 2 >= maxQueue && queued > 0) {
    status = 'degraded';
    message = `queue at ${queued} of ${maxQueue}`;
  }
  return message === undefined ? { status, details } : { status, message, details };
}
