/**
 * A pool of worker threads for CPU work, faster than piscina.
 *
 * @module loadstone/threads
 */
export type { Transferred } from './transfer.js';
export { transfer } from './transfer.js';
export { WorkerThreadPool } from './WorkerThreadPool.js';
export type {
  ThreadCreatedEvent,
  ThreadExitedEvent,
  ThreadExitReason,
  ThreadRunOptions,
  WorkerThreadPoolEvents,
  WorkerThreadPoolOptions,
  WorkerThreadPoolStats,
} from './WorkerThreadPoolOptions.js';
