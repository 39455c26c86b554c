import type { JsonValue } from '../core/Json.js';

// The doc links below name `WorkerContext` and `ClusterSupervisor` without importing them (TypeDoc
// resolves them by name): WorkerContext links back here, and a type import would make a cycle.

/** Lifecycle state of one worker process as the primary sees it. */
export type WorkerState = 'starting' | 'ready' | 'draining';

/** Why a worker was started. */
export type WorkerStartReason = 'initial' | 'crash' | 'reload' | 'memory' | 'heartbeat' | 'scale';

/** One worker's figures, from its latest heartbeat (zeros until the first one arrives). */
export type WorkerStats = {
  /** Stable slot id (`'w0'`, `'w1'` …); a replacement keeps its predecessor's slot. */
  readonly slot: string;
  /** `cluster` worker id. */
  readonly id: number;
  /** Process id. */
  readonly pid: number;
  /** Lifecycle state. */
  readonly state: WorkerState;
  /** Milliseconds since the fork. */
  readonly uptimeMs: number;
  /** Times this slot's worker was restarted after a crash. */
  readonly restarts: number;
  /** Resident set size in bytes. */
  readonly rssBytes: number;
  /** V8 heap used in bytes. */
  readonly heapUsedBytes: number;
  /** Mean event-loop delay over the last heartbeat interval, in milliseconds. */
  readonly eventLoopDelayMs: number;
  /** 99th percentile event-loop delay over the last heartbeat interval, in milliseconds. */
  readonly eventLoopDelayP99Ms: number;
  /** Event-loop utilisation (0–1) over the last heartbeat interval. */
  readonly eventLoopUtilization: number;
  /** HTTP requests being served now. */
  readonly requestsInFlight: number;
  /** HTTP requests received since the worker started. */
  readonly requestsTotal: number;
  /** Connections open in the worker now. */
  readonly connections: number;
  /** Connections the worker refused since it started, past `maxConnectionsPerWorker`. */
  readonly connectionsRefused: number;
  /** Milliseconds since the last heartbeat (`-1` before the first). */
  readonly lastHeartbeatAgeMs: number;
  /** The worker's health snapshot, when it registered a health monitor. */
  readonly health?: JsonValue;
  /**
   * The metric families the worker sent with its latest heartbeat, when it called
   * {@link WorkerContext.useMetrics}: an array of `{ name, help, type, values: [{ value, labels,
   * metricName? }] }`, already validated (a malformed one is dropped and counted in
   * {@link ClusterStats.droppedMessages}). `PrometheusExporter.addSupervisor` serves them.
   */
  readonly metrics?: JsonValue;
};

/** {@link ClusterSupervisor.stats}: the primary's view of the cluster. */
export type ClusterStats = {
  /** `'idle'` before start, `'running'`, `'stopping'`, `'stopped'`, or `'crashed'` after a crash loop. */
  readonly state: 'idle' | 'running' | 'stopping' | 'stopped' | 'crashed';
  /** Workers the supervisor keeps (changes with autoscaling). */
  readonly desiredWorkers: number;
  /** Every live worker, including ones starting and draining. */
  readonly workers: readonly WorkerStats[];
  /** Restarts after crashes since start. */
  readonly restarts: number;
  /** Unexpected worker exits since start. */
  readonly crashes: number;
  /** Loadstone IPC messages from workers that were malformed or unexpected and dropped. */
  readonly droppedMessages: number;
  /** Completed rolling reloads. */
  readonly reloads: number;
  /**
   * Connections refused past `maxConnectionsPerWorker` since start: by the workers (as of their
   * latest heartbeats, exited workers included) and, with `sticky`, by the primary when every
   * worker was full.
   */
  readonly connectionsRefused: number;
};
