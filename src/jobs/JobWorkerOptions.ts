import type { LoadSignal } from '../core/LoadSignal.js';
import type { RateLimiter } from '../resilience/index.js';
import type { Job } from './Job.js';
import type { JobQueue } from './JobQueue.js';

/**
 * Runs one job. Resolve (with a JSON-serialisable result, or nothing) to complete it; throw or
 * reject to fail the attempt. `signal` aborts when the job times out (`TimeoutError`), its
 * lease is lost (`LeaseLostError`) or the worker is closing and the job is handed back
 * (`ClosedError`): stop then, since the outcome is no longer used.
 */
export type JobHandler<D, R> = (job: Job<D>, signal: AbortSignal) => R | PromiseLike<R>;

/** A queue-wide rate of job starts, shared by every worker that uses the same limiter and key. */
export type JobRateOptions = {
  /** A `RateLimiter` (with a `RedisRateLimitStore` to count across machines). */
  readonly limiter: RateLimiter;
  /**
   * The limiter key every start consumes one unit of.
   * @default `jobs:<queue name>`
   */
  readonly key?: string;
};

/** Options of {@link JobWorker}. */
export type JobWorkerOptions<D, R> = {
  /** The queue to take jobs from (its store, partitions and events). */
  readonly queue: JobQueue<D>;
  /** Runs each job. */
  readonly handler: JobHandler<D, R>;
  /**
   * Jobs run at once. Minimum: 1, maximum: 10,000.
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * A job's lease: if the worker neither finishes nor renews it within this time (the process
   * died, the event loop was blocked), the job runs again elsewhere. Renewed every third of it
   * while the handler runs, so a crashed worker's jobs run again within about this long. Raise
   * it for handlers that block the event loop for seconds. Minimum: 1,000.
   * @default 5_000
   */
  readonly visibilityTimeoutMs?: number;
  /**
   * A handler running longer fails its attempt (reason `timed out after … ms`) and its signal
   * aborts; the slot is freed at once. Minimum: 1.
   * @default undefined (no limit; the lease is renewed as long as it runs)
   */
  readonly timeoutMs?: number;
  /**
   * The longest an idle worker waits before looking again, in ms: it also wakes at once on a
   * new job and at the next due delayed job. Minimum: 1.
   * @default 1_000
   */
  readonly pollIntervalMs?: number;
  /**
   * While its status is `critical` the worker takes no new jobs (running ones go on).
   * @default undefined (always take jobs)
   */
  readonly loadSignal?: LoadSignal;
  /**
   * Caps job starts per unit of time across every worker sharing the limiter and key.
   * @default undefined (no cap)
   */
  readonly rate?: JobRateOptions;
  /**
   * `close()` without `timeoutMs` waits this long for running jobs, then hands the rest back.
   * Minimum: 0.
   * @default 30_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Expired leases and due delayed jobs moved per store call. Minimum: 1.
   * @default 100
   */
  readonly sweepLimit?: number;
};

/** Options of {@link JobWorker.close}. */
export type JobWorkerCloseOptions = {
  /**
   * How long running jobs may take to finish; the rest are aborted and handed back at once,
   * with no attempt used up, and `close()` resolves. Minimum: 0.
   * @default the worker's `closeTimeoutMs`
   */
  readonly timeoutMs?: number;
  /**
   * Stops waiting: the running jobs are handed back as on timeout, and `close()` rejects with
   * `signal.reason`.
   */
  readonly signal?: AbortSignal;
};
