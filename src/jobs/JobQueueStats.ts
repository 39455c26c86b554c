import type { LatencySnapshot } from '../core/LatencyRecorder.js';
import type { JobCounts } from './JobStore.js';

/** What {@link JobQueue.stats} reports: this process's view of the queue. */
export type JobQueueStats = {
  /** The queue's name. */
  readonly name: string;
  /** The counts from the last `counts()` call (workers refresh them), or `null` before any. */
  readonly counts: JobCounts | null;
  /** Jobs this process's workers completed. */
  readonly completed: number;
  /** Attempts that failed and will be retried. */
  readonly failed: number;
  /** Jobs that went dead here. */
  readonly dead: number;
  /** Expired leases this process's workers recovered. */
  readonly stalled: number;
  /** From a job being due to its handler starting, in ms. */
  readonly waitMs: LatencySnapshot;
  /** Handler run time, in ms. */
  readonly runMs: LatencySnapshot;
};
