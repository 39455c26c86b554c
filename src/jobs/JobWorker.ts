import { diagnosticsChannels, type JobRunContext } from '../core/diagnostics.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { LeaseLostError } from '../core/errors/LeaseLostError.js';
import { abortReason } from '../core/internal/abort.js';
import { Tracer } from '../core/internal/tracing.js';
import {
  checkOptionKeys,
  integerOption,
  MAX_TIMER_MS,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import { backoffDelay } from '../resilience/index.js';
import type { JobQueueEvents } from './events.js';
import type { Job } from './Job.js';
import { type ExecutionOutcome, JobExecution } from './JobExecution.js';
import type { LeasedJob, Settlement } from './JobStore.js';
import type { JobWorkerCloseOptions, JobWorkerOptions } from './JobWorkerOptions.js';
import { LeaseRenewer } from './LeaseRenewer.js';
import { type ResolvedJobWorkerOptions, resolveJobWorkerOptions } from './resolveJobWorkerOptions.js';
import { WorkerLoop } from './WorkerLoop.js';

const WHAT = 'JobWorker';
const CLOSE_OPTIONS = optionNames<JobWorkerCloseOptions>()(['timeoutMs', 'signal']);

const RUN = new Tracer<JobRunContext>(diagnosticsChannels.jobRun);
/**
 * Runs a {@link JobQueue}'s jobs, `concurrency` at a time, in this process: leases them from the
 * store, renews the leases while the handler runs, and settles each (completed, retried after a
 * backoff, or dead after its last attempt). It starts at once. `close()` stops taking jobs, lets
 * running ones finish within a timeout, and hands the rest back unfinished, with no attempt used
 * up, so a rolling restart loses nothing and delays nothing; register it with a cluster
 * `WorkerContext` and it closes when its process drains.
 *
 * @typeParam D - the payload's type.
 * @typeParam R - what the handler returns (kept, as JSON, in the completion record).
 *
 * @example
 * {@includeCode ./JobQueue.test.ts#jobWorker}
 */
export class JobWorker<D = unknown, R = unknown> {
  readonly #o: ResolvedJobWorkerOptions<D, R>;
  readonly #running = new Map<string, JobExecution<D>>();
  readonly #loop: WorkerLoop;
  readonly #renewer: LeaseRenewer;
  readonly #loadSubscription: Disposable | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * @param options - the queue, the handler, and how many jobs run at once.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: JobWorkerOptions<D, R>) {
    const o = resolveJobWorkerOptions(options);
    this.#o = o;
    const queue = o.core.options;
    this.#loadSubscription = o.loadSignal?.subscribe(() => this.#loop.kick());
    this.#loop = new WorkerLoop({
      store: queue.store,
      queue: queue.name,
      partitions: queue.partitions,
      leaseMs: o.visibilityTimeoutMs,
      sweepLimit: o.sweepLimit,
      keepCompleted: queue.keepCompleted,
      keepCompletedMs: queue.keepCompletedMs,
      pollIntervalMs: o.pollIntervalMs,
      concurrency: o.concurrency,
      freeSlots: () => this.#freeSlots(),
      start: (job, partition) => this.#start(job, partition),
      stalled: (ids) => {
        o.core.outcomes.stalled += ids.length;
        for (const id of ids) this.#emit('job:stalled', { id });
      },
      storeFailed: (operation, error, retryInMs) =>
        this.#emit('store:failed', { operation, error, retryInMs }),
    });
    this.#renewer = new LeaseRenewer(
      queue.store,
      queue.name,
      o.visibilityTimeoutMs,
      () => this.#running.values(),
      (partition, ids) => this.#lost(partition, ids),
      (error) =>
        this.#emit('store:failed', { operation: 'extend', error, retryInMs: o.visibilityTimeoutMs / 3 }),
    );
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops taking jobs, waits up to `timeoutMs` for running ones, then aborts the rest (their
   * signal's reason is a `ClosedError`) and hands them back to the queue at once, unfinished and
   * with no attempt used up. Idempotent.
   *
   * @param options - the time running jobs get, and a signal to stop waiting.
   * @returns a promise that resolves once every job is settled or handed back.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first (the jobs are
   * handed back all the same).
   */
  close(options?: JobWorkerCloseOptions): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    let timeoutMs: number;
    let signal: AbortSignal | undefined;
    try {
      const opts = optionsObject('options', options) as JobWorkerCloseOptions;
      checkOptionKeys(opts, CLOSE_OPTIONS, 'JobWorker.close');
      timeoutMs = integerOption(
        'options.timeoutMs',
        opts.timeoutMs ?? this.#o.closeTimeoutMs,
        0,
        MAX_TIMER_MS,
      );
      signal = opts.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing = this.#shutDown(timeoutMs, signal);
    return this.#closing;
  }

  /**
   * Stops taking jobs and hands every running one back at once (its signal aborts with a
   * `ClosedError` carrying `reason`). Idempotent.
   *
   * @param reason - why, kept as the `cause` of the abort reason.
   * @returns a promise that resolves once the hand-backs are sent.
   */
  destroy(reason?: unknown): Promise<void> {
    if (this.#closing !== undefined) {
      this.#handBackAll(reason);
      return this.#closing.catch(() => undefined);
    }
    this.#closing = this.#shutDown(0, undefined, reason);
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutDown(timeoutMs: number, signal: AbortSignal | undefined, reason?: unknown): Promise<void> {
    this.#closed = true;
    this.#loadSubscription?.[Symbol.dispose]();
    this.#loop.kick();
    const aborted = await this.#drain(timeoutMs, signal);
    this.#handBackAll(aborted ? signal?.reason : reason);
    this.#renewer.stop();
    await this.#loop.stop();
    if (aborted) throw abortReason(signal as AbortSignal, 'JobWorker.close');
  }

  /** Waits for the running jobs; `true` when `signal` aborted first. */
  async #drain(timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#running.size === 0) return false;
    if (signal?.aborted) return true;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const all = Promise.all([...this.#running.values()].map((execution) => execution.finished)).then(
      () => false,
    );
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      onAbort = () => resolve(true);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([all, expired]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  #handBackAll(reason: unknown): void {
    const error = new ClosedError(WHAT, reason === undefined ? undefined : { cause: reason });
    for (const execution of [...this.#running.values()]) {
      if (execution.ended) continue;
      const { job, partition } = execution;
      this.#loop.settle(partition, { kind: 'release', id: job.id, token: job.token }, () => undefined);
      execution.abandon(error);
    }
  }

  #freeSlots(): number {
    if (this.#closed || this.#o.loadSignal?.status === 'critical') return 0;
    return Math.max(0, this.#o.concurrency - this.#running.size);
  }

  #start(job: LeasedJob, partition: number): void {
    if (this.#closed) {
      // Leased by a round that was in flight when close() began: hand it straight back.
      this.#loop.settle(partition, { kind: 'release', id: job.id, token: job.token }, () => undefined);
      return;
    }
    const key = runningKey(partition, job.id);
    // Its old lease ran out while it ran here (renewals failed) and this worker leased it again.
    this.#running.get(key)?.abandon(new LeaseLostError(job.id));
    const execution = new JobExecution<D>(job, partition, (ended, outcome) => this.#ended(ended, outcome));
    this.#running.set(key, execution);
    const { core } = this.#o;
    void execution.run(
      this.#traced(this.#o.handler as (job: unknown, signal: AbortSignal) => unknown),
      this.#o.rate === undefined ? undefined : (signal) => this.#admit(signal),
      this.#o.timeoutMs,
      () => core.waitMs.record(Math.max(0, Date.now() - job.dueAt)),
    );
  }

  /** The handler, traced on `loadstone:jobs:run` when someone listens as the job starts. */
  #traced(
    handler: (job: Job<unknown>, signal: AbortSignal) => unknown,
  ): (job: Job<unknown>, signal: AbortSignal) => unknown {
    if (!RUN.active) return handler;
    const queue = this.#o.core.options.name;
    return (job, signal) =>
      RUN.trace(() => Promise.resolve(handler(job, signal)), { queue, jobId: job.id, attempt: job.attempt });
  }

  #ended(execution: JobExecution<D>, outcome: ExecutionOutcome): void {
    const { job, partition } = execution;
    const key = runningKey(partition, job.id);
    if (this.#running.get(key) === execution) this.#running.delete(key);
    if (outcome.kind !== 'abandoned') {
      this.#o.core.runMs.record(outcome.durationMs);
      const { settlement, report } = this.#settlementOf(job, outcome);
      // Events and counts follow the store: a settlement refused for a lost lease reports nothing.
      this.#loop.settle(partition, settlement, (applied) => applied && report());
    }
    this.#loop.kick();
  }

  #settlementOf(
    job: LeasedJob,
    outcome: Exclude<ExecutionOutcome, { kind: 'abandoned' }>,
  ): { settlement: Settlement; report: () => void } {
    const { outcomes } = this.#o.core;
    const { id, key, token } = job;
    const attempt = job.failures + 1;
    if (outcome.kind === 'completed') {
      return {
        settlement: { kind: 'complete', id, token, result: outcome.result },
        report: () => {
          outcomes.completed++;
          this.#emit('job:completed', { id, key, attempt, durationMs: outcome.durationMs });
        },
      };
    }
    const reason = outcome.reason;
    if (attempt >= job.attempts) {
      return {
        settlement: { kind: 'dead', id, token, error: reason },
        report: () => {
          outcomes.dead++;
          this.#emit('job:dead', { id, key, attempt, reason });
        },
      };
    }
    const delayMs = Math.round(
      backoffDelay(job.backoff.jitter, {
        retryIndex: job.failures,
        baseDelayMs: job.backoff.baseDelayMs,
        maxDelayMs: job.backoff.maxDelayMs,
        previousDelayMs: Math.max(job.lastDelayMs, job.backoff.baseDelayMs),
      }),
    );
    return {
      settlement: { kind: 'retry', id, token, error: reason, dueAt: Date.now() + delayMs, delayMs },
      report: () => {
        outcomes.failed++;
        this.#emit('job:failed', { id, key, attempt, reason, delayMs });
      },
    };
  }

  #lost(partition: number, ids: readonly string[]): void {
    for (const id of ids) this.#running.get(runningKey(partition, id))?.abandon(new LeaseLostError(id));
  }

  /** Waits for the rate limiter's permission; resolves (without it) when `signal` aborts. */
  async #admit(signal: AbortSignal): Promise<void> {
    const rate = this.#o.rate;
    if (rate === undefined) return;
    while (!signal.aborted) {
      let waitMs: number;
      try {
        const result = await rate.limiter.limit(rate.key);
        if (result.allowed) return;
        waitMs = Math.max(1, result.retryAfterMs);
      } catch (error) {
        waitMs = this.#o.pollIntervalMs;
        this.#emit('store:failed', { operation: 'rate', error, retryInMs: waitMs });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }

  #emit<E extends keyof JobQueueEvents>(event: E, ...payload: JobQueueEvents[E]): void {
    try {
      (this.#o.core.events.emit as (event: E, ...args: JobQueueEvents[E]) => boolean)(event, ...payload);
    } catch (error) {
      warnThrew('LOADSTONE_WARN_JOBS_LISTENER_THREW', `A JobQueue '${event}' listener threw`, error);
    }
  }
}

// Keyed jobs are unique per key, so one id may live in two partitions.
function runningKey(partition: number, id: string): string {
  return `${partition}:${id}`;
}
