import { EventEmitter } from 'node:events';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { ShedError } from '../core/errors/ShedError.js';
import type { HealthStatus } from '../core/HealthCheck.js';
import { abortReason, drainUnlessAborted } from '../core/internal/abort.js';
import { signalOption } from '../core/internal/signalOption.js';
import { booleanOption, integerOption } from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { LoadShedding } from './LoadShedding.js';
import type {
  AddOptions,
  PriorityTaskQueueEvents,
  PriorityTaskQueueOptions,
  PriorityTaskQueueStats,
  Task,
  WaitOptions,
} from './PriorityTaskQueueOptions.js';
import { QueueCounters } from './QueueCounters.js';
import { QueueWaiters } from './QueueWaiters.js';
import {
  addRank,
  concurrencyOption,
  type ResolvedPriorityTaskQueueOptions,
  resolvePriorityTaskQueueOptions,
} from './resolvePriorityTaskQueueOptions.js';
import { TaskDispatcher } from './TaskDispatcher.js';

const WHAT = 'PriorityTaskQueue';

/**
 * Runs async tasks with a concurrency limit, highest priority first and FIFO within one
 * priority, with backpressure, retries, per-task timeouts, cancellation, a rate cap, aging and
 * load shedding.
 *
 * - **Priorities**: named levels (default `critical`, `high`, `medium`, `low`) or any number;
 *   higher first. Insertion is O(log n) whatever the mix (a binary heap keyed by priority, then
 *   sequence), where p-queue's sorted-array insert is O(n).
 * - **Backpressure**: `maxQueued` refuses tasks at `add` with {@link CapacityExceededError}.
 * - **Load shedding**: with a `loadSignal`, while the load is `critical` tasks below
 *   `shed.minPriority` are refused at `add` with {@link ShedError} (or deferred), and queued ones
 *   below it are held back; while it is `degraded` or `critical`, `shed.degradedConcurrency`
 *   applies.
 * - **Retries and timeouts**: per queue or per task, through the resilience module's `retry`.
 *   Without retries, a task's error rejects its promise unchanged.
 * - **Lifecycle**: `close()` refuses new tasks and resolves once every accepted task has
 *   settled; `destroy()` rejects what is left with {@link ClosedError}.
 *
 * A task starts synchronously inside `add` when a slot is free. Events:
 * {@link PriorityTaskQueueEvents}. It is a {@link MetricsSource} of
 * {@link PriorityTaskQueueStats} and a {@link Closeable}.
 *
 * @example
 * {@includeCode ./PriorityTaskQueue.test.ts#priorityTaskQueue}
 */
export class PriorityTaskQueue
  extends EventEmitter<PriorityTaskQueueEvents>
  implements Closeable, MetricsSource<PriorityTaskQueueStats>
{
  readonly #o: ResolvedPriorityTaskQueueOptions;
  readonly #counters = new QueueCounters();
  readonly #shedding: LoadShedding;
  readonly #waiters: QueueWaiters;
  readonly #dispatcher: TaskDispatcher;
  #baseConcurrency: number;
  #closed = false;
  #subscription: Disposable | undefined;
  #closePromise: Promise<void> | undefined;
  #closeResolve: (() => void) | undefined;

  /**
   * @param options - concurrency, bounds, priorities, retries, timeouts, shedding, rate cap, aging.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: PriorityTaskQueueOptions) {
    super();
    this.#o = resolvePriorityTaskQueueOptions(options);
    this.#baseConcurrency = this.#o.concurrency;
    const paused = booleanOption('options.paused', options?.paused ?? false);
    this.#shedding = new LoadShedding(this.#o);
    this.#waiters = new QueueWaiters(this, () => this.#checkClosed());
    this.#dispatcher = new TaskDispatcher(this.#o, this.#shedding, this.#counters, this.#waiters, paused);
    const signal = this.#o.loadSignal;
    if (signal !== undefined) {
      this.#subscription = signal.subscribe((change) => this.#applyLoad(change.status));
      this.#applyLoad(signal.status);
    }
  }

  /** Tasks waiting to start, deferred ones included. */
  get size(): number {
    return this.#dispatcher.size;
  }

  /** Tasks running now. */
  get pending(): number {
    return this.#dispatcher.running;
  }

  /** Whether the queue is paused. */
  get isPaused(): boolean {
    return this.#dispatcher.paused;
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The configured concurrency. Setting it takes effect at once (more tasks start when it
   * grows; running ones are never stopped when it shrinks). While the load is degraded,
   * `shed.degradedConcurrency` applies instead.
   *
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` unless an integer >= 1 or `Infinity`.
   */
  get concurrency(): number {
    return this.#baseConcurrency;
  }

  /**
   * Sets the concurrency (see the getter).
   *
   * @param value - an integer >= 1, or `Infinity`.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for any other value.
   */
  set concurrency(value: number) {
    this.#baseConcurrency = concurrencyOption('concurrency', value);
    this.#applyLoad(this.#shedding.status);
    this.#dispatcher.drain();
  }

  /**
   * Queues `fn` and returns its result. It starts at once when a slot is free (synchronously,
   * inside `add`), otherwise when its turn comes: highest priority first, FIFO within one.
   *
   * @typeParam T - what `fn` resolves to.
   * @param fn - the task; receives a {@link TaskContext} with a signal to pass on.
   * @param options - priority, signal, retries, timeout and id of this task.
   * @returns what `fn` resolved to.
   * @throws (as rejections, never synchronously) {@link ClosedError} `ERR_LOADSTONE_CLOSED` after
   * `close()`; {@link CapacityExceededError} `ERR_LOADSTONE_CAPACITY` when `maxQueued` tasks
   * wait; {@link ShedError} `ERR_LOADSTONE_SHED` when the load is critical and the priority is
   * shed; `signal.reason` on abort; {@link TimeoutError} `ERR_LOADSTONE_TIMEOUT` past the time
   * limit; {@link RetriesExhaustedError} `ERR_LOADSTONE_RETRIES_EXHAUSTED` when every allowed
   * attempt failed (with more than one allowed); otherwise `fn`'s own error, unchanged;
   * {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad argument.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#add}
   */
  add<T>(fn: Task<T>, options?: AddOptions): Promise<T> {
    let rank: number;
    try {
      rank = addRank(this.#o, fn as Task<unknown>, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new ClosedError(WHAT));
    const signal = options?.signal;
    if (signal?.aborted) {
      this.#counters.aborted++;
      return Promise.reject(abortReason(signal, 'task'));
    }
    if (this.#shedding.refuses(rank)) {
      // A shed task was given a valid priority, or none: then it has the default one.
      const priority = options?.priority ?? this.#o.defaultPriority;
      this.#counters.shed++;
      this.emit('task:shed', { priority, id: options?.id });
      return Promise.reject(new ShedError(WHAT, priority));
    }
    const dispatcher = this.#dispatcher;
    if (dispatcher.size >= this.#o.maxQueued && !dispatcher.hasFreeSlot()) {
      this.#counters.rejectedFull++;
      return Promise.reject(new CapacityExceededError(`${WHAT} queue`, this.#o.maxQueued));
    }
    return dispatcher.enqueue(fn as Task<unknown>, rank, options) as Promise<T>;
  }

  /**
   * Adds several tasks with the same options and waits for all of them.
   *
   * @typeParam T - what the tasks resolve to.
   * @param fns - the tasks, queued in order.
   * @param options - applied to each task.
   * @returns their results, in order; rejects with the first failure (as `Promise.all`).
   * @throws what {@link PriorityTaskQueue.add} throws.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#addAll}
   */
  addAll<T>(fns: readonly Task<T>[], options?: AddOptions): Promise<T[]> {
    if (!Array.isArray(fns)) return Promise.reject(new InvalidOptionError('fns', 'an array', fns));
    return Promise.all(fns.map((fn) => this.add<T>(fn, options)));
  }

  /**
   * Stops starting tasks (running ones go on); `add` still queues.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#pause}
   */
  pause(): void {
    this.#dispatcher.paused = true;
  }

  /** Starts queued tasks again after {@link PriorityTaskQueue.pause}. */
  resume(): void {
    const dispatcher = this.#dispatcher;
    dispatcher.paused = false;
    dispatcher.drain();
  }

  /**
   * Waits until no task is queued (some may still run).
   *
   * @param options - a `signal` to stop waiting.
   * @returns a promise that resolves when the queue is empty (at once if it is).
   * @throws `signal.reason`, as a rejection, on abort.
   */
  onEmpty(options?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'PriorityTaskQueue.onEmpty');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#waiters.empty.wait(this.#dispatcher.size === 0, signal);
  }

  /**
   * Waits until fewer than `limit` tasks are queued (running ones are not counted), as p-queue's
   * `onSizeLessThan`: the way a producer pulling from elsewhere (a Redis list, a socket) keeps
   * the backlog bounded without `maxQueued` rejections.
   *
   * @param limit - resolve once `size < limit`. An integer >= 1.
   * @param options - a `signal` to stop waiting.
   * @returns a promise that resolves when the backlog is below `limit` (at once if it is).
   * @throws `signal.reason`, as a rejection, on abort; {@link InvalidOptionError}
   * `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, for a bad `limit`.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#onSizeLessThan}
   */
  onSizeLessThan(limit: number, options?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      integerOption('limit', limit, 1);
      signal = signalOption(options, 'PriorityTaskQueue.onSizeLessThan');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#waiters.sizeBelow.wait(this.#dispatcher.size < limit, signal, limit);
  }

  /**
   * Waits until no task is queued or running.
   *
   * @param options - a `signal` to stop waiting.
   * @returns a promise that resolves when the queue is idle (at once if it is).
   * @throws `signal.reason`, as a rejection, on abort.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#onIdle}
   */
  onIdle(options?: WaitOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'PriorityTaskQueue.onIdle');
    } catch (error) {
      return Promise.reject(error);
    }
    const dispatcher = this.#dispatcher;
    return this.#waiters.idle.wait(dispatcher.size === 0 && dispatcher.running === 0, signal);
  }

  /**
   * Takes a snapshot of the queue's counters and gauges.
   *
   * @returns a fresh {@link PriorityTaskQueueStats}.
   */
  stats(): PriorityTaskQueueStats {
    return this.#counters.stats(this.#dispatcher, this.#shedding.status, this.#closed);
  }

  /**
   * Refuses new tasks with {@link ClosedError} and resolves once every accepted task has
   * settled: queued tasks still run, in order (a paused queue is resumed). Tasks held back by
   * load shedding wait for the load to drop. The wait is bounded by `closeTimeoutMs` and by
   * `options.signal`: past either, the queue is destroyed. Idempotent.
   *
   * @param options - a `signal` that destroys the queue instead of waiting on.
   * @returns a promise that resolves once drained; after that no task of this queue runs.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   *
   * @example
   * {@includeCode ./PriorityTaskQueue.test.ts#close}
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'PriorityTaskQueue.close');
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#closed) {
      this.#closed = true;
      this.#closePromise = new Promise<void>((resolve) => {
        this.#closeResolve = resolve;
      });
      this.#dispatcher.paused = false;
      this.#dispatcher.drain();
      this.#checkClosed();
    }
    const drained = this.#closePromise ?? Promise.resolve();
    return drainUnlessAborted(
      drained,
      signal,
      (reason) => this.destroy(reason),
      `close of ${WHAT}`,
      this.#o.closeTimeoutMs,
    );
  }

  /**
   * Stops intake and abandons every queued and running task: their promises reject with
   * {@link ClosedError} (`cause`: `reason`) and running tasks' signals abort. Idempotent; also
   * ends a pending `close()`.
   *
   * @param reason - kept as the `cause` of the rejections.
   * @returns a promise that resolves at once, everything being released.
   */
  destroy(reason?: unknown): Promise<void> {
    // A second call finds nothing left to abandon.
    this.#closed = true;
    const error = new ClosedError(WHAT, reason === undefined ? undefined : { cause: reason });
    this.#dispatcher.abandonAll(error);
    this.#waiters.notify(this.#dispatcher);
    this.#finishClose();
    return Promise.resolve();
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // The first call (from the constructor) has no listener yet; the concurrency setter keeps the status.
  #applyLoad(status: HealthStatus): void {
    const dispatcher = this.#dispatcher;
    const previous = dispatcher.applyLoad(status, this.#baseConcurrency);
    if (previous !== status) {
      this.emit('load:changed', { status, concurrency: dispatcher.concurrency });
    }
    dispatcher.drain();
  }

  #checkClosed(): void {
    const dispatcher = this.#dispatcher;
    if (this.#closed && dispatcher.size === 0 && dispatcher.running === 0) this.#finishClose();
  }

  #finishClose(): void {
    this.#subscription?.[Symbol.dispose]();
    this.#subscription = undefined;
    const resolve = this.#closeResolve;
    this.#closeResolve = undefined;
    resolve?.();
  }
}
