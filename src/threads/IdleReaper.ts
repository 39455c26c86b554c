// Ends threads that stayed idle for idleTimeoutMs, down to minThreads. Internal.
import { performance } from 'node:perf_hooks';
import type { Task } from './Task.js';
import type { Thread } from './Thread.js';
import type { ThreadExitReason } from './WorkerThreadPoolOptions.js';

/** What the reaper needs of the pool's threads. */
export type IdleReaperHost = {
  /** Threads alive. */
  readonly size: number;
  /** Starts ending a thread. */
  end(thread: Thread<Task>, reason: ThreadExitReason): void;
};

/**
 * One timer per idle thread above `minThreads`. A thread that becomes idle again before its timer
 * fires keeps the timer, which then re-arms for what is left of the timeout from `idleSince`, so
 * a thread that keeps getting short bursts of work does not set a timer per burst.
 */
export class IdleReaper {
  readonly #host: IdleReaperHost;
  readonly #minThreads: number;
  readonly #idleTimeoutMs: number;

  constructor(host: IdleReaperHost, minThreads: number, idleTimeoutMs: number) {
    this.#host = host;
    this.#minThreads = minThreads;
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  /** The thread has nothing to do from now. */
  becameIdle(thread: Thread<Task>): void {
    thread.idleSince = performance.now();
    if (thread.idleTimer === undefined && this.#host.size > this.#minThreads) {
      this.#arm(thread, this.#idleTimeoutMs);
    }
  }

  /** Clears the thread's timer (it is ending). */
  disarm(thread: Thread<Task>): void {
    if (thread.idleTimer !== undefined) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = undefined;
    }
  }

  #arm(thread: Thread<Task>, ms: number): void {
    thread.idleTimer = setTimeout(() => {
      thread.idleTimer = undefined;
      if (thread.exiting || thread.inflight > 0 || this.#host.size <= this.#minThreads) return;
      const left = this.#idleTimeoutMs - (performance.now() - thread.idleSince);
      if (left >= 1) this.#arm(thread, left);
      else this.#host.end(thread, 'idle');
    }, ms);
    thread.idleTimer.unref();
  }
}
