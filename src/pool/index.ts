/**
 * Named connection pools with run-time resizing, adaptive sizing, validation, eviction, leak
 * detection and acquire-wait / hold-time percentiles.
 *
 * @module loadstone/pool
 */
export { ConnectionPool } from './ConnectionPool.js';
export { ConnectionPoolManager } from './ConnectionPoolManager.js';
export type {
  AcquireOptions,
  AdaptiveSizingOptions,
  ConnectionPoolEvents,
  ConnectionPoolManagerOptions,
  ConnectionPoolManagerStats,
  ConnectionPoolOptions,
  CreateFailedEvent,
  CreatePolicy,
  LeaseLeakedEvent,
  PoolFactory,
  PoolResizedEvent,
  PoolResizeReason,
  PoolStats,
  ResizeOptions,
  ResourceCreatedEvent,
  ResourceDestroyedEvent,
  ResourceDestroyReason,
} from './ConnectionPoolOptions.js';
