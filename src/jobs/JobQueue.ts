import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { JobStoreError } from '../core/errors/JobStoreError.js';
import { assertJson } from '../core/internal/json.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { JsonValue } from '../core/Json.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type { JobQueueEvents } from './events.js';
import type { JobInfo } from './Job.js';
import type {
  AddJobOptions,
  BulkJob,
  GetJobOptions,
  JobQueueOptions,
  RetryDeadOptions,
} from './JobQueueOptions.js';
import type { JobQueueStats } from './JobQueueStats.js';
import type { JobCounts, NewJob } from './JobStore.js';
import { Partitioner } from './Partitioner.js';
import { attachCore, type QueueCore } from './QueueCore.js';
import {
  type ResolvedJobQueueOptions,
  resolveAddOptions,
  resolveJobQueueOptions,
} from './resolveJobQueueOptions.js';

const WHAT = 'JobQueue';
/** Jobs per store call of `addBulk`. */
const ADD_CHUNK = 1_000;
const GET_JOB_OPTIONS = optionNames<GetJobOptions>()(['key']);
const RETRY_DEAD_OPTIONS = optionNames<RetryDeadOptions>()(['limit']);

/**
 * A durable queue of jobs, the producer's and the admin's side: `add` puts a job in its store
 * (`MemoryJobStore` by default, `RedisJobStore` to outlive the process and share it between
 * machines), and any number of {@link JobWorker}s, in any process, run them. Jobs are delivered
 * at least once: a job whose worker dies runs again once its lease expires, and a completed job
 * never runs again. Jobs sharing a `key` run one at a time, in order. Events report what this
 * process's workers did.
 *
 * @typeParam D - the payload's type: anything JSON can carry.
 *
 * @example
 * {@includeCode ./JobQueue.test.ts#jobQueue}
 */
export class JobQueue<D = JsonValue>
  extends EventEmitter<JobQueueEvents>
  implements MetricsSource<JobQueueStats>
{
  readonly #options: ResolvedJobQueueOptions;
  readonly #partitioner: Partitioner;
  readonly #core: QueueCore;
  #lastCounts: JobCounts | undefined;
  #closed = false;

  /**
   * @param options - the queue's name and store, and the defaults of its jobs.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: JobQueueOptions) {
    super();
    this.#options = resolveJobQueueOptions(options);
    this.#partitioner = new Partitioner(this.#options.partitions);
    this.#core = {
      options: this.#options,
      events: this,
      waitMs: new LatencyRecorder(),
      runMs: new LatencyRecorder(),
      outcomes: { completed: 0, failed: 0, dead: 0, stalled: 0 },
    };
    attachCore(this, this.#core);
  }

  /** The queue's name. */
  get name(): string {
    return this.#options.name;
  }

  /** `true` once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a job. Resolves once the store holds it, with its id; an `id` the queue still holds
   * resolves the same way and adds nothing.
   *
   * @param data - the payload: JSON-serialisable, copied now (later changes to it are not seen).
   * @param options - id, priority, delay, attempts, backoff and key.
   * @returns the job's id.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, at once, for data that
   * JSON cannot carry or a bad option; nothing is queued.
   * @throws a {@link JobStoreError} `ERR_LOADSTONE_JOB_STORE`, as a rejection, when the store fails.
   * @throws a {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`.
   */
  async add(data: D, options?: AddJobOptions): Promise<string> {
    const job = this.#newJob(data, options, 'options', Date.now());
    const [id] = await this.#store([job]);
    return id as string;
  }

  /**
   * Adds many jobs, in one store call per partition and 1,000 jobs, all sent at once. Every
   * entry is checked before any is queued: one bad entry rejects the whole call and queues nothing.
   *
   * @param jobs - each job's payload (`data`) and options.
   * @returns the ids, in the order of `jobs`.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad entry (named by index).
   * @throws a {@link JobStoreError} `ERR_LOADSTONE_JOB_STORE` when the store fails; some
   * partitions may hold their jobs already, so retry with the same ids.
   * @throws a {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`.
   */
  async addBulk(jobs: readonly BulkJob<D>[]): Promise<string[]> {
    if (!Array.isArray(jobs)) throw new InvalidOptionError('jobs', 'an array of { data, ...options }', jobs);
    const now = Date.now();
    const ids = new JobIds(jobs.length);
    const built = jobs.map((entry, i) => {
      const path = `jobs[${i}]`;
      const { data, ...options } = optionsObject(path, entry) as BulkJob<D>;
      return this.#newJob(data, options, path, now, ids);
    });
    return this.#store(built);
  }

  /**
   * Counts the jobs in each state, over every partition.
   *
   * @returns the counts.
   * @throws a {@link JobStoreError} `ERR_LOADSTONE_JOB_STORE` when the store fails.
   */
  async counts(): Promise<JobCounts> {
    const counts = await this.#call('counts', () =>
      this.#options.store.counts(this.name, this.#options.partitions),
    );
    this.#lastCounts = counts;
    return counts;
  }

  /**
   * Looks a job up.
   *
   * @param id - the job's id.
   * @param options - the job's `key`, if it has one.
   * @returns the job, or `undefined` once the queue no longer holds it (a trimmed completion record).
   * @throws a {@link JobStoreError} `ERR_LOADSTONE_JOB_STORE` when the store fails.
   */
  async getJob(id: string, options?: GetJobOptions): Promise<JobInfo<D> | undefined> {
    const opts = optionsObject('options', options) as GetJobOptions;
    checkOptionKeys(opts, GET_JOB_OPTIONS, 'JobQueue.getJob');
    const partition = this.#partitioner.of(opts.key ?? id);
    const stored = await this.#call('getJob', () => this.#options.store.getJob(this.name, partition, id));
    if (stored === undefined) return undefined;
    return {
      id: stored.id,
      data: JSON.parse(stored.data) as D,
      key: stored.key,
      priority: stored.priority,
      addedAt: stored.addedAt,
      interruptions: stored.interruptions,
      state: stored.state,
      failures: stored.failures,
      attempts: stored.attempts,
      lastError: stored.lastError,
      dueAt: stored.dueAt,
      finishedAt: stored.finishedAt,
      result: stored.result === undefined ? undefined : JSON.parse(stored.result),
    };
  }

  /**
   * Puts dead jobs back, oldest first, with their failures reset; keyed ones join the end of
   * their key's line.
   *
   * @param options - how many at most.
   * @returns how many were put back.
   * @throws a {@link JobStoreError} `ERR_LOADSTONE_JOB_STORE` when the store fails.
   */
  async retryDead(options?: RetryDeadOptions): Promise<number> {
    const opts = optionsObject('options', options) as RetryDeadOptions;
    checkOptionKeys(opts, RETRY_DEAD_OPTIONS, 'JobQueue.retryDead');
    let left =
      opts.limit === undefined || opts.limit === Number.POSITIVE_INFINITY
        ? Number.MAX_SAFE_INTEGER
        : integerOption('options.limit', opts.limit, 1);
    let moved = 0;
    for (let p = 0; p < this.#options.partitions && left > 0; p++) {
      const n = await this.#call('retryDead', () =>
        this.#options.store.retryDead(this.name, p, left, Date.now()),
      );
      moved += n;
      left -= n;
    }
    return moved;
  }

  /**
   * A snapshot of what this process knows: the last counts read, and the wait and run times and
   * outcomes of its workers' jobs.
   *
   * @returns a fresh plain object.
   */
  stats(): JobQueueStats {
    const core = this.#core;
    return {
      name: this.name,
      counts: this.#lastCounts === undefined ? null : { ...this.#lastCounts },
      ...core.outcomes,
      waitMs: core.waitMs.snapshot(),
      runMs: core.runMs.snapshot(),
    };
  }

  /**
   * Refuses further adds, and closes the store if the queue made it (the default memory store).
   * Workers are closed on their own.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#options.ownsStore) await this.#options.store.close();
  }

  #newJob(
    data: unknown,
    options: AddJobOptions | undefined,
    path: string,
    now: number,
    ids?: JobIds,
  ): NewJob {
    if (this.#closed) throw new ClosedError(WHAT);
    assertJson(data, path === 'options' ? 'data' : `${path}.data`);
    const resolved = resolveAddOptions(path, options, this.#options);
    const dueAt = now + resolved.delayMs;
    const rank = this.#options.priorities.length - 1 - this.#options.priorities.indexOf(resolved.priority);
    return {
      id: resolved.id ?? (ids ?? new JobIds(1)).next(),
      data: JSON.stringify(data),
      key: resolved.key,
      score: dueAt - rank * this.#options.agingIntervalMs,
      priority: resolved.priority,
      dueAt,
      addedAt: now,
      attempts: resolved.attempts,
      backoff: resolved.backoff,
    };
  }

  async #store(jobs: readonly NewJob[]): Promise<string[]> {
    const byPartition = new Map<number, NewJob[]>();
    for (const job of jobs) {
      const partition = this.#partitioner.of(job.key ?? job.id);
      const list = byPartition.get(partition);
      if (list === undefined) byPartition.set(partition, [job]);
      else list.push(job);
    }
    const now = Date.now();
    const calls: Promise<unknown>[] = [];
    for (const [partition, list] of byPartition) {
      // A store call is one atomic step (a Lua script in Redis, which blocks the server while it
      // runs): chunks keep each one short; they go out together, so still one round trip.
      for (let i = 0; i < list.length; i += ADD_CHUNK) {
        const chunk = list.slice(i, i + ADD_CHUNK);
        calls.push(this.#call('add', () => this.#options.store.add(this.name, partition, chunk, now)));
      }
    }
    await Promise.all(calls);
    return jobs.map((job) => job.id);
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new JobStoreError(this.#options.store.name, operation, { cause: error });
    }
  }
}

/**
 * Job ids of 96 random bits in 16 characters (a UUID takes 36, in every key and list entry that
 * holds it), drawn for a whole bulk add at once: one call to the CSPRNG, not one per job.
 */
class JobIds {
  readonly #bytes: Buffer;
  #next = 0;

  constructor(count: number) {
    this.#bytes = randomBytes(12 * count);
  }

  next(): string {
    const start = 12 * this.#next++;
    return this.#bytes.toString('base64url', start, start + 12);
  }
}
