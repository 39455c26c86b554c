// `loadstone/threads`: a pool of worker threads for CPU work, faster than piscina.
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
