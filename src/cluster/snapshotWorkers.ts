import { performance } from 'node:perf_hooks';
import type { JsonValue } from '../core/Json.js';
import type { WorkerStats } from './ClusterStats.js';
import type { ManagedWorker } from './ManagedWorker.js';

/**
 * Each live worker's figures for `ClusterSupervisor.stats()`, from its latest heartbeat, by slot
 * (`w2` before `w10`) and, within a slot, newest first.
 */
export function snapshotWorkers(managed: Iterable<ManagedWorker>): WorkerStats[] {
  const t = performance.now();
  const workers: WorkerStats[] = [];
  for (const m of managed) {
    const s = m.sample;
    workers.push({
      slot: m.slot.id,
      id: m.worker.id,
      pid: m.pid,
      state: m.state,
      uptimeMs: t - m.forkedAt,
      restarts: m.slot.restarts,
      rssBytes: s?.rss ?? 0,
      heapUsedBytes: s?.heapUsed ?? 0,
      eventLoopDelayMs: s?.eld ?? 0,
      eventLoopDelayP99Ms: s?.eldP99 ?? 0,
      eventLoopUtilization: s?.elu ?? 0,
      requestsInFlight: s?.inFlight ?? 0,
      requestsTotal: s?.requests ?? 0,
      connections: s?.connections ?? 0,
      connectionsRefused: s?.refused ?? 0,
      lastHeartbeatAgeMs: m.lastHeartbeat === undefined ? -1 : t - m.lastHeartbeat,
      ...(s?.health === undefined ? {} : { health: s.health as JsonValue }),
      ...(s?.metrics === undefined ? {} : { metrics: s.metrics }),
    });
  }
  workers.sort((a, b) => a.slot.localeCompare(b.slot, 'en', { numeric: true }) || a.uptimeMs - b.uptimeMs);
  return workers;
}
