// The one interface between the job queue and its engine. Everything a store does is one atomic
// step on one partition, so a Redis store can run each as one Lua script on one hash tag and a
// RabbitMQ store (docs/jobs.md) as operations on one queue. The queue and worker decide policy
// (partition, score, retry delay, dead or not); the store only keeps state and leases.

/** A job as the queue hands it to {@link JobStore.add}: everything already resolved. */
export type NewJob = {
  /** Unique within its partition; adding an id the partition still knows changes nothing. */
  readonly id: string;
  /** The payload, already serialised as JSON. */
  readonly data: string;
  /** Jobs with one key run one at a time, in the order they became due. */
  readonly key: string | undefined;
  /** Ready order, lower first: the due time minus the priority level's aging credit, in ms. */
  readonly score: number;
  /** The priority level's name, kept for display. */
  readonly priority: string;
  /** Not before this time (ms since the epoch); `addedAt` or earlier means at once. */
  readonly dueAt: number;
  /** When the producer added it, in ms since the epoch. */
  readonly addedAt: number;
  /** Failures allowed before the job goes dead (from 1). */
  readonly attempts: number;
  /** The retry delays' options, serialised for the worker that fails it. */
  readonly backoff: JobBackoff;
};

/** The retry delays of a job: `backoffDelay` from the resilience module, with these options. */
export type JobBackoff = {
  /** How the delays are randomised. */
  readonly jitter: 'none' | 'full' | 'decorrelated';
  /** The first retry waits up to this long, in ms. */
  readonly baseDelayMs: number;
  /** No wait is longer, in ms. */
  readonly maxDelayMs: number;
};

/** What {@link JobStore.add} did with one job. */
export type AddOutcome = 'added' | 'duplicate';

/** A job leased to one worker until `leaseUntil` (or a renewal). */
export type LeasedJob = NewJob & {
  /** Proves this lease at settle and renewal; a job leased again gets a new token. */
  readonly token: string;
  /** The lease's end, in ms since the epoch. */
  readonly leaseUntil: number;
  /** Failures so far (the handler threw or timed out). */
  readonly failures: number;
  /** Interruptions so far (a lease expired or the job was handed back); they use up no attempt. */
  readonly interruptions: number;
  /** The last failure's message, if any. */
  readonly lastError: string | undefined;
  /** The last retry's delay in ms (for decorrelated jitter), or 0. */
  readonly lastDelayMs: number;
};

/** The fields every settlement has: which lease it ends. */
export type SettlementLease = {
  /** The job's id. */
  readonly id: string;
  /** The lease's token, as {@link JobStore.take} gave it. */
  readonly token: string;
};

/** Done: kept as a completion record (with the handler's result as JSON, if any) for a while. */
export type CompleteSettlement = SettlementLease & {
  /** `complete`. */
  readonly kind: 'complete';
  /** The handler's result as JSON, or `undefined` when it returned nothing. */
  readonly result: string | undefined;
};

/** A failure with attempts left: the job runs again at `dueAt`, and keeps its key until then. */
export type RetrySettlement = SettlementLease & {
  /** `retry`. */
  readonly kind: 'retry';
  /** Why the attempt failed. */
  readonly error: string;
  /** When it may run again, in ms since the epoch. */
  readonly dueAt: number;
  /** The wait chosen, in ms (decorrelated jitter grows from it). */
  readonly delayMs: number;
};

/** A failure with no attempts left: the job goes to the dead set, and frees its key. */
export type DeadSettlement = SettlementLease & {
  /** `dead`. */
  readonly kind: 'dead';
  /** Why the last attempt failed. */
  readonly error: string;
};

/** Handed back unfinished (the worker is closing): ready again at once, at its old place, no attempt used. */
export type ReleaseSettlement = SettlementLease & {
  /** `release`. */
  readonly kind: 'release';
};

/**
 * How a worker ends a lease. A settlement whose token no longer holds (the lease ran out and the
 * job was put back) is refused and reported lost; one repeated for a lease it already ended (a
 * retried call whose first answer was lost) is accepted and changes nothing.
 */
export type Settlement = CompleteSettlement | RetrySettlement | DeadSettlement | ReleaseSettlement;

/** One {@link JobStore.take} call: settle earlier leases, then lease up to `max` jobs. */
export type TakeRequest = {
  /** The queue's name. */
  readonly queue: string;
  /** The partition, from 0. */
  readonly partition: number;
  /** Ends leases first, in the same atomic step. */
  readonly settle: readonly Settlement[];
  /** How many jobs to lease; 0 only settles (and recovers). */
  readonly max: number;
  /**
   * The caller's clock, in ms since the epoch. A store with a clock of its own (Redis: `TIME`)
   * uses that instead and shifts the times it returns into the caller's clock.
   */
  readonly now: number;
  /** Length of the new leases, in ms. */
  readonly leaseMs: number;
  /** At most this many expired leases and due delayed jobs are moved per call. */
  readonly sweepLimit: number;
  /** Completion records beyond this count are dropped, oldest first. */
  readonly keepCompleted: number;
  /** Completion records older than `now - keepCompletedMs` are dropped. */
  readonly keepCompletedMs: number;
};

/** What one {@link JobStore.take} did. */
export type TakeResult = {
  /** The leased jobs, best first. */
  readonly jobs: readonly LeasedJob[];
  /** Ids of settlements whose lease had already been lost (the job was or will be run again). */
  readonly lost: readonly string[];
  /** Ids of jobs whose expired lease this call recovered (`job:stalled`). */
  readonly stalled: readonly string[];
  /** The earliest delayed job or lease deadline left in the partition, if any (ms since the epoch). */
  readonly nextAt: number | undefined;
};

/** Jobs by state, over every partition. */
export type JobCounts = {
  /** Due and waiting for a worker, including jobs queued behind their key. */
  readonly waiting: number;
  /** Added with a delay that has not passed. */
  readonly delayed: number;
  /** Leased to a worker. */
  readonly active: number;
  /** Completion records kept (bounded by `keepCompleted`). */
  readonly completed: number;
  /** Failed with attempts left, waiting out their retry delay. */
  readonly failed: number;
  /** Failed on their last attempt; `retryDead()` puts them back. */
  readonly dead: number;
};

/** A job's state. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead';

/** A job as {@link JobStore.getJob} sees it. */
export type StoredJob = Omit<LeasedJob, 'token' | 'leaseUntil'> & {
  /** Where it is now. */
  readonly state: JobState;
  /** The lease's end when `active`. */
  readonly leaseUntil: number | undefined;
  /** When it completed or went dead, in ms since the epoch. */
  readonly finishedAt: number | undefined;
  /** The handler's result as JSON, once completed (when it returned one). */
  readonly result: string | undefined;
};

/**
 * Where jobs live. Each method is one atomic step on one partition of one queue; a queue spreads
 * its jobs over partitions `0 … partitions − 1` (by key, or by id), and a Redis store gives each
 * partition its own hash tag. `MemoryJobStore` is the embedded one (one process, not durable);
 * `RedisJobStore` the durable one. docs/jobs.md describes the semantics a new store must keep.
 */
export interface JobStore {
  /** A name for errors and logs, e.g. `redis`. */
  readonly name: string;

  /**
   * Stores new jobs; an id the partition still holds (waiting, active, completed, dead…) is
   * left as it is and reported `duplicate`.
   */
  add(queue: string, partition: number, jobs: readonly NewJob[], now: number): Promise<AddOutcome[]>;

  /**
   * In one atomic step: applies `settle`, recovers up to `sweepLimit` expired leases (the job is
   * ready again, ahead of the jobs of its level added after it, with one more interruption),
   * promotes up to `sweepLimit` due delayed jobs, then leases up to `max` ready jobs whose key is
   * free, lowest score first.
   */
  take(request: TakeRequest): Promise<TakeResult>;

  /**
   * Moves the end of the given leases to `leaseMs` from now; returns the ids whose lease was
   * already lost.
   */
  extend(
    queue: string,
    partition: number,
    leases: readonly { readonly id: string; readonly token: string }[],
    now: number,
    leaseMs: number,
  ): Promise<string[]>;

  /** Counts jobs by state in the given partitions. */
  counts(queue: string, partitions: number): Promise<JobCounts>;

  /** One job, or `undefined` when the partition no longer knows it. */
  getJob(queue: string, partition: number, id: string): Promise<StoredJob | undefined>;

  /** Makes up to `limit` dead jobs ready again, oldest first, with their failures reset. */
  retryDead(queue: string, partition: number, limit: number, now: number): Promise<number>;

  /**
   * Resolves when a job may have become ready in `queue` (an add, a hand-back), or after
   * `timeoutMs`, or when `signal` aborts. A hint, never a promise of work.
   */
  waitForWork(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void>;

  /** Releases what the store itself opened (not a client it was given). */
  close(): Promise<void>;
}
