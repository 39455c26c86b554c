import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type TransferListItem,
  Worker,
  type WorkerOptions,
} from 'node:worker_threads';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { WorkerExitError } from '../core/errors/WorkerExitError.js';
import type { HealthCheck, HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';
import { abortReason, drainUnlessAborted } from '../core/internal/abort.js';
import { integerOption, MAX_TIMER_MS, optionsObject } from '../core/internal/validate.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import {
  INIT_KEY,
  type InitMessage,
  OP_DEFINE,
  RESULT_STRIDE,
  reviveError,
  type SerializedError,
  STATE_LENGTH,
  STATE_READY,
  STATE_STARTED,
  STATUS_ERROR,
  STATUS_OK,
} from './protocol.js';
import { RunQueue, type RunQueueItem } from './RunQueue.js';
import { moduleUrl, type ResolvedWorkerThreadPoolOptions, resolveOptions } from './resolveOptions.js';
import type {
  ThreadExitReason,
  ThreadRunOptions,
  WorkerThreadPoolEvents,
  WorkerThreadPoolOptions,
  WorkerThreadPoolStats,
} from './WorkerThreadPoolOptions.js';

/** Pipelining keeps about this much measured work (ms) handed to each thread ahead of time. */
const PIPELINE_BUDGET_MS = 2;
/**
 * Tasks at least this long (ms, moving average) are handed out one per thread, as the issue's
 * techniques list advises ("keeping long ones alone"): a round trip is then a small share of a
 * task, and on the shared bench VM pipelined 1 ms tasks measured 10–25 % below one at a time
 * (piscina's concurrentTasksPerWorker and raw pipelined postMessage showed the same).
 */
const LONG_TASK_MS = 0.5;
/** Weight of the newest run time in the moving average that sizes the pipeline. */
const EWMA_ALPHA = 0.05;

const QUEUED = 0;
const DISPATCHED = 1;
const DONE = 2;

class Task implements RunQueueItem {
  readonly priority: number;
  readonly seq: number;
  removed = false;
  state = QUEUED;
  readonly handlerId: number;
  payload: unknown;
  readonly transferList: readonly TransferListItem[] | undefined;
  readonly exclusive: boolean;
  /**
   * Moves objects: it goes only to a thread with nothing else handed to it, so that it starts
   * at once (a moved payload cannot be re-sent if the thread dies before starting it).
   */
  readonly movesObjects: boolean;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  onAbort: (() => void) | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  thread: Thread | undefined = undefined;
  slot = -1;
  /** Order in which it was handed to its thread. */
  dispatchOrder = -1;
  /** Position among the tasks actually posted to its thread (what the thread's counter counts); -1 until posted. */
  threadSeq = -1;

  constructor(
    seq: number,
    priority: number,
    handlerId: number,
    payload: unknown,
    transferList: readonly TransferListItem[] | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    enqueuedAt: number,
  ) {
    this.seq = seq;
    this.priority = priority;
    this.handlerId = handlerId;
    this.payload = payload;
    this.transferList = transferList;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
    this.exclusive = signal !== undefined || timeoutMs > 0;
    this.movesObjects = transferList !== undefined && transferList.length > 0;
    this.enqueuedAt = enqueuedAt;
  }
}

class Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly state: Int32Array;
  readonly threadId: number;
  readonly exited: Promise<void>;
  markExited!: () => void;
  readonly slots: (Task | undefined)[] = [];
  readonly free: number[] = [];
  inflight = 0;
  dispatched = 0;
  posted = 0;
  outbox: Task[] = [];
  dirty = false;
  readonly known: boolean[] = [];
  /** Running a task that must be alone (it has a signal or a time limit). */
  exclusive = false;
  exiting = false;
  exitReason: ThreadExitReason | undefined = undefined;
  error: unknown = undefined;
  idleSince = 0;
  idleTimer: NodeJS.Timeout | undefined = undefined;

  constructor(worker: Worker, port: MessagePort, state: Int32Array) {
    this.worker = worker;
    this.port = port;
    this.state = state;
    this.threadId = worker.threadId;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
  }
}

type HandlerDef = { readonly url: string; readonly name: string | null };

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
  readonly #threads: Thread[] = [];
  readonly #exiting = new Set<Thread>();
  readonly #dirty: Thread[] = [];
  #flushQueued = false;
  readonly #handlers: HandlerDef[] = [];
  readonly #handlerIds = new Map<string, number>();
  readonly #defaultHandlers = new Map<string | undefined, number>();
  #runtime: string | undefined;
  #seq = 0;
  #cap: number;
  #ewmaRunMs = LONG_TASK_MS;
  readonly #runTime = new LatencyRecorder();
  readonly #waitTime = new LatencyRecorder();
  #runTotalMs = 0;
  #running = 0;
  #completed = 0;
  #failed = 0;
  #crashes = 0;
  readonly #createdAt = performance.now();
  #closed = false;
  #destroyed = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  #destroying: Promise<void> | undefined;

  /**
   * @param options - the worker module and the pool's limits.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: WorkerThreadPoolOptions) {
    super();
    this.#o = resolveOptions(options);
    this.name = this.#o.name;
    this.#cap = this.#capFor(this.#ewmaRunMs);
    for (let i = 0; i < this.#o.minThreads; i++) this.#spawn();
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Threads alive (starting, busy or idle). */
  get threads(): number {
    return this.#threads.length;
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
    if (this.#closed) return Promise.reject(new ClosedError(`WorkerThreadPool "${this.name}"`));
    let handlerId: number;
    let priority = 0;
    let signal: AbortSignal | undefined;
    let timeoutMs = this.#o.taskTimeoutMs;
    let transferList: readonly TransferListItem[] | undefined;
    try {
      if (options === undefined) handlerId = this.#handlerFor(undefined, undefined);
      else {
        const o = optionsObject('options', options);
        handlerId = this.#handlerFor(o.filename, o.name);
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
      this.#failed++;
      return Promise.reject(error);
    }
    if (signal?.aborted === true) {
      this.#failed++;
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
    if (this.#queue.size === 0) {
      let thread: Thread | undefined;
      try {
        thread = this.#pick(task);
      } catch (error) {
        this.#settleError(task, error);
        return promise;
      }
      if (thread !== undefined) {
        this.#watch(task);
        this.#dispatch(task, thread);
        return promise;
      }
    }
    if (this.#queue.size >= this.#o.maxQueue) {
      this.#settleError(
        task,
        new CapacityExceededError(`WorkerThreadPool "${this.name}" queue`, this.#o.maxQueue),
      );
      return promise;
    }
    this.#watch(task);
    this.#queue.push(task);
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
    const signal = optionsObject('options', options).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    }
    this.#closed = true;
    this.#drained ??= new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    this.#checkDrained();
    return drainUnlessAborted(
      this.#drained,
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
    this.#closed = true;
    if (this.#destroying !== undefined) return this.#destroying;
    this.#destroyed = true;
    const error = (): ClosedError =>
      new ClosedError(
        `WorkerThreadPool "${this.name}"`,
        reason === undefined ? undefined : { cause: reason },
      );
    for (const task of this.#queue.drain()) this.#settleError(task, error());
    for (const thread of [...this.#threads, ...this.#exiting]) {
      for (const task of thread.slots) {
        if (task !== undefined && task.state === DISPATCHED) this.#settleError(task, error());
      }
    }
    this.#destroying = this.#endAll().then(() => {
      this.#resolveDrained?.();
      this.#resolveDrained = undefined;
    });
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
    const max = this.#o.maxQueue;
    let status: HealthStatus = 'healthy';
    let message: string | undefined;
    if (this.#closed) {
      status = 'critical';
      message = 'closed';
    } else if (max !== Number.POSITIVE_INFINITY && queued >= max) {
      status = 'critical';
      message = `queue full (${queued} of ${max})`;
    } else if (max !== Number.POSITIVE_INFINITY && queued * 2 >= max && queued > 0) {
      status = 'degraded';
      message = `queue at ${queued} of ${max}`;
    }
    const details = {
      threads: this.#threads.length,
      busy: this.#busy(),
      queued,
      running: this.#running,
      crashes: this.#crashes,
    };
    return message === undefined ? { status, details } : { status, message, details };
  }

  /**
   * Takes a snapshot of the pool's counters and latency percentiles.
   *
   * @returns a fresh plain object.
   */
  stats(): Readonly<WorkerThreadPoolStats> {
    const elapsed = performance.now() - this.#createdAt;
    return {
      threads: this.#threads.length,
      busy: this.#busy(),
      queued: this.#queue.size,
      running: this.#running,
      completed: this.#completed,
      failed: this.#failed,
      crashes: this.#crashes,
      utilization: elapsed > 0 ? Math.min(1, this.#runTotalMs / (elapsed * this.#o.maxThreads)) : 0,
      runTime: this.#runTime.snapshot(),
      waitTime: this.#waitTime.snapshot(),
    };
  }

  #busy(): number {
    let busy = 0;
    for (const thread of this.#threads) if (thread.inflight > 0) busy++;
    return busy;
  }

  #handlerFor(filename: string | URL | undefined, name: string | undefined): number {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new InvalidOptionError('options.name', 'a non-empty string', name);
    }
    if (filename === undefined) {
      const known = this.#defaultHandlers.get(name);
      if (known !== undefined) return known;
      if (this.#o.filename === undefined) {
        throw new InvalidOptionError(
          'options.filename',
          'a path or a file: URL (the pool has none)',
          filename,
        );
      }
      const id = this.#handlerId(this.#o.filename, name);
      this.#defaultHandlers.set(name, id);
      return id;
    }
    return this.#handlerId(moduleUrl('options.filename', filename), name);
  }

  #handlerId(url: string, name: string | undefined): number {
    const key = `${url}\0${name ?? ''}`;
    let id = this.#handlerIds.get(key);
    if (id === undefined) {
      id = this.#handlers.length;
      this.#handlers.push({ url, name: name ?? null });
      this.#handlerIds.set(key, id);
    }
    return id;
  }

  #capFor(ewmaMs: number): number {
    const depth = this.#o.pipelineDepth;
    if (depth === 1 || ewmaMs >= LONG_TASK_MS) return 1;
    const fits = 1 + Math.floor(PIPELINE_BUDGET_MS / Math.max(ewmaMs, 1e-3));
    return fits < depth ? fits : depth;
  }

  /** Arms the task's abort listener and timer (only tasks that have them). */
  #watch(task: Task): void {
    if (task.signal !== undefined) {
      const onAbort = (): void =>
        this.#cancel(task, abortReason(task.signal as AbortSignal, 'WorkerThreadPool task'), 'abort');
      task.onAbort = onAbort;
      task.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (task.timeoutMs > 0) {
      task.timer = setTimeout(() => {
        this.#cancel(
          task,
          new TimeoutError(`WorkerThreadPool "${this.name}" task`, task.timeoutMs),
          'timeout',
        );
      }, task.timeoutMs);
      task.timer.unref();
    }
  }

  /** A thread that can take the task now (starting one if allowed), or `undefined`. */
  #pick(task: Task): Thread | undefined {
    let best: Thread | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    const cap = task.exclusive || task.movesObjects ? 1 : this.#cap;
    const threads = this.#threads;
    for (let i = 0; i < threads.length; i++) {
      const thread = threads[i] as Thread;
      const load = thread.inflight;
      if (load < bestLoad && load < cap && !thread.exclusive) {
        best = thread;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    if (bestLoad > 0 && threads.length < this.#o.maxThreads && !this.#destroyed) return this.#spawn();
    return best;
  }

  #dispatch(task: Task, thread: Thread): void {
    task.state = DISPATCHED;
    task.thread = thread;
    const slot = thread.free.length > 0 ? (thread.free.pop() as number) : thread.slots.length;
    thread.slots[slot] = task;
    task.slot = slot;
    task.dispatchOrder = thread.dispatched++;
    if (thread.inflight++ === 0) {
      thread.worker.ref();
    }
    if (task.exclusive) thread.exclusive = true;
    this.#running++;
    if (this.#o.recordTiming) this.#waitTime.record(performance.now() - task.enqueuedAt);
    thread.outbox.push(task);
    if (!thread.dirty) {
      thread.dirty = true;
      this.#dirty.push(thread);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flush);
      }
    }
  }

  // Posting is deferred to a microtask so that every task handed out in one synchronous burst
  // (a loop of `run` calls, or a refill after a batch of results) goes in one message per thread.
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) {
      const thread = dirty[i] as Thread;
      thread.dirty = false;
      this.#post(thread);
    }
    dirty.length = 0;
  };

  #post(thread: Thread): void {
    const tasks = thread.outbox;
    if (tasks.length === 0 || thread.exiting) return;
    thread.outbox = [];
    const message: unknown[] = [];
    let transfer: TransferListItem[] | undefined;
    let defined: number[] | undefined;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      const h = task.handlerId;
      if (thread.known[h] !== true && defined?.includes(h) !== true) {
        const def = this.#handlers[h] as HandlerDef;
        message.push(OP_DEFINE, h, def.url, def.name);
        defined ??= [];
        defined.push(h);
      }
      message.push(task.slot, h, task.payload);
      if (task.transferList !== undefined) {
        transfer ??= [];
        for (const t of task.transferList) transfer.push(t);
      }
    }
    if (message.length === 0) return;
    try {
      thread.port.postMessage(message, transfer);
    } catch {
      // Some payload cannot be cloned or transferred: post one by one so only that task fails.
      this.#postEach(thread, tasks);
      return;
    }
    if (defined !== undefined) for (const h of defined) thread.known[h] = true;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as Task;
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      task.threadSeq = thread.posted++;
    }
  }

  #postEach(thread: Thread, tasks: readonly Task[]): void {
    for (const task of tasks) {
      if (task.state !== DISPATCHED || task.thread !== thread) continue;
      const h = task.handlerId;
      const message: unknown[] = [];
      if (thread.known[h] !== true) {
        const def = this.#handlers[h] as HandlerDef;
        message.push(OP_DEFINE, h, def.url, def.name);
      }
      message.push(task.slot, h, task.payload);
      try {
        thread.port.postMessage(message, task.transferList);
      } catch (error) {
        this.#release(thread, task);
        this.#settleError(task, error);
        continue;
      }
      thread.known[h] = true;
      task.threadSeq = thread.posted++;
    }
    this.#afterChange(thread);
  }

  /** Frees the task's slot in its thread (the task is settled or going back to the queue). */
  #release(thread: Thread, task: Task): void {
    if (task.slot >= 0 && thread.slots[task.slot] === task) {
      thread.slots[task.slot] = undefined;
      thread.free.push(task.slot);
      thread.inflight--;
      this.#running--;
      if (task.exclusive) thread.exclusive = false;
    }
    task.slot = -1;
  }

  #onMessage(thread: Thread, batch: unknown[]): void {
    this.#results(thread, batch);
    // Everything else that arrived since the wake-up, without a turn of the event loop each.
    for (
      let next = receiveMessageOnPort(thread.port);
      next !== undefined;
      next = receiveMessageOnPort(thread.port)
    ) {
      this.#results(thread, next.message as unknown[]);
    }
    this.#cap = this.#capFor(this.#ewmaRunMs);
    this.#afterChange(thread);
  }

  #results(thread: Thread, batch: unknown[]): void {
    const recordTiming = this.#o.recordTiming;
    const slots = thread.slots;
    for (let i = 0; i < batch.length; i += RESULT_STRIDE) {
      const slot = batch[i] as number;
      const task = slots[slot];
      if (task === undefined) continue;
      slots[slot] = undefined;
      thread.free.push(slot);
      thread.inflight--;
      this.#running--;
      if (task.exclusive) thread.exclusive = false;
      task.slot = -1;
      const runMs = batch[i + 3] as number;
      this.#runTotalMs += runMs;
      this.#ewmaRunMs += (runMs - this.#ewmaRunMs) * EWMA_ALPHA;
      if (recordTiming) this.#runTime.record(runMs);
      if (task.state !== DISPATCHED) continue;
      task.state = DONE;
      if (task.onAbort !== undefined || task.timer !== undefined) this.#unwatch(task);
      const status = batch[i + 1] as number;
      const value = batch[i + 2];
      if (status === STATUS_OK) {
        this.#completed++;
        task.resolve(value);
      } else {
        this.#failed++;
        task.reject(status === STATUS_ERROR ? reviveError(value as SerializedError) : value);
      }
    }
  }

  /** After tasks left a thread: refill from the queue, notice idleness and the end of a drain. */
  #afterChange(thread: Thread): void {
    if (this.#queue.size > 0) this.#pump();
    if (thread.inflight === 0 && !thread.exiting) this.#becameIdle(thread);
    if (this.#resolveDrained !== undefined) this.#checkDrained();
  }

  /** Hands queued tasks to threads while some can take the next one. */
  #pump(): void {
    const queue = this.#queue;
    while (queue.size > 0) {
      const task = queue.peek() as Task;
      let thread: Thread | undefined;
      try {
        thread = this.#pick(task);
      } catch (error) {
        queue.shift();
        this.#settleError(task, error);
        continue;
      }
      if (thread === undefined) return;
      queue.shift();
      this.#dispatch(task, thread);
    }
  }

  #becameIdle(thread: Thread): void {
    thread.worker.unref();
    if (this.#destroyed) return;
    thread.idleSince = performance.now();
    if (thread.idleTimer === undefined && this.#threads.length > this.#o.minThreads) {
      this.#armIdle(thread, this.#o.idleTimeoutMs);
    }
  }

  #armIdle(thread: Thread, ms: number): void {
    thread.idleTimer = setTimeout(() => {
      thread.idleTimer = undefined;
      if (thread.exiting || thread.inflight > 0 || this.#threads.length <= this.#o.minThreads) return;
      const left = this.#o.idleTimeoutMs - (performance.now() - thread.idleSince);
      if (left >= 1) this.#armIdle(thread, left);
      else this.#end(thread, 'idle');
    }, ms);
    thread.idleTimer.unref();
  }

  #cancel(task: Task, error: unknown, why: 'abort' | 'timeout'): void {
    if (task.state === QUEUED) {
      this.#queue.remove(task);
      this.#settleError(task, error);
      if (this.#resolveDrained !== undefined) this.#checkDrained();
      return;
    }
    if (task.state !== DISPATCHED) return;
    const thread = task.thread as Thread;
    this.#settleError(task, error);
    if (task.threadSeq < 0) {
      // Not posted yet: nothing runs, so the thread can stay.
      this.#release(thread, task);
      this.#afterChange(thread);
      return;
    }
    this.#end(thread, why);
    if (this.#queue.size > 0) this.#pump();
  }

  #settleError(task: Task, error: unknown): void {
    task.state = DONE;
    if (task.onAbort !== undefined || task.timer !== undefined) this.#unwatch(task);
    this.#failed++;
    task.reject(error);
  }

  #unwatch(task: Task): void {
    if (task.timer !== undefined) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    if (task.onAbort !== undefined) {
      task.signal?.removeEventListener('abort', task.onAbort);
      task.onAbort = undefined;
    }
  }

  #runtimeLocation(): string {
    this.#runtime ??= resolveRuntime();
    return this.#runtime;
  }

  #spawn(): Thread {
    const o = this.#o;
    const channel = new MessageChannel();
    const shared = new SharedArrayBuffer(STATE_LENGTH * Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(this.#runtimeLocation(), {
      workerData: o.workerData,
      ...(o.resourceLimits === undefined ? {} : { resourceLimits: { ...o.resourceLimits } }),
      ...(o.env === undefined ? {} : { env: o.env as WorkerOptions['env'] }),
      ...(o.execArgv === undefined ? {} : { execArgv: [...o.execArgv] }),
    });
    const thread = new Thread(worker, channel.port1, new Int32Array(shared));
    const init: InitMessage = { [INIT_KEY]: true, port: channel.port2, state: shared };
    worker.postMessage(init, [channel.port2]);
    channel.port1.on('message', (batch: unknown[]) => this.#onMessage(thread, batch));
    // The worker's own ref decides whether the pool keeps the process alive (only while busy).
    channel.port1.unref();
    worker.unref();
    worker.on('error', (error) => {
      thread.error ??= error;
    });
    worker.on('exit', (code) => this.#onExit(thread, code));
    this.#threads.push(thread);
    this.emit('thread:created', { threadId: thread.threadId });
    return thread;
  }

  /** Starts ending a thread; `#onExit` finishes the bookkeeping. */
  #end(thread: Thread, reason: ThreadExitReason): void {
    if (thread.exiting) return;
    thread.exiting = true;
    thread.exitReason = reason;
    if (thread.idleTimer !== undefined) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = undefined;
    }
    const i = this.#threads.indexOf(thread);
    if (i >= 0) this.#threads.splice(i, 1);
    this.#exiting.add(thread);
    void thread.worker.terminate();
  }

  #onExit(thread: Thread, exitCode: number): void {
    if (thread.idleTimer !== undefined) clearTimeout(thread.idleTimer);
    const i = this.#threads.indexOf(thread);
    if (i >= 0) this.#threads.splice(i, 1);
    this.#exiting.delete(thread);
    thread.exiting = true;
    // Results it posted before dying still count.
    for (
      let next = receiveMessageOnPort(thread.port);
      next !== undefined;
      next = receiveMessageOnPort(thread.port)
    ) {
      this.#results(thread, next.message as unknown[]);
    }
    thread.port.close();
    const reason = thread.exitReason ?? 'crash';
    const started = Atomics.load(thread.state, STATE_STARTED);
    const bootstrapped = Atomics.load(thread.state, STATE_READY) === 1;
    if (reason === 'crash') this.#crashes++;
    const requeue: Task[] = [];
    for (const task of thread.slots) {
      if (task === undefined) continue;
      this.#release(thread, task);
      if (task.state !== DISPATCHED) continue;
      const posted = task.threadSeq >= 0;
      const hadStarted = posted && task.threadSeq < started;
      // A thread that died before its runtime came up (bad execArgv, a failing --import) would
      // die again: fail its tasks instead of re-queueing them forever. A task whose payload
      // moved into the dead thread cannot be sent again either.
      if (hadStarted || (reason === 'crash' && !bootstrapped) || (posted && task.movesObjects)) {
        this.#settleError(
          task,
          new WorkerExitError('thread', thread.threadId, exitCode, { cause: thread.error }),
        );
      } else {
        requeue.push(task);
      }
    }
    thread.slots.length = 0;
    thread.free.length = 0;
    thread.outbox = [];
    requeue.sort((a, b) => b.dispatchOrder - a.dispatchOrder);
    for (const task of requeue) {
      task.state = QUEUED;
      task.thread = undefined;
      task.threadSeq = -1;
      task.dispatchOrder = -1;
      this.#queue.pushFront(task);
    }
    this.emit(
      'thread:exited',
      reason === 'crash' && thread.error !== undefined
        ? { threadId: thread.threadId, reason, exitCode, error: thread.error }
        : { threadId: thread.threadId, reason, exitCode },
    );
    thread.markExited();
    if (!this.#destroyed) {
      if (this.#queue.size > 0) this.#pump();
      if (!this.#closed) {
        try {
          while (this.#threads.length < this.#o.minThreads) this.#spawn();
        } catch {
          // Replacing a warm thread is best effort; the next run will try again and report.
        }
      }
    }
    if (this.#resolveDrained !== undefined) this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#resolveDrained === undefined || this.#queue.size > 0 || this.#running > 0) return;
    const resolve = this.#resolveDrained;
    this.#resolveDrained = undefined;
    void this.#endAll().then(resolve);
  }

  #endAll(): Promise<void> {
    for (const thread of [...this.#threads]) this.#end(thread, 'close');
    return Promise.all([...this.#exiting].map((t) => t.exited)).then(() => undefined);
  }
}

/**
 * Finds the thread runtime (`loadstone/threads/worker`) through the package's own exports, as
 * the style guide asks: with tsup's code splitting this file ends up in a shared chunk, so a path
 * relative to it would be wrong. `import.meta` cannot be used: the CommonJS build is converted
 * from the ESM one and would not parse. So the resolver starts from this file's own location,
 * `__filename` in CommonJS or the stack's file name in ESM. It resolves with the `require`
 * condition (the CommonJS runtime), which loads ESM and CommonJS worker modules alike.
 */
function resolveRuntime(): string {
  const here = typeof __filename === 'string' ? __filename : ownFileFromStack();
  return createRequire(here).resolve('loadstone/threads/worker');
}

function ownFileFromStack(): string {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 1;
    const callSites = new Error().stack as unknown as NodeJS.CallSite[];
    const file = callSites[0]?.getFileName();
    if (file === undefined || file === null) throw new Error('cannot locate loadstone/threads');
    return file;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}
