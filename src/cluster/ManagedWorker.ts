import type { Worker } from 'node:cluster';
import type { JsonValue } from '../core/Json.js';
import type { WorkerStartReason, WorkerState } from './ClusterStats.js';
import type { Deferred } from './deferred.js';

/** A worker's latest heartbeat figures, validated. */
export type HeartbeatSample = {
  rss: number;
  heapUsed: number;
  eld: number;
  eldP99: number;
  elu: number;
  inFlight: number;
  requests: number;
  /** Connections open in the worker now. */
  connections: number;
  /** Connections the worker refused since it started (`maxConnectionsPerWorker`). */
  refused: number;
  health: unknown;
  metrics: JsonValue | undefined;
};

/** One forked worker process as the primary tracks it. */
export type ManagedWorker = {
  readonly worker: Worker;
  readonly pid: number;
  readonly slot: WorkerSlot;
  readonly reason: WorkerStartReason;
  readonly forkedAt: number;
  readonly ready: Deferred;
  readonly exited: Deferred;
  state: WorkerState;
  alive: boolean;
  retiring: boolean;
  killed: boolean;
  readyAt: number | undefined;
  lastHeartbeat: number | undefined;
  drainSentAt: number | undefined;
  sample: HeartbeatSample | undefined;
  startError: string | undefined;
  readyTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
};

/**
 * A place for one worker (`'w0'` …) that outlives its processes: a replacement or a restart keeps
 * the slot, and with it the sticky route and the restart count. While a replacement starts, the
 * slot holds both the serving worker (`current`) and the new one (`incoming`).
 */
export type WorkerSlot = {
  readonly id: string;
  current: ManagedWorker | undefined;
  incoming: ManagedWorker | undefined;
  restarts: number;
  consecutiveCrashes: number;
  restartTimer: NodeJS.Timeout | undefined;
  removed: boolean;
};
