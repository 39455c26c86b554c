import type { JobState } from './JobStore.js';

/** A job as its handler receives it. */
export type Job<D> = {
  /** The job's id. */
  readonly id: string;
  /** The payload, parsed from JSON: a fresh copy for each attempt. */
  readonly data: D;
  /** This attempt's number, from 1: failures so far + 1 (interruptions do not count). */
  readonly attempt: number;
  /** The job's key, if it was added with one. */
  readonly key: string | undefined;
  /** The job's priority level. */
  readonly priority: string;
  /** When it was added, in ms since the epoch. */
  readonly addedAt: number;
  /** Times it was interrupted before (a lost lease, a hand-back at a worker's close). */
  readonly interruptions: number;
};

/** A job as {@link JobQueue.getJob} reports it. */
export type JobInfo<D> = Omit<Job<D>, 'attempt'> & {
  /** Where it is now. */
  readonly state: JobState;
  /** Failures so far. */
  readonly failures: number;
  /** Failures allowed before it goes dead. */
  readonly attempts: number;
  /** The last failure's reason, if any. */
  readonly lastError: string | undefined;
  /** Not before this time, in ms since the epoch (its delay, or its next retry). */
  readonly dueAt: number;
  /** When it completed or went dead, in ms since the epoch. */
  readonly finishedAt: number | undefined;
  /** The handler's result, parsed from JSON, once completed. */
  readonly result: unknown;
};
