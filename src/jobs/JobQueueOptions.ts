import type { Jitter } from '../resilience/index.js';
import type { JobStore } from './JobStore.js';

/** How failed jobs wait before their next attempt: the resilience module's `backoffDelay`. */
export type JobBackoffOptions = {
  /**
   * How the delays are randomised (AWS Architecture Blog, "Exponential Backoff And Jitter").
   * @default 'full'
   */
  readonly jitter?: Jitter;
  /**
   * The first retry waits up to this long, in ms, and each later one up to twice as long.
   * Minimum: 0.
   * @default 1_000
   */
  readonly baseDelayMs?: number;
  /**
   * No retry waits longer, in ms. Minimum: `baseDelayMs`.
   * @default 300_000 (5 minutes), or `baseDelayMs` when that is larger
   */
  readonly maxDelayMs?: number;
};

/** How long completion records are kept; a kept record also keeps the job's id taken. */
export type KeepCompletedOptions = {
  /**
   * Records kept per partition, newest first. Minimum: 0.
   * @default 1_000
   */
  readonly count?: number;
  /**
   * Records older than this are dropped, in ms. Minimum: 0.
   * @default 86_400_000 (24 hours)
   */
  readonly ageMs?: number;
};

/** Options of {@link JobQueue}. */
export type JobQueueOptions = {
  /** The queue's name: any non-empty string of at most 256 characters. Producers and workers of one queue use the same. */
  readonly name: string;
  /**
   * Where the jobs live.
   * @default a new `MemoryJobStore` (one process, not durable)
   */
  readonly store?: JobStore;
  /**
   * Partitions the jobs are spread over, by key (or by id for jobs without one). With
   * `RedisJobStore` each has its own hash tag, so a Redis Cluster spreads one queue over its
   * masters. Every producer and worker of a queue must use the same number; change it only on a
   * drained queue. Minimum: 1, maximum: 1,024.
   * @default 1
   */
  readonly partitions?: number;
  /**
   * The named priority levels, highest first, as in `PriorityTaskQueue`. Distinct, non-empty.
   * @default ['critical', 'high', 'medium', 'low']
   */
  readonly priorities?: readonly string[];
  /**
   * The level of a job added without one.
   * @default 'medium' when it is a level, else the lowest level
   */
  readonly defaultPriority?: string;
  /**
   * The no-starvation rule: a job ranks as if it had been added `agingIntervalMs` earlier for
   * each level it is above the lowest. So a `low` job waiting longer than 3 × this runs before
   * a `critical` job added now, and no level waits forever. Minimum: 1.
   * @default 60_000
   */
  readonly agingIntervalMs?: number;
  /**
   * Attempts of a job added without `attempts`: how many times its handler may fail before the
   * job goes dead. Interruptions (a lost lease, a hand-back at close) use up none. Minimum: 1,
   * maximum: 1,000.
   * @default 3
   */
  readonly attempts?: number;
  /**
   * The waits between attempts of a job added without `backoff`.
   * @default { jitter: 'full', baseDelayMs: 1_000, maxDelayMs: 300_000 }
   */
  readonly backoff?: JobBackoffOptions;
  /**
   * How long completion records are kept.
   * @default { count: 1_000, ageMs: 86_400_000 }
   */
  readonly keepCompleted?: KeepCompletedOptions;
};

/** Per-job options of {@link JobQueue.add}. */
export type AddJobOptions = {
  /**
   * The job's id: any string of 1 to 1,024 characters. Adding an id the queue still holds
   * (waiting, active, dead, or completed and not yet trimmed) adds nothing and returns the id, so
   * a producer may retry an add safely. Jobs with a `key` are unique per key.
   * @default 16 random base64url characters (96 bits)
   */
  readonly id?: string;
  /**
   * A priority level's name.
   * @default the queue's `defaultPriority`
   */
  readonly priority?: string;
  /**
   * Runs no earlier than this many ms from now. Minimum: 0.
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * Failures allowed before the job goes dead. Minimum: 1, maximum: 1,000.
   * @default the queue's `attempts`
   */
  readonly attempts?: number;
  /**
   * The waits between attempts.
   * @default the queue's `backoff`
   */
  readonly backoff?: JobBackoffOptions;
  /**
   * Jobs with one key run one at a time, across every worker and machine, in the order they
   * became due; a failed one keeps its place at the head until it succeeds or goes dead. Any
   * string of 1 to 1,024 characters.
   * @default undefined (no order with other jobs)
   */
  readonly key?: string;
};

/** One entry of {@link JobQueue.addBulk}. */
export type BulkJob<D> = AddJobOptions & {
  /** The payload: JSON-serialisable (checked at the call). */
  readonly data: D;
};

/** Options of {@link JobQueue.getJob}. */
export type GetJobOptions = {
  /** The job's key, if it was added with one: keyed jobs live in their key's partition. */
  readonly key?: string;
};

/** Options of {@link JobQueue.retryDead}. */
export type RetryDeadOptions = {
  /**
   * At most this many dead jobs are put back, oldest first. Minimum: 1.
   * @default Infinity (every dead job)
   */
  readonly limit?: number;
};
