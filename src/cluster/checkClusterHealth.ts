import type { HealthCheckResult } from '../core/HealthCheck.js';
import type { WorkerSlot } from './ManagedWorker.js';
import type { SupervisorState } from './SupervisorHost.js';

/**
 * `ClusterSupervisor.check()`: `healthy` when every live slot has a ready worker, `degraded` when
 * some do, `critical` when none do or the supervisor is not running.
 */
export function checkClusterHealth(
  state: SupervisorState,
  live: readonly WorkerSlot[],
  counters: { readonly crashes: number; readonly restarts: number },
): HealthCheckResult {
  const ready = live.filter((s) => s.current?.state === 'ready').length;
  const details = { ready, desired: live.length, crashes: counters.crashes, restarts: counters.restarts };
  if (state !== 'running' || ready === 0) {
    return {
      status: 'critical',
      message: `cluster ${state}, ${ready}/${live.length} workers ready`,
      details,
    };
  }
  if (ready < live.length) {
    return { status: 'degraded', message: `${ready}/${live.length} workers ready`, details };
  }
  return { status: 'healthy', details };
}
