/**
 * PriorityTaskQueue and BatchProcessor.
 *
 * @module loadstone/queue
 */

export { BatchProcessor } from './BatchProcessor.js';
export type { BatchHandler, BatchProcessorOptions, BatchProcessorStats } from './BatchProcessorOptions.js';
export { PriorityTaskQueue } from './PriorityTaskQueue.js';
export type {
  AddOptions,
  AgingOptions,
  Priority,
  PriorityTaskQueueEvents,
  PriorityTaskQueueOptions,
  PriorityTaskQueueStats,
  QueueLoadChangedEvent,
  RateCapOptions,
  ShedOptions,
  Task,
  TaskContext,
  TaskRetryOptions,
  TaskShedEvent,
  WaitOptions,
} from './PriorityTaskQueueOptions.js';
