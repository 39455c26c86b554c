import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/Clock.js';
import type { HealthCheck, HealthStatus } from '../core/HealthCheck.js';
import type { EventLoopDelay, HealthSampler } from './HealthSample.js';

/**
 * The two levels of one metric's threshold. A sample at or above `degraded` makes the monitor
 * `degraded`; at or above `critical`, `critical`. Leave a level out to skip it (`{ critical: 500 }`
 * never reports `degraded` for that metric). When both are given, `degraded` must not exceed
 * `critical`.
 */
export type ThresholdLevels = {
  /** From this value up, the metric reports `degraded`. */
  readonly degraded?: number;
  /** From this value up, the metric reports `critical`. */
  readonly critical?: number;
};

/**
 * Per-metric thresholds of a {@link HealthMonitor}. A metric given here replaces its default
 * levels as a whole; `false` turns the metric off.
 */
export type HealthThresholds = {
  /**
   * p99 of the event-loop delay over one interval, in ms (see {@link ProcessSamplerOptions}
   * for why a single stall shows in the p99).
   * @default { degraded: 100, critical: 300 }
   */
  readonly eventLoopDelayMs?: ThresholdLevels | false;
  /**
   * Event-loop utilisation over one interval, from 0 to 1. No `critical` level by default: a
   * saturated loop with a short delay is serving at capacity, not overloaded (the delay rises
   * when requests queue).
   * @default { degraded: 0.9 }
   */
  readonly eventLoopUtilization?: ThresholdLevels | false;
  /**
   * V8 heap used divided by the heap's size limit (`--max-old-space-size`), from 0 to 1.
   * @default { degraded: 0.85, critical: 0.95 }
   */
  readonly heapUsedRatio?: ThresholdLevels | false;
  /**
   * Resident set size, in MiB. Off by default: the right limit depends on the container.
   * @default false
   */
  readonly rssMb?: ThresholdLevels | false;
  /**
   * CPU used by the process over one interval, in percent of one core. Off by default: event-loop
   * utilisation is the better busy signal for a single-threaded server.
   * @default false
   */
  readonly cpuPercent?: ThresholdLevels | false;
};

/** How a {@link HealthMonitor} avoids flapping between statuses. */
export type HealthHysteresis = {
  /**
   * Consecutive intervals a worse status must be seen before the monitor moves to it. `1` means
   * at once. Minimum: 1.
   * @default 1
   */
  readonly enterAfter?: number;
  /**
   * Consecutive intervals the metrics must stay below the recovery level (the threshold lowered
   * by `margin`) before the monitor moves to a better status. Minimum: 1.
   * @default 3
   */
  readonly recoverAfter?: number;
  /**
   * How far below a threshold a metric must fall to count towards recovery, as a fraction of the
   * threshold: with `0.1`, a 100 ms delay threshold recovers below 90 ms. From 0 to 1 (exclusive).
   * @default 0.1
   */
  readonly margin?: number;
};

/** Options of {@link HealthMonitor}. */
export type HealthMonitorOptions = {
  /**
   * Names the monitor as a {@link HealthCheck} (when another monitor or a balancer runs it).
   * @default 'health'
   */
  readonly name?: string;
  /**
   * Time between two samples (and two runs of the checks), in ms. The sampling timer is unref'd:
   * a monitor never keeps the process alive. Minimum: 1.
   * @default 1000
   */
  readonly intervalMs?: number;
  /** Per-metric levels; see {@link HealthThresholds} for the defaults. */
  readonly thresholds?: HealthThresholds;
  /** Flap protection; see {@link HealthHysteresis} for the defaults. */
  readonly hysteresis?: HealthHysteresis;
  /**
   * Checks run every interval, concurrently (a Redis ping, a pool's saturation…). A check's
   * status counts like a metric's; one that rejects or exceeds `checkTimeoutMs` counts as
   * `critical`. Names must be unique.
   * @default []
   */
  readonly checks?: readonly HealthCheck[];
  /**
   * Time limit of each check, in ms; the check's signal is aborted when it passes. Minimum: 1.
   * @default 1000
   */
  readonly checkTimeoutMs?: number;
  /**
   * Where the measurements come from. Inject a scripted sampler in tests.
   * @default a new {@link ProcessSampler}
   */
  readonly sampler?: HealthSampler;
  /**
   * Stamps status changes ({@link LoadChange.at}) and check latencies.
   * @default systemClock (`performance.now()`)
   */
  readonly clock?: Clock;
};

/** The state of one user check, as of its latest run. */
export type HealthCheckState = {
  /** The check's verdict: `critical` when it rejected or timed out. */
  readonly status: HealthStatus;
  /** How long the check took, in ms (the timeout when it timed out). */
  readonly latencyMs: number;
  /** The check's own explanation, when it gave one. */
  readonly message?: string;
  /** Why the check failed: its rejection's message, or the timeout. */
  readonly error?: string;
};

/**
 * Everything a {@link HealthMonitor} knows, as of its latest sample: plain numbers and strings,
 * safe to `JSON.stringify`, send over IPC to a cluster primary and feed to {@link aggregateHealth}.
 */
export type HealthSnapshot = {
  /** The status after thresholds and hysteresis. */
  readonly status: HealthStatus;
  /**
   * Why: every threshold the latest sample crossed and every failing check, e.g.
   * `event loop delay p99 182 ms >= 100 ms (degraded)`; while hysteresis holds a status the
   * metrics no longer justify, a `recovering: …` entry. Empty when healthy.
   */
  readonly reasons: readonly string[];
  /** When the sample was taken, in ms since the epoch (`Date.now()`); `0` before the first. */
  readonly at: number;
  /** Event-loop delay over the latest interval, in ms. */
  readonly eventLoopDelay: EventLoopDelay;
  /** Event-loop utilisation over the latest interval, from 0 to 1. */
  readonly eventLoopUtilization: number;
  /** V8 heap in use, in bytes. */
  readonly heapUsedBytes: number;
  /** V8 heap size limit, in bytes. */
  readonly heapLimitBytes: number;
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
  /** CPU used over the latest interval, in percent of one core. */
  readonly cpuPercent: number;
  /** Each check's latest result, by check name; empty until the checks first ran. */
  readonly checks: Readonly<Record<string, HealthCheckState>>;
  /** Whether shutdown has begun (readiness answers 503). */
  readonly shuttingDown: boolean;
  /** Requests the monitor's load-shedding handlers have refused so far. */
  readonly shedRequests: number;
  /** Samples taken so far. */
  readonly samples: number;
};

/** Payload of the `status:changed` event. */
export type HealthStatusChangedEvent = {
  /** The new status. */
  readonly status: HealthStatus;
  /** The status before. */
  readonly previous: HealthStatus;
  /** The snapshot that caused the change. */
  readonly snapshot: HealthSnapshot;
};

/** Payload of the `shutdown:began` event. */
export type HealthShutdownBeganEvent = {
  /** When shutdown began, in ms since the epoch. */
  readonly at: number;
};

/**
 * Events of {@link HealthMonitor}. Listener errors are reported as process warnings
 * (`LOADSTONE_WARN_HEALTH_LISTENER_THREW`) and never stop sampling.
 */
export type HealthMonitorEvents = {
  /** The status moved (after hysteresis). */
  'status:changed': [event: HealthStatusChangedEvent];
  /** A sample was taken and evaluated (every interval): forward it to a cluster primary, export it. */
  'snapshot:taken': [snapshot: HealthSnapshot];
  /** `beginShutdown()` (or `close()`) was called for the first time. */
  'shutdown:began': [event: HealthShutdownBeganEvent];
};

/** Options of {@link HealthMonitor.readinessHandler}. */
export type ReadinessOptions = {
  /**
   * From which status on readiness answers 503 (besides shutdown, which always does): `critical`,
   * `degraded`, or `false` for never. Failing readiness on overload takes the pod out of the
   * Service; when every replica is overloaded at once, that leaves no endpoints at all. Use `false`
   * and shed with {@link HealthMonitor.loadShedding} instead when that risk matters more.
   * @default 'critical'
   */
  readonly unreadyFrom?: 'degraded' | 'critical' | false;
  /**
   * Whether the body carries the whole {@link HealthSnapshot} (memory, event-loop figures,
   * reasons, check results) or only `{ ready, status, shuttingDown }`. Probes read the status
   * code only; the detail belongs on a private port, not on the public one.
   * @default false
   */
  readonly detail?: boolean;
};

/** Options of {@link HealthMonitor.loadShedding}. */
export type LoadSheddingOptions = {
  /**
   * Requests that are never shed, besides the health paths: a predicate, or paths (a path
   * matches itself and everything below it: `/admin` matches `/admin/users`; the query string is
   * ignored).
   * @default none
   */
  readonly allow?: ((req: IncomingMessage) => boolean) | readonly string[];
  /**
   * Paths of the probes, never shed, matched like `allow` paths.
   * @default ['/health', '/healthz', '/live', '/livez', '/liveness', '/ready', '/readyz', '/readiness', '/startup', '/startupz']
   */
  readonly healthPaths?: readonly string[];
  /**
   * Value of the `Retry-After` header on a shed response, in whole seconds. Minimum: 0.
   * @default 5
   */
  readonly retryAfterSeconds?: number;
  /**
   * From which status on requests are shed: `critical` (default), or `degraded` to shed earlier.
   * Not with `priority`, which sheds by level from degraded on.
   * @default 'critical'
   */
  readonly shedFrom?: 'degraded' | 'critical';
  /**
   * Shed by priority instead of everyone alike: the lowest levels while degraded, every level but
   * the highest while critical, so paying users are the last to get 503.
   * @default undefined (every request alike)
   */
  readonly priority?: PrioritySheddingOptions;
};

/**
 * Priority shedding for {@link HealthMonitor.loadShedding}: `classify` names each request's level,
 * one of `levels` (highest first, as `PriorityTaskQueue`'s `priorities`). While the monitor is
 * degraded the `shedWhenDegraded` lowest levels are shed; while critical, every level but the
 * highest. Health paths and `allow` are never shed. A name not among the levels counts as the
 * lowest. The same function can pick a `LoadBalancer` affinity group (`ctx.group`), so one
 * function decides a request's tier everywhere.
 */
export type PrioritySheddingOptions = {
  /** Level names, highest first; at least two, distinct. */
  readonly levels: readonly string[];
  /**
   * The level of a request, e.g. from its API key's plan. Called for every request while the
   * monitor is degraded or critical (not while healthy); if it throws, the error goes to `next`.
   */
  readonly classify: (req: IncomingMessage) => string;
  /**
   * How many of the lowest levels are shed while degraded. From 1 to `levels.length - 1`.
   * @default 1
   */
  readonly shedWhenDegraded?: number;
};
