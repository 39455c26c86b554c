import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import type { LatencySnapshot } from '../core/LatencyRecorder.js';

/** Options of {@link WorkerThreadPool}. */
export type WorkerThreadPoolOptions = {
  /**
   * The worker module: a path (absolute, or relative to `process.cwd()`) or a `file:` URL (e.g.
   * `new URL('./hash.worker.js', import.meta.url)`) to an ESM or CommonJS module whose exports
   * are the task functions. May be left out when every `run` names its own `filename`.
   * @default undefined
   */
  readonly filename?: string | URL;
  /**
   * Names the pool in health reports and errors, e.g. `threads:crypto`.
   * @default 'threads'
   */
  readonly name?: string;
  /**
   * Threads kept alive when idle; they are started with the pool (warm), and idle retirement
   * never goes below this. Minimum: 0, maximum: `maxThreads`.
   * @default 0
   */
  readonly minThreads?: number;
  /**
   * Most threads at once. Threads start lazily, one more whenever every running thread already
   * has work. Minimum: 1, maximum: 1,024.
   * @default `os.availableParallelism()`
   */
  readonly maxThreads?: number;
  /**
   * How long a thread above `minThreads` may stay idle before it is ended, in ms. `0` ends it as
   * soon as it has nothing to do. Minimum: 0, maximum: 2,147,483,647.
   * @default 10_000
   */
  readonly idleTimeoutMs?: number;
  /**
   * Most tasks waiting for a thread (not counting those handed to threads); past it `run`
   * rejects at once with `CapacityExceededError`. `Infinity` allows an unbounded queue (and warns
   * once with `LOADSTONE_WARN_THREADS_UNBOUNDED_QUEUE`). Minimum: 0.
   * @default 10_000
   */
  readonly maxQueue?: number;
  /**
   * Time limit of every task, in ms, from the `run` call (queue wait included); a task past it
   * rejects with `TimeoutError`, and if it was running its thread is ended and replaced.
   * `ThreadRunOptions.timeoutMs` overrides it per task. `0` means no limit. A task with a limit runs
   * alone on its thread (never pipelined). Minimum: 0, maximum: 2,147,483,647.
   * @default 0
   */
  readonly taskTimeoutMs?: number;
  /**
   * How long `close()` waits for accepted tasks to finish before it destroys the pool (the
   * unfinished tasks reject with `ClosedError`, `cause` a `TimeoutError`) and resolves, in ms.
   * `0` waits without bound. A hung task must not hang a shutdown. Minimum: 0, maximum:
   * 2,147,483,647.
   * @default 30_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Most short tasks handed to one thread ahead of time. The pool measures how long tasks run
   * and pipelines only as many as fit in about 2 ms of work (0.1 ms tasks get 21); tasks of
   * 0.5 ms or more go one per thread. `1` turns pipelining off. Tasks with a `signal` or a time
   * limit are never pipelined. Minimum: 1, maximum: 1,024.
   * @default 32
   */
  readonly pipelineDepth?: number;
  /**
   * V8 heap limits of each thread, passed to `new Worker`. A thread that runs out dies with
   * `ERR_WORKER_OUT_OF_MEMORY`; its task rejects with `WorkerExitError` and the thread is replaced.
   * @default undefined (the process's limits)
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * The environment of the threads, passed to `new Worker` (an object, or
   * `worker_threads.SHARE_ENV` to share the process's).
   * @default undefined (a copy of `process.env` at thread start)
   */
  readonly env?: NodeJS.Dict<string> | symbol;
  /**
   * Any structured-clonable value, readable in the worker module as `workerData` from
   * `node:worker_threads`, unchanged.
   * @default undefined
   */
  readonly workerData?: unknown;
  /**
   * Node options of the threads (`--max-old-space-size` style flags, `--enable-source-maps`).
   * Not a way to load TypeScript worker modules on Node 20: module loader hooks (`--import tsx`)
   * do not reach worker threads there (nodejs/node#47747); on Node ≥ 22.2 the main thread's
   * hooks apply to its threads. See the threads guide.
   * @default undefined (the process's `process.execArgv`)
   */
  readonly execArgv?: readonly string[];
  /**
   * Whether to record the run and wait time of every task for `stats()` (about 0.4 µs per task).
   * @default true
   */
  readonly recordTiming?: boolean;
};

/** Per-call options of {@link WorkerThreadPool.run}. */
export type ThreadRunOptions = {
  /**
   * The export to call. `undefined` calls the default export (for CommonJS, `module.exports`
   * when it is a function).
   * @default undefined
   */
  readonly name?: string;
  /**
   * Another worker module for this task (path or `file:` URL), instead of `options.filename`.
   * @default undefined
   */
  readonly filename?: string | URL;
  /**
   * Cancels the task: a queued task is removed, a running one has its thread ended and replaced.
   * The promise rejects with `signal.reason` unchanged. A task with a signal runs alone on its
   * thread (never pipelined), so aborting it ends no other task.
   * @default undefined
   */
  readonly signal?: AbortSignal;
  /**
   * Objects moved to the thread instead of copied (`ArrayBuffer`, `MessagePort`…). They are
   * detached on this side once the task is handed over.
   * @default undefined
   */
  readonly transferList?: readonly TransferListItem[];
  /**
   * Time limit of this task in ms, from this call; overrides `taskTimeoutMs`. `0` means none.
   * Minimum: 0, maximum: 2,147,483,647.
   * @default `options.taskTimeoutMs`
   */
  readonly timeoutMs?: number;
  /**
   * Queue order: higher runs first; equal priorities run in call order. Any safe integer.
   * @default 0
   */
  readonly priority?: number;
};

/** Why a thread ended, in {@link ThreadExitedEvent}. */
export type ThreadExitReason =
  /** Idle for `idleTimeoutMs` with more than `minThreads` threads. */
  | 'idle'
  /** It exited or crashed by itself (`process.exit`, an uncaught exception, out of memory). */
  | 'crash'
  /** Ended because the task it was running was aborted. */
  | 'abort'
  /** Ended because the task it was running timed out. */
  | 'timeout'
  /** Ended by `close()` or `destroy()`. */
  | 'close';

/** Payload of `thread:created`. */
export type ThreadCreatedEvent = {
  /** The new thread's `threadId`. */
  readonly threadId: number;
};

/** Payload of `thread:exited`. */
export type ThreadExitedEvent = {
  /** The thread's `threadId`. */
  readonly threadId: number;
  /** Why it ended. */
  readonly reason: ThreadExitReason;
  /** Its exit code. */
  readonly exitCode: number;
  /** For `crash`: the error it died of (e.g. `ERR_WORKER_OUT_OF_MEMORY`), when Node reported one. */
  readonly error?: unknown;
};

/**
 * The events a {@link WorkerThreadPool} emits. Listeners run synchronously; they should not
 * throw (what they throw surfaces as an uncaught exception).
 */
export type WorkerThreadPoolEvents = {
  /** A thread was started. */
  'thread:created': [ThreadCreatedEvent];
  /** A thread ended, for any reason. */
  'thread:exited': [ThreadExitedEvent];
};

/** A snapshot of a {@link WorkerThreadPool}, from `stats()`. */
export type WorkerThreadPoolStats = {
  /** Threads alive (starting, busy or idle). */
  readonly threads: number;
  /** Threads with at least one task handed to them. */
  readonly busy: number;
  /** Tasks waiting in the queue. */
  readonly queued: number;
  /** Tasks handed to threads and not finished (pipelined ones included). */
  readonly running: number;
  /** Tasks that resolved. */
  readonly completed: number;
  /** Tasks that rejected for any reason (thrown, crashed, aborted, timed out, refused). */
  readonly failed: number;
  /** Threads replaced after exiting or crashing by themselves. */
  readonly crashes: number;
  /**
   * Share of the pool's capacity spent running tasks since it was created: total run time ÷
   * (elapsed time × `maxThreads`), from 0 to 1.
   */
  readonly utilization: number;
  /** Time tasks spent running in a thread, in ms (empty when `recordTiming` is off). */
  readonly runTime: LatencySnapshot;
  /** Time tasks waited from `run` until handed to a thread, in ms (empty when `recordTiming` is off). */
  readonly waitTime: LatencySnapshot;
};
