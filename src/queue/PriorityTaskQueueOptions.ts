import type { Clock } from '../core/Clock.js';
import type { HealthStatus } from '../core/HealthCheck.js';
import type { LoadSignal } from '../core/LoadSignal.js';
import type { RetryOptions } from '../resilience/index.js';

/**
 * A task's priority: the name of one of the queue's `priorities` levels, or any finite number.
 * Higher runs first. A level's number is its distance from the bottom: with the default levels,
 * `low` is 0, `medium` 1, `high` 2 and `critical` 3, so `2.5` runs after `critical` and before `high`.
 */
export type Priority = string | number;

/** What a task's function receives when it runs. */
export type TaskContext = {
  /**
   * Aborts when the caller's `signal` aborts, the attempt times out (`reason` is a
   * `TimeoutError`) or the queue is destroyed (`reason` is a `ClosedError`). Pass it on to the work.
   */
  readonly signal: AbortSignal;
  /** The attempt number, from 1; above 1 only when the task is retried. */
  readonly attempt: number;
  /** The task's `id`, when one was given to `add`. */
  readonly id: string | undefined;
};

/** A task: a function the queue calls when it is the task's turn. */
export type Task<T> = (context: TaskContext) => T | PromiseLike<T>;

/** Retries of a failed task: the options of the resilience module's `retry`, without its `signal`. */
export type TaskRetryOptions = Omit<RetryOptions, 'signal'>;

/** Load shedding, read from {@link PriorityTaskQueueOptions.loadSignal}. */
export type ShedOptions = {
  /**
   * The lowest priority still admitted while the load is `critical`. Tasks below it are refused
   * at `add` (or deferred, see `action`), and queued ones below it are not started until the
   * load drops.
   * @default the highest level, `priorities[0]`
   */
  readonly minPriority?: Priority;
  /**
   * What `add` does with a task below `minPriority` while the load is `critical`: `'reject'`
   * refuses it with `ShedError`; `'defer'` queues it to run once the load is no longer critical.
   * @default 'reject'
   */
  readonly action?: 'reject' | 'defer';
  /**
   * The concurrency while the load is `degraded` or `critical`. Minimum: 1.
   * @default the queue's `concurrency` (no change)
   */
  readonly degradedConcurrency?: number;
};

/** A cap on task starts per fixed time window, like p-queue's `interval` + `intervalCap`. */
export type RateCapOptions = {
  /** At most this many tasks start within one window. Minimum: 1. */
  readonly limit: number;
  /** The window's length, in ms. Minimum: 1. */
  readonly intervalMs: number;
};

/** Aging: queued tasks gain priority as they wait, so that low priority cannot starve forever. */
export type AgingOptions = {
  /**
   * A queued task gains one priority level per `intervalMs` it waits: a `low` task queued
   * `3 × intervalMs` before a `critical` one runs first. Minimum: 1.
   */
  readonly intervalMs: number;
};

/** Options of {@link PriorityTaskQueue}. */
export type PriorityTaskQueueOptions = {
  /**
   * How many tasks run at once. Minimum: 1; `Infinity` runs every task as soon as it is added.
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * How many tasks may wait (running ones are not counted). `add` beyond it rejects with
   * `CapacityExceededError`. Minimum: 0. `Infinity` turns the bound off (with a process warning,
   * `LOADSTONE_WARN_QUEUE_UNBOUNDED`, once per process).
   * @default 100_000
   */
  readonly maxQueued?: number;
  /**
   * How long `close()` waits for accepted tasks to settle before it gives up and destroys the rest (their callers get
   * `ClosedError` with a `TimeoutError` cause) and resolves, in ms. `0` waits without bound. A hung
   * task must not hang a shutdown. Minimum: 0, maximum: 2,147,483,647.
   * @default 30_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * The named priority levels, highest first. Level names must be distinct, non-empty strings.
   * @default ['critical', 'high', 'medium', 'low']
   */
  readonly priorities?: readonly string[];
  /**
   * The priority of a task added without one.
   * @default the lowest level, the last of `priorities`
   */
  readonly defaultPriority?: Priority;
  /**
   * Retries of every task, unless `add` overrides them. A task allowed more than one attempt
   * that fails them all rejects with `RetriesExhaustedError` (`attempts`, and the last error as
   * `cause`). A task keeps its concurrency slot while it waits between attempts.
   * @default no retry: a task's error rejects its promise unchanged
   */
  readonly retry?: TaskRetryOptions;
  /**
   * The time limit of each attempt of a task, in ms, counted from its start (not while it is
   * queued). A task over it rejects with `TimeoutError`, its signal aborts and its slot is
   * freed (the function itself keeps running unless it observes the signal). `0` means no limit.
   * @default 0
   */
  readonly timeoutMs?: number;
  /**
   * The process load to shed by (see `shed`). Without it the queue never sheds.
   * @default undefined
   */
  readonly loadSignal?: LoadSignal;
  /**
   * How to shed while `loadSignal` reports `critical` (and the concurrency while it is `degraded`).
   * @default shed everything below the highest level, by rejecting it at `add`
   */
  readonly shed?: ShedOptions;
  /**
   * At most `limit` task starts per `intervalMs` window.
   * @default undefined (no cap)
   */
  readonly rate?: RateCapOptions;
  /**
   * Lets queued tasks gain priority as they wait.
   * @default undefined (strict priority order)
   */
  readonly aging?: AgingOptions;
  /**
   * Whether tasks wait for `resume()` instead of starting as they are added.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * The clock of `rate` windows and `aging`. Timers are still `setTimeout`.
   * @default systemClock
   */
  readonly clock?: Clock;
};

/** Per-call options of {@link PriorityTaskQueue.add}. */
export type AddOptions = {
  /**
   * The task's priority.
   * @default the queue's `defaultPriority`
   */
  readonly priority?: Priority;
  /**
   * Cancels the task: a queued task is removed, a running one is told through its context's
   * signal; either way the promise rejects at once with `signal.reason`.
   */
  readonly signal?: AbortSignal;
  /**
   * This task's retries, replacing the queue's `retry`; `false` turns them off.
   * @default the queue's `retry`
   */
  readonly retry?: TaskRetryOptions | false;
  /**
   * This task's per-attempt time limit in ms; `0` means none.
   * @default the queue's `timeoutMs`
   */
  readonly timeoutMs?: number;
  /** A name for the task, used in error messages and events. */
  readonly id?: string;
};

/** Options of {@link PriorityTaskQueue.onIdle} and {@link PriorityTaskQueue.onEmpty}. */
export type WaitOptions = {
  /** Stops waiting: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
};

/** What a {@link PriorityTaskQueue} reports in `stats()`. */
export type PriorityTaskQueueStats = {
  /** Tasks waiting to start, deferred ones included. */
  readonly queued: number;
  /** Of the waiting tasks, those held back because the load is critical. */
  readonly deferred: number;
  /** Tasks running. */
  readonly running: number;
  /** The concurrency in force now (lowered while the load is degraded). */
  readonly concurrency: number;
  /** The load status last read from `loadSignal` (`'healthy'` without one). */
  readonly load: HealthStatus;
  /** Whether the queue is paused. */
  readonly paused: boolean;
  /** Whether `close()` or `destroy()` was called. */
  readonly closed: boolean;
  /** Tasks accepted by `add` since construction. */
  readonly added: number;
  /** Tasks started. */
  readonly started: number;
  /** Tasks that resolved. */
  readonly completed: number;
  /** Tasks that rejected after starting (timeouts and exhausted retries included). */
  readonly failed: number;
  /** Tasks that timed out on their last attempt. */
  readonly timedOut: number;
  /** Retries made (attempts after the first). */
  readonly retries: number;
  /** Tasks refused at `add` by load shedding. */
  readonly shed: number;
  /** Tasks refused at `add` because the queue was full. */
  readonly rejectedFull: number;
  /** Tasks aborted by their caller (queued or running). */
  readonly aborted: number;
};

/** Payload of the `task:shed` event. */
export type TaskShedEvent = {
  /** The refused task's priority, as given. */
  readonly priority: Priority;
  /** The refused task's id, if any. */
  readonly id: string | undefined;
};

/** Payload of the `load:changed` event. */
export type QueueLoadChangedEvent = {
  /** The new load status. */
  readonly status: HealthStatus;
  /** The concurrency in force from now on. */
  readonly concurrency: number;
};

/** The events of a {@link PriorityTaskQueue}. */
export type PriorityTaskQueueEvents = {
  /** A task was refused at `add` because the load is critical. */
  'task:shed': [event: TaskShedEvent];
  /** The load signal changed and the queue adapted. */
  'load:changed': [event: QueueLoadChangedEvent];
  /** The queue became empty (tasks may still be running). */
  'queue:emptied': [];
  /** The queue became empty and nothing runs. */
  'queue:idled': [];
};
