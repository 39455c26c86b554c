import { EventEmitter, setMaxListeners } from 'node:events';
import type { Clock } from '../core/Clock.js';
import { systemClock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { RetriesExhaustedError } from '../core/errors/RetriesExhaustedError.js';
import { ShedError } from '../core/errors/ShedError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthStatus } from '../core/HealthCheck.js';
import { abortReason, drainUnlessAborted } from '../core/internal/abort.js';
import {
  booleanOption,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionsObject,
} from '../core/internal/validate.js';
import type { LoadChange, LoadSignal } from '../core/LoadSignal.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { retry } from '../resilience/index.js';
import type {
  AddOptions,
  Priority,
  PriorityTaskQueueEvents,
  PriorityTaskQueueOptions,
  PriorityTaskQueueStats,
  Task,
  TaskContext,
  TaskRetryOptions,
  WaitOptions,
} from './PriorityTaskQueueOptions.js';
import { BucketQueue, TaskHeap, type TaskStore } from './TaskHeap.js';

const DEFAULT_PRIORITIES: readonly string[] = Object.freeze(['critical', 'high', 'medium', 'low']);
const WHAT = 'PriorityTaskQueue';

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

type ResolvedPriorityTaskQueueOptions = {
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly closeTimeoutMs: number;
  readonly levels: ReadonlyMap<string, number>;
  readonly defaultRank: number;
  readonly defaultPriority: Priority;
  readonly retry: TaskRetryOptions | undefined;
  readonly timeoutMs: number;
  readonly loadSignal: LoadSignal | undefined;
  readonly shedRank: number;
  readonly shedAction: 'reject' | 'defer';
  readonly degradedConcurrency: number | undefined;
  readonly rateLimit: number;
  readonly rateIntervalMs: number;
  readonly agingIntervalMs: number;
  readonly clock: Clock;
};

/**
 * One queued or running task. A class with fixed fields (and no per-task closures besides the
 * promise's own) keeps a queued task to a few hundred bytes.
 */
class Entry {
  key: number;
  readonly seq: number;
  readonly rank: number;
  state = QUEUED;
  readonly fn: Task<unknown>;
  readonly options: AddOptions | undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** The queued-phase abort listener, when the task has a signal. */
  onAbort: (() => void) | undefined = undefined;
  /** Neighbours in the running list (destroy() walks it). */
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;

  constructor(fn: Task<unknown>, rank: number, key: number, seq: number, options: AddOptions | undefined) {
    this.fn = fn;
    this.rank = rank;
    this.key = key;
    this.seq = seq;
    this.options = options;
  }
}

/** A caller of `onEmpty`/`onIdle`/`onSizeLessThan`; `limit` is the size it waits to go below. */
type Waiter = { readonly resolve: () => void; readonly cleanup: () => void; readonly limit: number };

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
  readonly #heap: TaskStore<Entry>;
  /** Tasks popped while the load is critical and their priority is shed: they wait here. */
  #held: Entry[] = [];
  #seq = 0;
  /** Live queued tasks (cancelled ones still in the heap are not counted). */
  #size = 0;
  /** Cancelled tasks still in the heap, removed lazily. */
  #dead = 0;
  #running = 0;
  #runningHead: Entry | undefined = undefined;
  #baseConcurrency: number;
  #concurrency: number;
  #paused: boolean;
  #emptyNotified = true;
  #idleNotified = true;
  #closed = false;
  #destroyed = false;
  #draining = false;
  #load: HealthStatus = 'healthy';
  #subscription: Disposable | undefined;
  readonly #lifecycle = new AbortController();
  readonly #plainContext: TaskContext;
  // Rate cap window.
  #windowEnd = 0;
  #windowStarts = 0;
  #rateTimer: NodeJS.Timeout | undefined;
  #emptyWaiters: Waiter[] = [];
  #idleWaiters: Waiter[] = [];
  #sizeWaiters: Waiter[] = [];
  #closePromise: Promise<void> | undefined;
  #closeResolve: (() => void) | undefined;
  // Counters.
  #added = 0;
  #started = 0;
  #completed = 0;
  #failed = 0;
  #timedOut = 0;
  #retries = 0;
  #shed = 0;
  #rejectedFull = 0;
  #aborted = 0;

  /**
   * @param options - concurrency, bounds, priorities, retries, timeouts, shedding, rate cap, aging.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: PriorityTaskQueueOptions) {
    super();
    this.#o = resolveOptions(options);
    // Aging makes every key distinct, which suits a heap; fixed priorities suit buckets.
    this.#heap = this.#o.agingIntervalMs > 0 ? new TaskHeap<Entry>() : new BucketQueue<Entry>();
    this.#baseConcurrency = this.#o.concurrency;
    this.#concurrency = this.#o.concurrency;
    this.#paused = booleanOption('options.paused', options?.paused ?? false);
    // Every running task with a signal or timeout listens to the lifecycle signal.
    setMaxListeners(0, this.#lifecycle.signal);
    this.#plainContext = Object.freeze({ signal: this.#lifecycle.signal, attempt: 1, id: undefined });
    const signal = this.#o.loadSignal;
    if (signal !== undefined) {
      this.#subscription = signal.subscribe((change) => this.#onLoad(change));
      this.#applyLoad(signal.status, false);
    }
  }

  /** Tasks waiting to start, deferred ones included. */
  get size(): number {
    return this.#size;
  }

  /** Tasks running now. */
  get pending(): number {
    return this.#running;
  }

  /** Whether the queue is paused. */
  get isPaused(): boolean {
    return this.#paused;
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
    this.#applyLoad(this.#load, false);
    this.#drain();
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
    let priority: Priority;
    try {
      functionOption('fn', fn);
      if (options === undefined || options.priority === undefined) {
        if (options !== undefined) validateAddOptions(options);
        rank = this.#o.defaultRank;
        priority = this.#o.defaultPriority;
      } else {
        validateAddOptions(options);
        priority = options.priority;
        rank = this.#rankOf('options.priority', priority);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new ClosedError(WHAT));
    const signal = options?.signal;
    if (signal?.aborted) {
      this.#aborted++;
      return Promise.reject(abortReason(signal, 'task'));
    }
    if (this.#load === 'critical' && rank < this.#o.shedRank && this.#o.shedAction === 'reject') {
      this.#shed++;
      if (this.listenerCount('task:shed') > 0) {
        this.emit('task:shed', { priority, id: options?.id });
      }
      return Promise.reject(new ShedError(WHAT, priority));
    }
    if (this.#size >= this.#o.maxQueued && !this.#hasFreeSlot()) {
      this.#rejectedFull++;
      return Promise.reject(new CapacityExceededError(`${WHAT} queue`, this.#o.maxQueued));
    }
    const aging = this.#o.agingIntervalMs;
    const key = aging > 0 ? rank - this.#o.clock.now() / aging : rank;
    // Only options that change how the task runs are kept: a bare `{ priority }` stays on the fast path.
    const kept =
      options !== undefined &&
      (signal !== undefined ||
        options.retry !== undefined ||
        options.timeoutMs !== undefined ||
        options.id !== undefined)
        ? options
        : undefined;
    const entry = new Entry(fn as Task<unknown>, rank, key, this.#seq++, kept);
    const promise = new Promise<T>((resolve, reject) => {
      entry.resolve = resolve as (value: unknown) => void;
      entry.reject = reject;
    });
    this.#added++;
    if (signal !== undefined) {
      const onAbort = (): void => this.#abortQueued(entry, signal);
      entry.onAbort = onAbort;
      signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#heap.push(entry);
    this.#size++;
    this.#emptyNotified = false;
    this.#idleNotified = false;
    this.#drain();
    return promise;
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
    this.#paused = true;
  }

  /** Starts queued tasks again after {@link PriorityTaskQueue.pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#drain();
  }

  /**
   * Waits until no task is queued (some may still run).
   *
   * @param options - a `signal` to stop waiting.
   * @returns a promise that resolves when the queue is empty (at once if it is).
   * @throws `signal.reason`, as a rejection, on abort.
   */
  onEmpty(options?: WaitOptions): Promise<void> {
    return this.#wait(this.#emptyWaiters, () => this.#size === 0, options);
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
    try {
      integerOption('limit', limit, 1);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#wait(this.#sizeWaiters, () => this.#size < limit, options, limit);
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
    return this.#wait(this.#idleWaiters, () => this.#size === 0 && this.#running === 0, options);
  }

  /**
   * Takes a snapshot of the queue's counters and gauges.
   *
   * @returns a fresh {@link PriorityTaskQueueStats}.
   */
  stats(): PriorityTaskQueueStats {
    return {
      queued: this.#size,
      deferred: this.#held.length,
      running: this.#running,
      concurrency: this.#concurrency,
      load: this.#load,
      paused: this.#paused,
      closed: this.#closed,
      added: this.#added,
      started: this.#started,
      completed: this.#completed,
      failed: this.#failed,
      timedOut: this.#timedOut,
      retries: this.#retries,
      shed: this.#shed,
      rejectedFull: this.#rejectedFull,
      aborted: this.#aborted,
    };
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
    const signal = options?.signal;
    if (!this.#closed) {
      this.#closed = true;
      this.#closePromise = new Promise<void>((resolve) => {
        this.#closeResolve = resolve;
      });
      this.#paused = false;
      this.#drain();
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
    this.#closed = true;
    if (this.#destroyed) return Promise.resolve();
    this.#destroyed = true;
    const error = new ClosedError(WHAT, reason === undefined ? undefined : { cause: reason });
    const queued = [...this.#heap.drain(), ...this.#held];
    this.#held = [];
    for (const entry of queued) {
      if (entry.state !== QUEUED) continue;
      entry.state = DONE;
      this.#detachAbort(entry);
      entry.reject(error);
    }
    this.#size = 0;
    this.#dead = 0;
    this.#lifecycle.abort(error);
    for (let entry = this.#runningHead; entry !== undefined; entry = entry.next) {
      entry.state = DONE;
      entry.reject(error);
    }
    this.#runningHead = undefined;
    this.#running = 0;
    if (this.#rateTimer !== undefined) clearTimeout(this.#rateTimer);
    this.#rateTimer = undefined;
    this.#notifyWaiters();
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

  #hasFreeSlot(): boolean {
    return !this.#paused && this.#running < this.#concurrency && this.#size === 0;
  }

  #rankOf(path: string, priority: Priority): number {
    if (typeof priority === 'number') {
      if (!Number.isFinite(priority))
        throw new InvalidOptionError(path, 'a level name or a finite number', priority);
      return priority;
    }
    const rank = this.#o.levels.get(priority);
    if (rank === undefined) {
      throw new InvalidOptionError(
        path,
        `one of ${[...this.#o.levels.keys()].map((l) => `"${l}"`).join(', ')} or a finite number`,
        priority,
      );
    }
    return rank;
  }

  // Starts as many tasks as the limits allow. Re-entrant calls (a task adding a task
  // synchronously) return at once: the outer loop re-reads the state on each turn.
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (!this.#paused && this.#running < this.#concurrency && this.#size > this.#held.length) {
        if (this.#o.rateLimit > 0 && !this.#rateAllows()) break;
        const entry = this.#take();
        if (entry === undefined) break;
        this.#start(entry);
      }
    } finally {
      this.#draining = false;
    }
    if (this.#sizeWaiters.length > 0) this.#notifySizeWaiters();
    if (this.#size === 0) this.#notifyWaiters();
  }

  #notifySizeWaiters(): void {
    // Compacted in place, oldest first: a waiter's abort handler removes it from this very array.
    const waiters = this.#sizeWaiters;
    const ready: Waiter[] = [];
    let kept = 0;
    for (const w of waiters) {
      if (this.#size < w.limit) ready.push(w);
      else waiters[kept++] = w;
    }
    waiters.length = kept;
    for (const w of ready) {
      w.cleanup();
      w.resolve();
    }
  }

  /** Pops the next startable task, holding back shed ones while the load is critical. */
  #take(): Entry | undefined {
    const heap = this.#heap;
    for (;;) {
      const entry = heap.pop();
      if (entry === undefined) return undefined;
      if (entry.state !== QUEUED) {
        this.#dead--;
        continue;
      }
      if (this.#load === 'critical' && entry.rank < this.#o.shedRank) {
        this.#held.push(entry);
        continue;
      }
      return entry;
    }
  }

  #rateAllows(): boolean {
    const now = this.#o.clock.now();
    if (now >= this.#windowEnd) {
      this.#windowEnd = now + this.#o.rateIntervalMs;
      this.#windowStarts = 0;
    }
    if (this.#windowStarts < this.#o.rateLimit) {
      this.#windowStarts++;
      return true;
    }
    if (this.#rateTimer === undefined) {
      this.#rateTimer = setTimeout(
        () => {
          this.#rateTimer = undefined;
          this.#drain();
        },
        Math.max(1, this.#windowEnd - now),
      );
    }
    return false;
  }

  #start(entry: Entry): void {
    this.#size--;
    entry.state = RUNNING;
    this.#running++;
    this.#started++;
    const head = this.#runningHead;
    entry.next = head;
    if (head !== undefined) head.prev = entry;
    this.#runningHead = entry;
    const options = entry.options;
    if (
      this.#o.retry === undefined &&
      this.#o.timeoutMs === 0 &&
      (options === undefined ||
        (options.signal === undefined && options.retry === undefined && options.timeoutMs === undefined))
    ) {
      this.#runPlain(entry, options?.id);
    } else {
      this.#detachAbort(entry);
      this.#runGuarded(entry, options);
    }
  }

  async #runPlain(entry: Entry, id: string | undefined): Promise<void> {
    try {
      const context =
        id === undefined ? this.#plainContext : { signal: this.#lifecycle.signal, attempt: 1, id };
      const value = await entry.fn(context);
      this.#settle(entry, true, value);
    } catch (error) {
      this.#settle(entry, false, error);
    }
  }

  async #runGuarded(entry: Entry, options: AddOptions | undefined): Promise<void> {
    const retryOptions = options?.retry === undefined ? this.#o.retry : options.retry || undefined;
    const timeoutMs = options?.timeoutMs ?? this.#o.timeoutMs;
    const callerSignal = options?.signal;
    const id = options?.id;
    const lifecycle = this.#lifecycle.signal;
    const attempts = retryOptions?.attempts ?? (retryOptions === undefined ? 1 : 3);
    let made = 0;
    const attempt = (n: number): Promise<unknown> => {
      made = n;
      if (n > 1) this.#retries++;
      return runAttempt(entry.fn, n, id, callerSignal, lifecycle, timeoutMs);
    };
    try {
      let value: unknown;
      if (attempts <= 1) {
        value = await attempt(1);
      } else {
        const signal = callerSignal === undefined ? lifecycle : AbortSignal.any([callerSignal, lifecycle]);
        value = await retry(({ attempt: n }) => attempt(n), { ...retryOptions, signal });
      }
      this.#settle(entry, true, value);
    } catch (error) {
      if (callerSignal?.aborted) {
        this.#aborted++;
        this.#settle(entry, false, abortReason(callerSignal, 'task'), true);
        return;
      }
      if (error instanceof TimeoutError) this.#timedOut++;
      const final =
        attempts > 1 && !lifecycle.aborted && made > 0
          ? new RetriesExhaustedError(id === undefined ? 'task' : `task "${id}"`, made, { cause: error })
          : error;
      this.#settle(entry, false, final);
    }
  }

  #settle(entry: Entry, ok: boolean, value: unknown, aborted = false): void {
    if (entry.state !== RUNNING) return;
    entry.state = DONE;
    const { prev, next } = entry;
    if (prev === undefined) this.#runningHead = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    entry.prev = undefined;
    entry.next = undefined;
    this.#running--;
    if (ok) {
      this.#completed++;
      entry.resolve(value);
    } else {
      if (!aborted) this.#failed++;
      entry.reject(value);
    }
    this.#drain();
    if (this.#running === 0 && this.#size === 0) this.#notifyWaiters();
  }

  #abortQueued(entry: Entry, signal: AbortSignal): void {
    if (entry.state !== QUEUED) return;
    entry.state = DONE;
    entry.onAbort = undefined;
    this.#size--;
    this.#aborted++;
    const heldIndex = this.#held.indexOf(entry);
    if (heldIndex >= 0) this.#held.splice(heldIndex, 1);
    else this.#dead++;
    entry.reject(abortReason(signal, 'task'));
    // Many cancelled tasks would otherwise sit in the heap until popped.
    if (this.#dead > 1024 && this.#dead > this.#size) {
      this.#heap.filter((e) => e.state === QUEUED);
      this.#dead = 0;
    }
    if (this.#size === 0) this.#notifyWaiters();
    this.#drain();
  }

  #detachAbort(entry: Entry): void {
    const onAbort = entry.onAbort;
    if (onAbort === undefined) return;
    entry.onAbort = undefined;
    entry.options?.signal?.removeEventListener('abort', onAbort);
  }

  #onLoad(change: LoadChange): void {
    this.#applyLoad(change.status, true);
  }

  #applyLoad(status: HealthStatus, emit: boolean): void {
    const previous = this.#load;
    this.#load = status;
    this.#concurrency =
      status === 'healthy' ? this.#baseConcurrency : (this.#o.degradedConcurrency ?? this.#baseConcurrency);
    if (previous === 'critical' && status !== 'critical' && this.#held.length > 0) {
      this.#heap.restore(this.#held);
      this.#held = [];
    }
    if (emit && previous !== status) {
      this.emit('load:changed', { status, concurrency: this.#concurrency });
    }
    this.#drain();
  }

  #wait(waiters: Waiter[], ready: () => boolean, options: WaitOptions | undefined, limit = 0): Promise<void> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal, 'wait'));
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(abortReason(signal as AbortSignal, 'wait'));
      };
      const waiter: Waiter = {
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        limit,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  #notifyWaiters(): void {
    if (this.#sizeWaiters.length > 0) this.#notifySizeWaiters();
    if (this.#size !== 0) return;
    if (this.#emptyWaiters.length > 0) {
      const waiters = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const w of waiters) {
        w.cleanup();
        w.resolve();
      }
    }
    if (!this.#emptyNotified) {
      this.#emptyNotified = true;
      this.emit('queue:emptied');
    }
    if (this.#running === 0) {
      if (this.#idleWaiters.length > 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) {
          w.cleanup();
          w.resolve();
        }
      }
      if (!this.#idleNotified) {
        this.#idleNotified = true;
        this.emit('queue:idled');
      }
      this.#checkClosed();
    }
  }

  #checkClosed(): void {
    if (this.#closed && this.#size === 0 && this.#running === 0) this.#finishClose();
  }

  #finishClose(): void {
    this.#subscription?.[Symbol.dispose]();
    this.#subscription = undefined;
    const resolve = this.#closeResolve;
    this.#closeResolve = undefined;
    resolve?.();
  }
}

/**
 * Runs one attempt of a task: its own controller follows the caller's signal, the queue's
 * lifecycle and the time limit, and the attempt rejects as soon as any of them fires.
 */
function runAttempt(
  fn: Task<unknown>,
  attempt: number,
  id: string | undefined,
  callerSignal: AbortSignal | undefined,
  lifecycle: AbortSignal,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const stop = (reason: unknown): void => {
      cleanup();
      controller.abort(reason);
      reject(reason);
    };
    const onCaller = (): void => stop(abortReason(callerSignal as AbortSignal, 'task'));
    const onLifecycle = (): void => stop(lifecycle.reason);
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCaller);
      lifecycle.removeEventListener('abort', onLifecycle);
    };
    if (callerSignal?.aborted) return reject(abortReason(callerSignal, 'task'));
    if (lifecycle.aborted) return reject(lifecycle.reason);
    callerSignal?.addEventListener('abort', onCaller, { once: true });
    lifecycle.addEventListener('abort', onLifecycle, { once: true });
    if (timeoutMs > 0) {
      timer = setTimeout(
        () => stop(new TimeoutError(id === undefined ? 'task' : `task "${id}"`, timeoutMs)),
        timeoutMs,
      );
    }
    let result: unknown;
    try {
      result = fn({ signal: controller.signal, attempt, id });
    } catch (error) {
      cleanup();
      reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

function concurrencyOption(path: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return integerOption(path, value, 1);
}

function validateRetry(path: string, value: unknown): TaskRetryOptions {
  const opts = optionsObject(path, value as TaskRetryOptions);
  if ('signal' in opts) {
    throw new InvalidOptionError(
      `${path}.signal`,
      'absent: pass the signal to `add`',
      (opts as Record<string, unknown>).signal,
    );
  }
  if (opts.attempts !== undefined) integerOption(`${path}.attempts`, opts.attempts, 1, 1000);
  if (opts.baseDelayMs !== undefined) numberOption(`${path}.baseDelayMs`, opts.baseDelayMs, 0);
  if (opts.maxDelayMs !== undefined) numberOption(`${path}.maxDelayMs`, opts.maxDelayMs, 0);
  if (opts.retryIf !== undefined) functionOption(`${path}.retryIf`, opts.retryIf);
  if (opts.onRetry !== undefined) functionOption(`${path}.onRetry`, opts.onRetry);
  return opts;
}

function validateAddOptions(options: AddOptions): void {
  optionsObject('options', options);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidOptionError('options.signal', 'an AbortSignal', options.signal);
  }
  if (options.retry !== undefined && options.retry !== false) validateRetry('options.retry', options.retry);
  if (options.timeoutMs !== undefined) numberOption('options.timeoutMs', options.timeoutMs, 0);
  if (options.id !== undefined) nonEmptyStringOption('options.id', options.id);
}

function resolveOptions(options: PriorityTaskQueueOptions | undefined): ResolvedPriorityTaskQueueOptions {
  const opts = optionsObject('options', options) as PriorityTaskQueueOptions;
  const concurrency = concurrencyOption('options.concurrency', opts.concurrency ?? 1);
  const maxQueued =
    opts.maxQueued === undefined || opts.maxQueued === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : integerOption('options.maxQueued', opts.maxQueued, 0);
  const closeTimeoutMs = integerOption(
    'options.closeTimeoutMs',
    opts.closeTimeoutMs ?? 30_000,
    0,
    MAX_TIMER_MS,
  );
  const names = opts.priorities ?? DEFAULT_PRIORITIES;
  if (!Array.isArray(names) || names.length === 0) {
    throw new InvalidOptionError('options.priorities', 'a non-empty array of distinct level names', names);
  }
  const levels = new Map<string, number>();
  names.forEach((name, i) => {
    nonEmptyStringOption(`options.priorities[${i}]`, name);
    if (levels.has(name)) {
      throw new InvalidOptionError(`options.priorities[${i}]`, 'a level name not used before', name);
    }
    levels.set(name, names.length - 1 - i);
  });
  const rankOf = (path: string, value: unknown): number => {
    if (typeof value === 'number') return numberOption(path, value);
    const level = oneOfOption(path, value, [...levels.keys()]);
    return levels.get(level) as number;
  };
  const defaultRank =
    opts.defaultPriority === undefined ? 0 : rankOf('options.defaultPriority', opts.defaultPriority);
  const retryOptions = opts.retry === undefined ? undefined : validateRetry('options.retry', opts.retry);
  const timeoutMs = numberOption('options.timeoutMs', opts.timeoutMs ?? 0, 0);
  const loadSignal = opts.loadSignal;
  if (loadSignal !== undefined) {
    const candidate = loadSignal as Partial<LoadSignal> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.subscribe !== 'function') {
      throw new InvalidOptionError('options.loadSignal', 'a LoadSignal', loadSignal);
    }
  }
  const shed = optionsObject('options.shed', opts.shed);
  const shedRank =
    shed.minPriority === undefined ? names.length - 1 : rankOf('options.shed.minPriority', shed.minPriority);
  const shedAction = oneOfOption('options.shed.action', shed.action ?? 'reject', [
    'reject',
    'defer',
  ] as const);
  const degradedConcurrency =
    shed.degradedConcurrency === undefined
      ? undefined
      : concurrencyOption('options.shed.degradedConcurrency', shed.degradedConcurrency);
  let rateLimit = 0;
  let rateIntervalMs = 0;
  if (opts.rate !== undefined) {
    const rate = optionsObject('options.rate', opts.rate);
    rateLimit = integerOption('options.rate.limit', rate.limit, 1);
    rateIntervalMs = numberOption('options.rate.intervalMs', rate.intervalMs, 1);
  }
  const agingIntervalMs =
    opts.aging === undefined
      ? 0
      : numberOption('options.aging.intervalMs', optionsObject('options.aging', opts.aging).intervalMs, 1);
  if (opts.clock !== undefined)
    functionOption('options.clock.now', (opts.clock as Partial<Clock> | null)?.now);
  return {
    concurrency,
    maxQueued,
    closeTimeoutMs,
    levels,
    defaultRank,
    defaultPriority: opts.defaultPriority ?? (names[names.length - 1] as string),
    retry: retryOptions,
    timeoutMs,
    loadSignal,
    shedRank,
    shedAction,
    degradedConcurrency,
    rateLimit,
    rateIntervalMs,
    agingIntervalMs,
    clock: opts.clock ?? systemClock,
  };
}
