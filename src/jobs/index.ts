/**
 * A durable job queue. Producers add jobs to a JobQueue; JobWorkers in any process run them, at
 * least once, in order per key, with retries, delays and priorities.
 *
 * @module loadstone/jobs
 */
export type {
  JobCompletedEvent,
  JobDeadEvent,
  JobFailedEvent,
  JobQueueEvents,
  JobStalledEvent,
  StoreFailedEvent,
} from './events.js';
export type { Job, JobInfo } from './Job.js';
export { JobQueue } from './JobQueue.js';
export type {
  AddJobOptions,
  BulkJob,
  GetJobOptions,
  JobBackoffOptions,
  JobQueueOptions,
  KeepCompletedOptions,
  RetryDeadOptions,
} from './JobQueueOptions.js';
export type { JobQueueStats } from './JobQueueStats.js';
export type {
  AddOutcome,
  CompleteSettlement,
  DeadSettlement,
  JobBackoff,
  JobCounts,
  JobState,
  JobStore,
  LeasedJob,
  NewJob,
  ReleaseSettlement,
  RetrySettlement,
  Settlement,
  SettlementLease,
  StoredJob,
  TakeRequest,
  TakeResult,
} from './JobStore.js';
export { JobWorker } from './JobWorker.js';
export type {
  JobHandler,
  JobRateOptions,
  JobWorkerCloseOptions,
  JobWorkerOptions,
} from './JobWorkerOptions.js';
export { MemoryJobStore } from './MemoryJobStore.js';
export type { RedisJobClient, RedisJobStoreOptions, RedisJobSubscriber } from './RedisJobStore.js';
export { RedisJobStore } from './RedisJobStore.js';
