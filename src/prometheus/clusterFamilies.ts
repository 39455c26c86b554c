import type { ClusterStats, WorkerStats } from '../cluster/index.js';
import { type FamilyBuilder, isReading } from './FamilyBuilder.js';
import type { MetricFamily, MetricSample } from './MetricFamily.js';

const MS = 1 / 1000;

/**
 * The `<prefix>_cluster_*` families of a supervisor's `stats()`, plus every worker's reported
 * families re-labelled `worker="<slot>"`. Draining workers are left out (their series vanish with
 * them), and of two live workers sharing a slot during a reload only one speaks for it (the ready
 * one, else the newest), so no series appears twice.
 * @internal
 */
export function mapCluster(b: FamilyBuilder, stats: ClusterStats): void {
  const states = { starting: 0, ready: 0, draining: 0 };
  for (const w of stats.workers) if (w.state in states) states[w.state]++;
  for (const [state, count] of Object.entries(states)) {
    b.gauge('cluster_workers', 'Live worker processes, by state.', count, { state });
  }
  b.stateSet(
    'cluster_state',
    'Supervisor state (1 for the current one): crashed after a crash loop.',
    'state',
    ['idle', 'running', 'stopping', 'stopped', 'crashed'],
    stats.state,
    {},
  );
  b.gauge('cluster_desired_workers', 'Workers the supervisor keeps.', stats.desiredWorkers, {});
  b.counter('cluster_restarts_total', 'Worker restarts after crashes.', stats.restarts, {});
  b.counter('cluster_crashes_total', 'Unexpected worker exits.', stats.crashes, {});
  b.counter('cluster_reloads_total', 'Completed rolling reloads.', stats.reloads, {});
  b.counter(
    'cluster_dropped_messages_total',
    'Malformed or unexpected IPC messages from workers, dropped.',
    stats.droppedMessages,
    {},
  );

  for (const w of speakers(stats.workers)) {
    const labels = { worker: w.slot };
    b.gauge(
      'cluster_worker_ready',
      '1 when the worker is ready, 0 while it starts.',
      w.state === 'ready',
      labels,
    );
    b.gauge('cluster_worker_uptime_seconds', 'Time since the worker was forked.', w.uptimeMs, labels, MS);
    b.counter(
      'cluster_worker_restarts_total',
      "Restarts of this worker's slot after crashes.",
      w.restarts,
      labels,
    );
    b.gauge('cluster_worker_resident_memory_bytes', 'Resident set size.', w.rssBytes, labels);
    b.gauge('cluster_worker_heap_used_bytes', 'V8 heap used.', w.heapUsedBytes, labels);
    b.gauge(
      'cluster_worker_event_loop_delay_seconds',
      'Mean event-loop delay over the last heartbeat interval.',
      w.eventLoopDelayMs,
      labels,
      MS,
    );
    b.gauge(
      'cluster_worker_event_loop_delay_p99_seconds',
      '99th percentile event-loop delay over the last heartbeat interval.',
      w.eventLoopDelayP99Ms,
      labels,
      MS,
    );
    b.gauge(
      'cluster_worker_event_loop_utilization_ratio',
      'Event-loop utilisation over the last heartbeat interval (0-1).',
      w.eventLoopUtilization,
      labels,
    );
    b.gauge('cluster_worker_requests_in_flight', 'HTTP requests being served.', w.requestsInFlight, labels);
    b.counter(
      'cluster_worker_requests_total',
      'HTTP requests received since the worker started.',
      w.requestsTotal,
      labels,
    );
    if (w.lastHeartbeatAgeMs >= 0) {
      b.gauge(
        'cluster_worker_heartbeat_age_seconds',
        'Time since the last heartbeat.',
        w.lastHeartbeatAgeMs,
        labels,
        MS,
      );
    }
    for (const family of reported(w.metrics)) b.merge(family, labels);
  }
}

function speakers(workers: readonly WorkerStats[]): WorkerStats[] {
  const bySlot = new Map<string, WorkerStats>();
  for (const w of workers) {
    if (w.state === 'draining') continue;
    const other = bySlot.get(w.slot);
    const better =
      other === undefined ||
      (w.state === 'ready' && other.state !== 'ready') ||
      (w.state === other.state && w.uptimeMs < other.uptimeMs);
    if (better) bySlot.set(w.slot, w);
  }
  return [...bySlot.values()];
}

/** The supervisor validated these; re-checked cheaply so a structural stand-in cannot break a scrape. */
function reported(metrics: unknown): MetricFamily[] {
  if (!Array.isArray(metrics)) return [];
  const families: MetricFamily[] = [];
  for (const f of metrics as unknown[]) {
    if (typeof f !== 'object' || f === null) continue;
    const { name, help, type, values } = f as Record<string, unknown>;
    if (
      typeof name !== 'string' ||
      typeof help !== 'string' ||
      typeof type !== 'string' ||
      !Array.isArray(values)
    )
      continue;
    const samples = (values as MetricSample[]).filter(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        isReading(v.value) &&
        typeof v.labels === 'object' &&
        v.labels !== null,
    );
    families.push({ name, help, type: type as MetricFamily['type'], values: samples });
  }
  return families;
}
