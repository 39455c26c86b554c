/** Payload of `job:completed`. */
export type JobCompletedEvent = {
  /** The job's id. */
  readonly id: string;
  /** The job's key, if any. */
  readonly key: string | undefined;
  /** The attempt that succeeded, from 1. */
  readonly attempt: number;
  /** How long the handler ran, in ms. */
  readonly durationMs: number;
};

/** Payload of `job:failed`: an attempt failed and the job will run again after `delayMs`. */
export type JobFailedEvent = {
  /** The job's id. */
  readonly id: string;
  /** The job's key, if any. */
  readonly key: string | undefined;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Why, e.g. `Error: timeout talking to SMTP` or `non-Error thrown: 42`. */
  readonly reason: string;
  /** The wait before the next attempt, in ms. */
  readonly delayMs: number;
};

/** Payload of `job:dead`: the last allowed attempt failed; `retryDead()` can put it back. */
export type JobDeadEvent = {
  /** The job's id. */
  readonly id: string;
  /** The job's key, if any: its next job may run now. */
  readonly key: string | undefined;
  /** The last attempt, from 1. */
  readonly attempt: number;
  /** Why it failed. */
  readonly reason: string;
};

/**
 * Payload of `job:stalled`: a job's lease expired (its worker died or stopped renewing) and
 * this process's worker put it back; it runs again, with no attempt used up.
 */
export type JobStalledEvent = {
  /** The job's id. */
  readonly id: string;
};

/** Payload of `store:failed`: a worker's call to the store failed; it waits and tries again. */
export type StoreFailedEvent = {
  /** The operation, e.g. `take` or `extend`. */
  readonly operation: string;
  /** What the store threw. */
  readonly error: unknown;
  /** The wait before the next try, in ms. */
  readonly retryInMs: number;
};

/** The events of a {@link JobQueue}: what this process's workers of the queue did. */
export type JobQueueEvents = {
  /** A job completed (the store holds its completion). */
  'job:completed': [JobCompletedEvent];
  /** An attempt failed; the job will run again after its backoff. */
  'job:failed': [JobFailedEvent];
  /** The last attempt failed; the job is in the dead set. */
  'job:dead': [JobDeadEvent];
  /** An expired lease was recovered; the job runs again, with no attempt used. */
  'job:stalled': [JobStalledEvent];
  /** A worker's store call failed; it tries again. */
  'store:failed': [StoreFailedEvent];
};
