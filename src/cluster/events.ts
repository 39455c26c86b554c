import type { WorkerStartReason } from './ClusterStats.js';

/** Payload of `worker:started`. */
export type WorkerStartedEvent = {
  /** Slot id. */
  readonly slot: string;
  /** Process id. */
  readonly pid: number;
  /** Why it was started. */
  readonly reason: WorkerStartReason;
};

/** Payload of `worker:ready`. */
export type WorkerReadyEvent = {
  /** Slot id. */
  readonly slot: string;
  /** Process id. */
  readonly pid: number;
  /** Milliseconds from fork to ready. */
  readonly startupMs: number;
  /** Port the server listens on (`undefined` in sticky mode, where the primary listens). */
  readonly port: number | undefined;
};

/** Payload of `worker:exited`. */
export type WorkerExitedEvent = {
  /** Slot id. */
  readonly slot: string;
  /** Process id. */
  readonly pid: number;
  /** Exit code, or `null` when killed by a signal. */
  readonly code: number | null;
  /** Signal that killed it, or `null`. */
  readonly signal: string | null;
  /** `false` for a crash (it was not asked to stop). */
  readonly expected: boolean;
  /** Milliseconds it lived. */
  readonly uptimeMs: number;
  /** Why it failed to start, when it reported a start failure. */
  readonly error?: string;
};

/** Payload of `worker:retired`: a drained worker (reload, replacement, scale-down, stop) exited. */
export type WorkerRetiredEvent = {
  /** Slot id. */
  readonly slot: string;
  /** Process id. */
  readonly pid: number;
  /** Milliseconds from the drain request to its exit: how long the retiring worker lingered. */
  readonly lingerMs: number;
  /** `true` when it had to be killed after `shutdownTimeoutMs`. */
  readonly killed: boolean;
};

/** Payload of `worker:unhealthy`: a worker is being replaced. */
export type WorkerUnhealthyEvent = {
  /** Slot id. */
  readonly slot: string;
  /** Process id. */
  readonly pid: number;
  /** `'memory'` over `maxMemoryMb`, or `'heartbeat'` missing for `heartbeatTimeoutMs`. */
  readonly reason: 'memory' | 'heartbeat';
  /** Bytes for `'memory'`, milliseconds since the last heartbeat for `'heartbeat'`. */
  readonly value: number;
};

/** Payload of `crashloop:detected`. */
export type CrashLoopEvent = {
  /** Unexpected exits within the window. */
  readonly crashes: number;
  /** The window in milliseconds. */
  readonly windowMs: number;
  /** The last crash: its slot, exit code, signal and reported start error. */
  readonly cause: {
    /** Slot of the last crashed worker. */
    readonly slot: string;
    /** Its exit code, or `null` when killed by a signal. */
    readonly code: number | null;
    /** The signal that killed it, or `null`. */
    readonly signal: string | null;
    /** The error it reported when its factory or `ready()` threw (message and stack). */
    readonly error?: string;
  };
};

/** Payload of `reload:completed`. */
export type ReloadCompletedEvent = {
  /** Milliseconds from the reload call until every old worker exited. */
  readonly durationMs: number;
  /** Workers replaced. */
  readonly replaced: number;
};

/** Payload of `message:dropped`. */
export type MessageDroppedEvent = {
  /** Sender's pid. */
  readonly pid: number;
  /** The envelope's type, when it had one. */
  readonly type: string | undefined;
  /** Why it was dropped. */
  readonly reason: string;
};

/** Payload of `workers:scaled`. */
export type ScaledEvent = {
  /** Worker count before. */
  readonly from: number;
  /** Worker count after. */
  readonly to: number;
  /** Mean event-loop utilisation of the ready workers over the interval (what triggered it without a `target`). */
  readonly utilization: number;
  /** The worker count `autoscale.target()` asked for, when one is configured. */
  readonly target?: number;
};

/** Events of {@link ClusterSupervisor} (primary only). */
export type ClusterSupervisorEvents = {
  /** A worker was forked. */
  'worker:started': [WorkerStartedEvent];
  /** A worker listens and its `ready()` resolved. */
  'worker:ready': [WorkerReadyEvent];
  /** A worker process exited (any reason). */
  'worker:exited': [WorkerExitedEvent];
  /** A draining worker exited; reports how long it lingered. */
  'worker:retired': [WorkerRetiredEvent];
  /** A worker exceeded its memory limit or missed heartbeats and is being replaced. */
  'worker:unhealthy': [WorkerUnhealthyEvent];
  /** Too many crashes in the window: restarts stopped. */
  'crashloop:detected': [CrashLoopEvent];
  /** A rolling reload finished. */
  'reload:completed': [ReloadCompletedEvent];
  /** A malformed or unexpected loadstone IPC message was dropped. */
  'message:dropped': [MessageDroppedEvent];
  /** Autoscaling changed the worker count. */
  'workers:scaled': [ScaledEvent];
  /** `stop()` finished: every worker exited. */
  'supervisor:stopped': [];
};
