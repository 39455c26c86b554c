// How a PriorityTaskQueue runs a started task (internal): the plain path, or the guarded one with
// the caller's signal, a time limit and retries with backoff; both end in the dispatcher's settle.
import { setMaxListeners } from 'node:events';
import { RetriesExhaustedError } from '../core/errors/RetriesExhaustedError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { abortReason } from '../core/internal/abort.js';
import { retry } from '../resilience/index.js';
import type { AddOptions, Task, TaskContext } from './PriorityTaskQueueOptions.js';
import type { QueueCounters } from './QueueCounters.js';
import type { ResolvedPriorityTaskQueueOptions } from './resolvePriorityTaskQueueOptions.js';
import type { TaskEntry } from './TaskEntry.js';

/** Where a task's outcome goes (the dispatcher). */
export interface TaskSettler {
  /** `aborted`: the caller's signal ended the task, which counts as aborted rather than failed. */
  settle(entry: TaskEntry, ok: boolean, value: unknown, aborted?: boolean): void;
}

export class TaskRunner {
  readonly #o: ResolvedPriorityTaskQueueOptions;
  readonly #counters: QueueCounters;
  readonly #settler: TaskSettler;
  /** Aborted by destroy(): every running task with a signal or timeout listens to it. */
  readonly #lifecycle = new AbortController();
  readonly #plainContext: TaskContext;

  constructor(o: ResolvedPriorityTaskQueueOptions, counters: QueueCounters, settler: TaskSettler) {
    this.#o = o;
    this.#counters = counters;
    this.#settler = settler;
    // Every running task with a signal or timeout listens to the lifecycle signal.
    setMaxListeners(0, this.#lifecycle.signal);
    this.#plainContext = Object.freeze({ signal: this.#lifecycle.signal, attempt: 1, id: undefined });
  }

  /** Runs a task just started; its outcome goes to the settler. */
  run(entry: TaskEntry): void {
    const o = this.#o;
    const options = entry.options;
    if (
      o.retry === undefined &&
      o.timeoutMs === 0 &&
      (options === undefined ||
        (options.signal === undefined && options.retry === undefined && options.timeoutMs === undefined))
    ) {
      this.#runPlain(entry, options?.id);
    } else {
      entry.detachAbort();
      this.#runGuarded(entry, options);
    }
  }

  /** Aborts every running task's signal (the queue is destroyed). */
  abort(error: unknown): void {
    this.#lifecycle.abort(error);
  }

  async #runPlain(entry: TaskEntry, id: string | undefined): Promise<void> {
    try {
      const context =
        id === undefined ? this.#plainContext : { signal: this.#lifecycle.signal, attempt: 1, id };
      const value = await entry.fn(context);
      this.#settler.settle(entry, true, value);
    } catch (error) {
      this.#settler.settle(entry, false, error);
    }
  }

  async #runGuarded(entry: TaskEntry, options: AddOptions | undefined): Promise<void> {
    const retryOptions = options?.retry === undefined ? this.#o.retry : options.retry || undefined;
    const timeoutMs = options?.timeoutMs ?? this.#o.timeoutMs;
    const callerSignal = options?.signal;
    const id = options?.id;
    const lifecycle = this.#lifecycle.signal;
    const attempts = retryOptions?.attempts ?? (retryOptions === undefined ? 1 : 3);
    let made = 0;
    const attempt = (n: number): Promise<unknown> => {
      made = n;
      if (n > 1) this.#counters.retries++;
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
      this.#settler.settle(entry, true, value);
    } catch (error) {
      if (callerSignal?.aborted) {
        this.#counters.aborted++;
        this.#settler.settle(entry, false, abortReason(callerSignal, 'task'), true);
        return;
      }
      if (error instanceof TimeoutError) this.#counters.timedOut++;
      const final =
        attempts > 1 && !lifecycle.aborted
          ? new RetriesExhaustedError(id === undefined ? 'task' : `task "${id}"`, made, { cause: error })
          : error;
      this.#settler.settle(entry, false, final);
    }
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
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCaller);
      lifecycle.removeEventListener('abort', onLifecycle);
    };
    // Neither signal has fired yet: a task starts only while both are live, and `retry` checks
    // them before each later attempt. `stop` removes both listeners.
    callerSignal?.addEventListener('abort', onCaller);
    lifecycle.addEventListener('abort', onLifecycle);
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
