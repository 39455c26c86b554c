import { healthStatuses } from '../core/HealthCheck.js';
import { HealthMonitor } from '../health/index.js';
import { isReading } from './FamilyBuilder.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const HEALTH: readonly Field[] = [
  ['eventLoopUtilization', 'event_loop_utilization_ratio', 'gauge', 'Event-loop utilisation (0-1).'],
  ['heapUsedBytes', 'heap_used_bytes', 'gauge', 'V8 heap used.'],
  ['heapLimitBytes', 'heap_limit_bytes', 'gauge', 'V8 heap limit.'],
  ['rssBytes', 'resident_memory_bytes', 'gauge', 'Resident set size.'],
  ['shuttingDown', 'shutting_down', 'gauge', '1 once shutdown began.'],
  ['shedRequests', 'shed_requests_total', 'counter', 'Requests refused by load shedding.'],
  ['samples', 'samples_total', 'counter', 'Samples taken.'],
];

/**
 * `HealthMonitor`: status, process measurements, event-loop delay and each check (label `check`).
 * @internal
 */
export const healthMonitorKind: Kind = {
  module: 'health',
  is: (s) => s instanceof HealthMonitor,
  map: (b, stats, labels) => {
    b.stateSet(
      'health_status',
      'Health status (1 for the current one).',
      'status',
      healthStatuses,
      stats.status,
      labels,
    );
    fields(b, 'health', stats, HEALTH, labels);
    const eld = record(stats.eventLoopDelay);
    b.quantiles(
      'health_event_loop_delay_seconds',
      'Event-loop delay over the last sampling interval.',
      [
        [0.5, eld.p50],
        [0.99, eld.p99],
      ],
      labels,
      1 / 1000,
    );
    b.gauge(
      'health_event_loop_delay_max_seconds',
      'Longest event-loop delay over the last sampling interval.',
      eld.max,
      labels,
      1 / 1000,
    );
    if (isReading(stats.cpuPercent))
      b.gauge(
        'health_cpu_ratio',
        'Process CPU use over the last sampling interval (1 = one core).',
        stats.cpuPercent / 100,
        labels,
      );
    for (const [check, state] of Object.entries(record(stats.checks))) {
      const c = record(state);
      const checkLabels = { ...labels, check };
      b.stateSet(
        'health_check_status',
        'Status of each health check (1 for the current one).',
        'status',
        healthStatuses,
        c.status,
        checkLabels,
      );
      b.gauge(
        'health_check_latency_seconds',
        'How long the check took last time.',
        c.latencyMs,
        checkLabels,
        1 / 1000,
      );
    }
  },
};
