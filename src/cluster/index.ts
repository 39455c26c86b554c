/**
 * Run a server on every core, with crash recovery, graceful shutdown and zero-downtime rolling
 * reloads.
 *
 * @module loadstone/cluster
 */

export * from './bus/index.js';
export type { ClusterStats, WorkerStartReason, WorkerState, WorkerStats } from './ClusterStats.js';
export { ClusterSupervisor } from './ClusterSupervisor.js';
export type {
  AutoscaleOptions,
  ClusterHistoryOptions,
  ClusterSupervisorOptions,
  MemoryMetric,
  MetricsEndpointOptions,
  StickyOptions,
} from './ClusterSupervisorOptions.js';
export { ClusterWorker } from './ClusterWorker.js';
export type {
  ClusterSupervisorEvents,
  CrashLoopEvent,
  MessageDroppedEvent,
  ReloadCompletedEvent,
  ScaledEvent,
  WorkerExitedEvent,
  WorkerReadyEvent,
  WorkerRetiredEvent,
  WorkerStartedEvent,
  WorkerUnhealthyEvent,
} from './events.js';
export type { LoadstoneMessage } from './protocol.js';
export { isLoadstoneMessage, PROTOCOL_VERSION } from './protocol.js';
export * from './state/index.js';
export * from './sticky/index.js';
export { supervise } from './supervise.js';
export type {
  ServerFactory,
  ShutdownAwareHealth,
  ShutdownCloseable,
  WorkerContext,
} from './WorkerContext.js';
