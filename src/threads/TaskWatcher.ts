// A task's abort signal and time limit. Internal.
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { abortReason } from '../core/internal/abort.js';
import type { Task } from './Task.js';

/** Who cancels a task when its signal aborts or its time runs out. */
export type TaskWatcherHost = {
  cancel(task: Task, error: unknown, why: 'abort' | 'timeout'): void;
};

/** Arms the abort listener and the timer of the tasks that have them; `Task.unwatch` disarms. */
export class TaskWatcher {
  readonly #name: string;
  readonly #host: TaskWatcherHost;

  /** @param name - the pool's name, for `TimeoutError`. */
  constructor(name: string, host: TaskWatcherHost) {
    this.#name = name;
    this.#host = host;
  }

  /** Arms the task's abort listener and timer (only tasks that have them). */
  watch(task: Task): void {
    if (task.signal !== undefined) {
      const onAbort = (): void =>
        this.#host.cancel(task, abortReason(task.signal as AbortSignal, 'WorkerThreadPool task'), 'abort');
      task.onAbort = onAbort;
      task.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (task.timeoutMs > 0) {
      task.timer = setTimeout(() => {
        this.#host.cancel(
          task,
          new TimeoutError(`WorkerThreadPool "${this.#name}" task`, task.timeoutMs),
          'timeout',
        );
      }, task.timeoutMs);
      task.timer.unref();
    }
  }
}
