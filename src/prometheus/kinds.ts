import { LoadBalancer } from '../balancing/index.js';
import { TieredCache } from '../cache/index.js';
import { ClusterBusRelay } from '../cluster/index.js';
import { healthStatuses } from '../core/HealthCheck.js';
import { HealthMonitor } from '../health/index.js';
import { ConnectionPool, ConnectionPoolManager, type PoolStats } from '../pool/index.js';
import { BatchProcessor, PriorityTaskQueue } from '../queue/index.js';
import { CircuitBreaker, RateLimiter } from '../resilience/index.js';
import { WorkerThreadPool } from '../threads/index.js';
import { type FamilyBuilder, isLatencySnapshot, isReading } from './FamilyBuilder.js';

type Labels = Readonly<Record<string, string>>;
type Stats = Readonly<Record<string, unknown>>;

/** `[stats field, metric name after the module, type, help]`; counters end in `_total`. */
type Field = readonly [field: string, metric: string, type: 'counter' | 'gauge', help: string];

/** How one primitive's `stats()` maps to families. @internal */
export type Kind = {
  /** Short module name, the metric names' second segment. */
  readonly module: string;
  /** Whether `source` is this primitive. */
  readonly is: (source: object) => boolean;
  /** Emits the families of one `stats()` snapshot. */
  readonly map: (b: FamilyBuilder, stats: Stats, labels: Labels) => void;
};

function fields(
  b: FamilyBuilder,
  module: string,
  stats: Stats,
  table: readonly Field[],
  labels: Labels,
): void {
  for (const [field, metric, type, help] of table) {
    if (type === 'counter') b.counter(`${module}_${metric}`, help, stats[field], labels);
    else b.gauge(`${module}_${metric}`, help, stats[field], labels);
  }
}

const THREADS: readonly Field[] = [
  ['threads', 'workers', 'gauge', 'Worker threads alive (starting, busy or idle).'],
  ['busy', 'workers_busy', 'gauge', 'Worker threads with at least one task handed to them.'],
  ['queued', 'tasks_queued', 'gauge', 'Tasks waiting in the queue.'],
  ['running', 'tasks_running', 'gauge', 'Tasks handed to threads and not finished.'],
  ['completed', 'tasks_completed_total', 'counter', 'Tasks that resolved.'],
  [
    'failed',
    'tasks_failed_total',
    'counter',
    'Tasks that rejected (thrown, crashed, aborted, timed out, refused).',
  ],
  ['crashes', 'worker_crashes_total', 'counter', 'Threads replaced after exiting or crashing by themselves.'],
  [
    'utilization',
    'utilization_ratio',
    'gauge',
    'Share of the pool capacity spent running tasks since creation (0-1).',
  ],
];

const QUEUE: readonly Field[] = [
  ['queued', 'tasks_queued', 'gauge', 'Tasks waiting to start, deferred ones included.'],
  ['deferred', 'tasks_deferred', 'gauge', 'Waiting tasks held back because the load is critical.'],
  ['running', 'tasks_running', 'gauge', 'Tasks running.'],
  ['concurrency', 'concurrency', 'gauge', 'Concurrency in force (lowered while the load is degraded).'],
  ['paused', 'paused', 'gauge', '1 when the queue is paused.'],
  ['added', 'tasks_added_total', 'counter', 'Tasks accepted by add.'],
  ['started', 'tasks_started_total', 'counter', 'Tasks started.'],
  ['completed', 'tasks_completed_total', 'counter', 'Tasks that resolved.'],
  ['failed', 'tasks_failed_total', 'counter', 'Tasks that rejected after starting.'],
  ['timedOut', 'tasks_timed_out_total', 'counter', 'Tasks that timed out on their last attempt.'],
  ['retries', 'task_retries_total', 'counter', 'Retries made (attempts after the first).'],
  ['shed', 'tasks_shed_total', 'counter', 'Tasks refused at add by load shedding.'],
  ['rejectedFull', 'tasks_rejected_total', 'counter', 'Tasks refused at add because the queue was full.'],
  ['aborted', 'tasks_aborted_total', 'counter', 'Tasks aborted by their caller.'],
];

const BATCH: readonly Field[] = [
  ['buffered', 'items_buffered', 'gauge', 'Items waiting for the next batch.'],
  [
    'pendingItems',
    'items_pending',
    'gauge',
    'Items added and not yet settled (buffered or in a running batch).',
  ],
  ['batchesInFlight', 'batches_in_flight', 'gauge', 'Batches being handled now.'],
  ['batches', 'batches_total', 'counter', 'Batches handed to the handler.'],
  ['itemsCompleted', 'items_completed_total', 'counter', 'Items whose batch succeeded.'],
  ['itemsFailed', 'items_failed_total', 'counter', 'Items whose batch failed.'],
  ['batchRetries', 'retries_total', 'counter', 'Retries of failed batches.'],
];

const POOL: readonly Field[] = [
  ['min', 'resources_min', 'gauge', 'Configured minimum of resources.'],
  ['max', 'resources_max', 'gauge', 'Current maximum of resources (moved by resize and adaptive sizing).'],
  ['size', 'resources', 'gauge', 'Resources open: borrowed + idle + being validated.'],
  ['idle', 'resources_idle', 'gauge', 'Resources idle in the pool.'],
  ['borrowed', 'resources_borrowed', 'gauge', 'Resources borrowed.'],
  ['creating', 'resources_creating', 'gauge', 'Resources being made.'],
  ['waiting', 'acquires_waiting', 'gauge', 'Acquires waiting for a resource.'],
  ['acquired', 'acquires_total', 'counter', 'Acquires served.'],
  ['timedOut', 'acquire_timeouts_total', 'counter', 'Acquires that timed out.'],
  ['aborted', 'acquires_aborted_total', 'counter', 'Acquires aborted by their signal while waiting.'],
  ['created', 'resources_created_total', 'counter', 'Resources made.'],
  ['destroyed', 'resources_destroyed_total', 'counter', 'Resources destroyed.'],
  ['createFailures', 'create_failures_total', 'counter', 'Resource creation failures.'],
  ['validationFailures', 'validation_failures_total', 'counter', 'Resources that failed validation.'],
  ['leaks', 'leaks_total', 'counter', 'Leases reported by leak detection.'],
  ['adaptiveResizes', 'resizes_total', 'counter', 'Changes of max by adaptive sizing.'],
];

const CACHE: readonly Field[] = [
  ['hits', 'hits_total', 'counter', 'Reads answered from a tier (cached "not found" included).'],
  ['misses', 'misses_total', 'counter', 'Reads that found no fresh entry in any tier.'],
  ['loaderCalls', 'loader_calls_total', 'counter', 'Loader runs.'],
  ['loaderErrors', 'loader_errors_total', 'counter', 'Loader runs that failed.'],
  [
    'stampedesCollapsed',
    'stampedes_collapsed_total',
    'counter',
    'getOrSet calls that joined a load already running.',
  ],
  ['staleServed', 'stale_served_total', 'counter', 'Stale values returned.'],
  ['refreshes', 'refreshes_total', 'counter', 'Background refreshes started.'],
  ['locksAcquired', 'locks_acquired_total', 'counter', 'Cross-process locks taken.'],
  ['lockWaits', 'lock_waits_total', 'counter', "Waits for another process's lock."],
  ['invalidationsSent', 'invalidations_sent_total', 'counter', 'Invalidations published on the bus.'],
  [
    'invalidationsFailed',
    'invalidations_failed_total',
    'counter',
    'Invalidations the bus failed to publish.',
  ],
  [
    'invalidationsReceived',
    'invalidations_received_total',
    'counter',
    'Invalidations received from other processes.',
  ],
];

const TIER: readonly Field[] = [
  ['hits', 'tier_hits_total', 'counter', 'Reads that found a usable entry in this tier.'],
  ['misses', 'tier_misses_total', 'counter', 'Reads that found no usable entry in this tier.'],
  ['skipped', 'tier_skipped_total', 'counter', "Calls not made because the tier's breaker was open."],
  ['errors', 'tier_errors_total', 'counter', 'Tier calls that failed or timed out.'],
];

const BALANCER: readonly Field[] = [
  ['inFlight', 'requests_in_flight', 'gauge', 'Requests running now.'],
  ['requests', 'requests_total', 'counter', 'Requests started.'],
  ['failures', 'failures_total', 'counter', 'Requests that failed.'],
  ['noTarget', 'no_target_total', 'counter', 'Requests refused because no backend was available.'],
];

const BACKEND: readonly Field[] = [
  ['weight', 'backend_weight', 'gauge', 'Backend weight.'],
  ['inFlight', 'backend_requests_in_flight', 'gauge', 'Requests running on the backend.'],
  ['requests', 'backend_requests_total', 'counter', 'Requests sent to the backend.'],
  ['failures', 'backend_failures_total', 'counter', 'Requests to the backend that failed.'],
  ['consecutiveFailures', 'backend_consecutive_failures', 'gauge', 'Failures in a row.'],
  ['ejections', 'backend_ejections_total', 'counter', 'Times outlier detection ejected the backend.'],
];

const BREAKER: readonly Field[] = [
  ['isolated', 'isolated', 'gauge', '1 when the breaker is isolated (held open by hand).'],
  ['calls', 'calls_total', 'counter', 'Calls made through the breaker.'],
  ['successes', 'successes_total', 'counter', 'Calls that succeeded.'],
  ['failures', 'failures_total', 'counter', 'Calls that failed.'],
  ['timeouts', 'timeouts_total', 'counter', 'Calls that timed out.'],
  ['aborts', 'aborts_total', 'counter', 'Calls aborted by their caller.'],
  ['rejections', 'rejections_total', 'counter', 'Calls refused because the breaker was open.'],
  ['opened', 'opened_total', 'counter', 'Times the breaker opened.'],
  ['consecutiveFailures', 'consecutive_failures', 'gauge', 'Failures in a row.'],
];

const RATE_LIMIT: readonly Field[] = [
  ['allowed', 'allowed_total', 'counter', 'Calls the store allowed.'],
  ['denied', 'denied_total', 'counter', 'Calls the store denied (429s).'],
  [
    'degraded',
    'degraded_total',
    'counter',
    'Calls answered by the store-failure policy instead of the store.',
  ],
  ['pending', 'pending', 'gauge', 'Calls waiting on the store now.'],
];

const BUS: readonly Field[] = [
  ['relayed', 'messages_relayed_total', 'counter', 'Messages relayed between workers.'],
  ['published', 'messages_published_total', 'counter', 'Messages published by workers.'],
  ['sent', 'messages_sent_total', 'counter', 'Deliveries sent to workers.'],
  ['sendFailures', 'send_failures_total', 'counter', 'Deliveries that failed to send.'],
];

const HEALTH: readonly Field[] = [
  ['eventLoopUtilization', 'event_loop_utilization_ratio', 'gauge', 'Event-loop utilisation (0-1).'],
  ['heapUsedBytes', 'heap_used_bytes', 'gauge', 'V8 heap used.'],
  ['heapLimitBytes', 'heap_limit_bytes', 'gauge', 'V8 heap limit.'],
  ['rssBytes', 'resident_memory_bytes', 'gauge', 'Resident set size.'],
  ['shuttingDown', 'shutting_down', 'gauge', '1 once shutdown began.'],
  ['shedRequests', 'shed_requests_total', 'counter', 'Requests refused by load shedding.'],
  ['samples', 'samples_total', 'counter', 'Samples taken.'],
];

function pool(b: FamilyBuilder, stats: PoolStats | Stats, labels: Labels): void {
  fields(b, 'pool', stats as Stats, POOL, labels);
  b.latency(
    'pool_acquire_wait_seconds',
    'Time from acquire to being handed a resource.',
    stats.acquireWait,
    labels,
  );
  b.latency('pool_hold_seconds', 'Time a resource was borrowed.', stats.holdTime, labels);
}

function record(value: unknown): Stats {
  return typeof value === 'object' && value !== null ? (value as Stats) : {};
}

/** The primitives `add` recognises, first match wins. @internal */
export const KINDS: readonly Kind[] = [
  {
    module: 'threads',
    is: (s) => s instanceof WorkerThreadPool,
    map: (b, stats, labels) => {
      fields(b, 'threads', stats, THREADS, labels);
      b.latency(
        'threads_task_duration_seconds',
        'Time tasks spent running in a thread.',
        stats.runTime,
        labels,
      );
      b.latency(
        'threads_task_wait_seconds',
        'Time tasks waited from run until handed to a thread.',
        stats.waitTime,
        labels,
      );
    },
  },
  {
    module: 'queue',
    is: (s) => s instanceof PriorityTaskQueue,
    map: (b, stats, labels) => {
      fields(b, 'queue', stats, QUEUE, labels);
      b.stateSet(
        'queue_load',
        'Load status last read from the load signal (1 for the current one).',
        'status',
        healthStatuses,
        stats.load,
        labels,
      );
    },
  },
  {
    module: 'batch',
    is: (s) => s instanceof BatchProcessor,
    map: (b, stats, labels) => {
      fields(b, 'batch', stats, BATCH, labels);
      for (const reason of ['size', 'time', 'manual'] as const) {
        b.counter(
          'batch_flushes_total',
          'Batches flushed, by what triggered the flush.',
          stats[`${reason}Flushes`],
          { ...labels, reason },
        );
      }
    },
  },
  {
    module: 'pool',
    is: (s) => s instanceof ConnectionPoolManager,
    map: (b, stats, labels) => {
      for (const [key, poolStats] of Object.entries(record(stats.pools)))
        pool(b, record(poolStats), { ...labels, pool: key });
    },
  },
  {
    module: 'pool',
    is: (s) => s instanceof ConnectionPool,
    map: (b, stats, labels) =>
      pool(b, stats, { ...labels, pool: typeof stats.name === 'string' ? stats.name : '' }),
  },
  {
    module: 'cache',
    is: (s) => s instanceof TieredCache,
    map: (b, stats, labels) => {
      fields(b, 'cache', stats, CACHE, labels);
      b.latency('cache_operation_seconds', 'Sampled get/getOrSet latency.', stats.latency, labels);
      for (const tier of Array.isArray(stats.tiers) ? (stats.tiers as unknown[]) : []) {
        const t = record(tier);
        const tierLabels = { ...labels, tier: String(t.name) };
        fields(b, 'cache', t, TIER, tierLabels);
        b.stateSet(
          'cache_tier_state',
          "Tier state: local, or its breaker's state (1 for the current one).",
          'state',
          ['local', 'closed', 'open', 'half-open'],
          t.state,
          tierLabels,
        );
      }
    },
  },
  {
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
  },
  {
    module: 'balancer',
    is: (s) => s instanceof LoadBalancer,
    map: (b, stats, labels) => {
      fields(b, 'balancer', stats, BALANCER, labels);
      for (const backend of Array.isArray(stats.backends) ? (stats.backends as unknown[]) : []) {
        const s = record(backend);
        const backendLabels = { ...labels, backend: String(s.id) };
        fields(b, 'balancer', s, BACKEND, backendLabels);
        b.stateSet(
          'balancer_backend_state',
          'Backend state (1 for the current one).',
          'state',
          ['up', 'down', 'ejected'],
          s.state,
          backendLabels,
        );
        b.gauge(
          'balancer_backend_ewma_latency_seconds',
          'Peak-EWMA latency estimate, when the picker keeps one.',
          s.ewmaMs,
          backendLabels,
          1 / 1000,
        );
        b.latency(
          'balancer_backend_latency_seconds',
          'Request latency on the backend.',
          s.latency,
          backendLabels,
        );
      }
    },
  },
  {
    module: 'ratelimit',
    is: (s) => s instanceof RateLimiter,
    map: (b, stats, labels) => fields(b, 'ratelimit', stats, RATE_LIMIT, labels),
  },
  {
    module: 'breaker',
    is: (s) => s instanceof CircuitBreaker,
    map: (b, stats, labels) => {
      b.stateSet(
        'breaker_state',
        'Breaker state (1 for the current one).',
        'state',
        ['closed', 'open', 'half-open'],
        stats.state,
        labels,
      );
      fields(b, 'breaker', stats, BREAKER, labels);
      const window = record(stats.window);
      b.gauge('breaker_window_calls', 'Calls in the current sampling window.', window.calls, labels);
      b.gauge('breaker_window_failures', 'Failures in the current sampling window.', window.failures, labels);
      b.gauge(
        'breaker_window_failure_ratio',
        'Failure ratio of the current sampling window (0-1).',
        window.failureRatio,
        labels,
      );
      b.latency(
        'breaker_call_duration_seconds',
        'Duration of calls through the breaker.',
        stats.latency,
        labels,
      );
    },
  },
  {
    module: 'bus',
    is: (s) => s instanceof ClusterBusRelay,
    map: (b, stats, labels) => {
      fields(b, 'bus', stats, BUS, labels);
      for (const [reason, count] of Object.entries(record(stats.droppedByReason))) {
        b.counter('bus_messages_dropped_total', 'Messages dropped, by reason.', count, { ...labels, reason });
      }
    },
  },
];

/**
 * The generic mapping for a `MetricsSource` that is not a known primitive: each finite number
 * (and boolean, as 1/0) becomes a gauge `<prefix>_<field_in_snake_case>`, except a number field
 * ending in `Total`, which becomes a counter `…_total` (the one way a plain snapshot can say
 * "this only grows"); a field ending in `Ms`
 * becomes `_seconds` (divided by 1000), one ending in `Bytes` becomes `_bytes`; a nested
 * latency snapshot becomes a summary; other nested objects are walked with their field name
 * joined by `_`; strings, arrays and `null` are left out.
 * @internal
 */
export function mapGeneric(b: FamilyBuilder, stats: Stats, labels: Labels, path = '', depth = 0): void {
  for (const [field, value] of Object.entries(stats)) {
    const name = path + snakeCase(field);
    if (isLatencySnapshot(value)) {
      b.latency(`${name}_seconds`, `${field} latency.`, value, labels);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      if (typeof value === 'number' && /.Total$/.test(field)) {
        b.counter(name, `${field}.`, value, labels);
      } else if (/.Ms$/.test(field)) {
        b.gauge(
          `${path}${snakeCase(field.slice(0, -2))}_seconds`,
          `${field} in seconds.`,
          value,
          labels,
          1 / 1000,
        );
      } else b.gauge(name, `${field}.`, value, labels);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 3) {
      mapGeneric(b, value as Stats, labels, `${name}_`, depth + 1);
    }
  }
}

/** `eventLoopDelayP99` → `event_loop_delay_p99`; `heapUsedBytes` → `heap_used_bytes`. */
export function snakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .toLowerCase();
}
