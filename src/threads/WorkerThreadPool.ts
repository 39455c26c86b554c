import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { TransferListItem } from 'node:worker_threads';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { diagnosticsChannels, type ThreadTaskContext } from '../core/diagnostics.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason, drainUnlessAborted } from '../core/internal/abort.js';
import { signalOption } from '../core/internal/signalOption.js';
import { Tracer } from '../core/internal/tracing.js';
import { checkOptionKeys, integerOption, MAX_TIMER_MS, optionsObject } from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { CrashRecovery } from './CrashRecovery.js';
import { Dispatcher } from './Dispatcher.js';
import { HandlerRegistry } from './HandlerRegistry.js';
import { PipelineSizer } from './PipelineSizer.js';
import type { PoolContext } from './PoolContext.js';
import { PoolCounters } from './PoolCounters.js';
import { PoolState } from './PoolState.js';
import { queueHealth } from './queueHealth.js';
import { ResultReader } from './ResultReader.js';
import { RunQueue } from './RunQueue.js';
import { type ResolvedWorkerThreadPoolOptions, RUN_OPTIONS, resolveOptions } from './resolveOptions.js';
import { Task } from './Task.js';
import { ThreadSet } from './ThreadSet.js';
import type {
  ThreadRunOptions,
  WorkerThreadPoolEvents,
  WorkerThreadPoolOptions,
  WorkerThreadPoolStats,
} from './WorkerThreadPoolOptions.js';

const TASK = new Tracer<ThreadTaskContext>(diagnosticsChannels.threadTask);
/**
 * A pool of `worker_threads` that runs the exported functions of a worker module off the event
 * loop: CPU work such as password hashing, encryption or number crunching.
 *
 * Threads start lazily up to `maxThreads` and retire after `idleTimeoutMs` down to
 * `minThreads`. Tasks wait in a bounded priority queue. Short tasks are pipelined to threads in
 * batches (one message per batch each way), which is where the speed comes from.
 *
 * Crash semantics: a thread that exits or crashes (`process.exit`, an uncaught exception, out of
 * memory) rejects with {@link WorkerExitError} only the tasks it had **started** and not
 * finished: for synchronous task functions, exactly the one it was running. Tasks it had received
 * but not started are put back at the front of the queue and run on another thread. Every task
 * therefore runs at most once, and every accepted task settles.
 *
 * @example
 * {@includeCode ./WorkerThreadPool.test.ts#workerThreadPool}
 */
export class WorkerThreadPool
  extends EventEmitter<WorkerThreadPoolEvents>
  implements Closeable, HealthCheck, MetricsSource<WorkerThreadPoolStats>
{
  /** The pool's name, from `options.name`; also its health-check name. */
  readonly name: string;
  readonly #o: ResolvedWorkerThreadPoolOptions;
  readonly #queue = new RunQueue<Task>();
  readonly #state = new PoolState();
  readonly #counters = new PoolCounters();
  readonly #handlers: HandlerRegistry;
  readonly #threads: ThreadSet;
  readonly #dispatcher: Dispatcher;
  #seq = 0;
  #destroying: Promise<void> | undefined;

  /**
   * @param options - the worker module and the pool's limits.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: WorkerThreadPoolOptions) {
    super();
    const o = resolveOptions(options);
    this.#o = o;
    this.name = o.name;
    this.#handlers = new HandlerRegistry(o.filename);
    const context: PoolContext = {
      options: o,
      queue: this.#queue,
      counters: this.#counters,
      state: this.#state,
      events: this,
    };
    const sizer = new PipelineSizer(o.pipelineDepth);
    // The threads call back into collaborators built after them (they need the threads).
    const threads = new ThreadSet(context, {
      onMessage: (thread, batch) => results.onMessage(thread, batch),
      onExit: (thread, exitCode) => recovery.onExit(thread, exitCode),
    });
    const dispatcher = new Dispatcher(context, threads, this.#handlers, sizer);
    const results = new ResultReader(context, dispatcher, sizer);
    const recovery = new CrashRecovery(context, threads, dispatcher, results);
    this.#threads = threads;
    this.#dispatcher = dispatcher;
    threads.fill();
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Threads alive (starting, busy or idle). */
  get threads(): number {
    return this.#threads.size;
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Runs a task: calls the worker module's export `options.name` (the default export when
   * absent) with `payload` in a thread, and settles with what it returns or throws.
   *
   * @typeParam R - what the task function returns (resolved, if it returns a promise).
   * @param payload - the function's argument: any structured-clonable value, copied once into
   *   the thread (or moved, for the objects in `options.transferList`).
   * @param options - export name, another module, cancellation, transfer list, time limit, priority.
   * @returns the function's result, cloned (or moved, if the worker wraps it with `transfer()`).
   * @throws what the task function threw (an `Error` keeps its name, message, stack and own
   *   fields), as a rejection.
   * @throws {@link WorkerExitError} `ERR_LOADSTONE_WORKER_EXIT` when the thread died while running it.
   * @throws {@link CapacityExceededError} `ERR_LOADSTONE_CAPACITY` when `maxQueue` tasks are waiting.
   * @throws {@link TimeoutError} `ERR_LOADSTONE_TIMEOUT` past its time limit.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`, or when `destroy()` abandons it.
   * @throws `signal.reason` (an `AbortedError` if it is not an `Error`) when `options.signal` aborts.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, or when
   *   neither `options.filename` of the pool nor of the call names a module.
   * @throws `DataCloneError` when `payload` cannot be cloned.
   */
  run<R = unknown>(payload?: unknown, options?: ThreadRunOptions): Promise<R> {
    if (!TASK.active) return this.#run(payload, options);
    const task = (options as { name?: unknown } | null | undefined)?.name;
    return TASK.trace(() => this.#run<R>(payload, options), {
      pool: this.name,
      task: typeof task === 'string' ? task : undefined,
    });
  }

  #run<R>(payload: unknown, options: ThreadRunOptions | undefined): Promise<R> {
    if (this.#state.closed) return Promise.reject(new ClosedError(`WorkerThreadPool "${this.name}"`));
    let handlerId: number;
    let priority = 0;
    let signal: AbortSignal | undefined;
    let timeoutMs = this.#o.taskTimeoutMs;
    let transferList: readonly TransferListItem[] | undefined;
    try {
      if (options === undefined) handlerId = this.#handlers.idFor(undefined, undefined);
      else {
        const o = optionsObject('options', options);
        checkOptionKeys(o, RUN_OPTIONS, 'WorkerThreadPool.run');
        handlerId = this.#handlers.idFor(o.filename, o.name);
        if (o.priority !== undefined) {
          priority = integerOption('options.priority', o.priority, Number.MIN_SAFE_INTEGER);
        }
        if (o.timeoutMs !== undefined)
          timeoutMs = integerOption('options.timeoutMs', o.timeoutMs, 0, MAX_TIMER_MS);
        if (o.signal !== undefined) {
          if (!(o.signal instanceof AbortSignal)) {
            throw new InvalidOptionError('options.signal', 'an AbortSignal', o.signal);
          }
          signal = o.signal;
        }
        if (o.transferList !== undefined) {
          if (!Array.isArray(o.transferList)) {
            throw new InvalidOptionError('options.transferList', 'an array', o.transferList);
          }
          transferList = o.transferList;
        }
      }
    } catch (error) {
      this.#counters.failed++;
      return Promise.reject(error);
    }
    if (signal?.aborted === true) {
      this.#counters.failed++;
      return Promise.reject(abortReason(signal, 'WorkerThreadPool task'));
    }
    const task = new Task(
      this.#seq++,
      priority,
      handlerId,
      payload,
      transferList,
      signal,
      timeoutMs,
      this.#o.recordTiming ? performance.now() : 0,
    );
    const promise = new Promise<R>((resolve, reject) => {
      task.resolve = resolve as (value: unknown) => void;
      task.reject = reject;
    });
    this.#dispatcher.submit(task);
    return promise;
  }

  /**
   * Stops intake (later `run` calls reject with {@link ClosedError}), lets every accepted task
   * finish (queued ones included), then ends the threads. Past `closeTimeoutMs` (or when
   * `options.signal` aborts) the pool is destroyed instead. Idempotent.
   *
   * @param options - a `signal` to stop waiting: the pool is then destroyed.
   * @returns a promise that resolves once every task settled and every thread exited.
   * @throws `signal.reason` (an `AbortedError` if it is not an `Error`), as a rejection, when
   *   `options.signal` aborts first.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, when
   *   `options.signal` is not an `AbortSignal`.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'WorkerThreadPool.close');
    this.#state.closed = true;
    return drainUnlessAborted(
      this.#dispatcher.drained(),
      signal,
      (reason) => this.destroy(reason),
      `close of WorkerThreadPool "${this.name}"`,
      this.#o.closeTimeoutMs,
    );
  }

  /**
   * Ends the threads now. Every task not yet settled, queued or running, rejects with
   * {@link ClosedError} (`ERR_LOADSTONE_CLOSED`) carrying `reason` as its `cause`. Idempotent;
   * also ends a pending `close()`.
   *
   * @param reason - why, kept as the `cause` of the errors of abandoned tasks.
   * @returns a promise that resolves once every thread exited.
   */
  destroy(reason?: unknown): Promise<void> {
    this.#state.closed = true;
    if (this.#destroying !== undefined) return this.#destroying;
    this.#state.destroyed = true;
    const error = (): ClosedError =>
      new ClosedError(
        `WorkerThreadPool "${this.name}"`,
        reason === undefined ? undefined : { cause: reason },
      );
    this.#dispatcher.settleAll(error);
    this.#destroying = this.#threads.endAll().then(() => this.#dispatcher.resolveDrained());
    return this.#destroying;
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Reports the pool's health: `critical` once closed or when the queue is full, `degraded`
   * when the queue is at least half full, `healthy` otherwise.
   *
   * @param _signal - unused: the check answers at once.
   * @returns the verdict, with `threads`, `busy`, `queued`, `running` and `crashes` as details.
   */
  async check(_signal?: AbortSignal): Promise<HealthCheckResult> {
    const queued = this.#queue.size;
    return queueHealth(this.#state.closed, queued, this.#o.maxQueue, {
      threads: this.#threads.size,
      busy: this.#threads.busy(),
      queued,
      running: this.#counters.running,
      crashes: this.#counters.crashes,
    });
  }

  /**
   * Takes a snapshot of the pool's counters and latency percentiles.
   *
   * @returns a fresh plain object.
   */
  stats(): Readonly<WorkerThreadPoolStats> {
    const threads = this.#threads;
    return this.#counters.snapshot(threads.size, threads.busy(), this.#queue.size, this.#o.maxThreads);
  }
}
