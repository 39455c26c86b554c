// What happens when a thread's worker exits, by the pool's will or by itself. Internal.
import { WorkerExitError } from '../core/errors/WorkerExitError.js';
import type { Dispatcher } from './Dispatcher.js';
import type { PoolContext } from './PoolContext.js';
import type { PoolCounters } from './PoolCounters.js';
import type { PoolState } from './PoolState.js';
import { STATE_READY, STATE_STARTED } from './protocol.js';
import type { ResultReader } from './ResultReader.js';
import type { RunQueue } from './RunQueue.js';
import { DISPATCHED, QUEUED, type Task } from './Task.js';
import type { Thread } from './Thread.js';
import type { ThreadSet } from './ThreadSet.js';

/**
 * Settles what a dead thread leaves behind: the tasks it had started reject with
 * `WorkerExitError`, those it had not are put back at the front of the queue (in the order they
 * were handed to it) and run elsewhere; then `thread:exited`, a refill, and warm threads replaced.
 */
export class CrashRecovery {
  readonly #threads: ThreadSet;
  readonly #dispatcher: Dispatcher;
  readonly #results: ResultReader;
  readonly #queue: RunQueue<Task>;
  readonly #counters: PoolCounters;
  readonly #state: PoolState;
  readonly #events: PoolContext['events'];

  constructor(context: PoolContext, threads: ThreadSet, dispatcher: Dispatcher, results: ResultReader) {
    this.#threads = threads;
    this.#dispatcher = dispatcher;
    this.#results = results;
    this.#queue = context.queue;
    this.#counters = context.counters;
    this.#state = context.state;
    this.#events = context.events;
  }

  /** The thread's worker exited (`exit` event), whether the pool ended it or it died. */
  onExit(thread: Thread<Task>, exitCode: number): void {
    this.#threads.forget(thread);
    // Results it posted before dying still count.
    this.#results.readWaiting(thread);
    thread.port.close();
    const reason = thread.exitReason ?? 'crash';
    if (reason === 'crash') this.#counters.crashes++;
    this.#recoverTasks(thread, exitCode, reason === 'crash');
    this.#events.emit(
      'thread:exited',
      reason === 'crash' && thread.error !== undefined
        ? { threadId: thread.threadId, reason, exitCode, error: thread.error }
        : { threadId: thread.threadId, reason, exitCode },
    );
    thread.markExited();
    if (!this.#state.destroyed) {
      if (this.#queue.size > 0) this.#dispatcher.pump();
      if (!this.#state.closed) {
        try {
          this.#threads.fill();
        } catch {
          // Replacing a warm thread is best effort; the next run will try again and report.
        }
      }
    }
    this.#dispatcher.checkDrained();
  }

  /** Rejects the tasks the thread had started and puts the others back in the queue. */
  #recoverTasks(thread: Thread<Task>, exitCode: number, crashed: boolean): void {
    const dispatcher = this.#dispatcher;
    const started = Atomics.load(thread.state, STATE_STARTED);
    const bootstrapped = Atomics.load(thread.state, STATE_READY) === 1;
    const requeue: Task[] = [];
    for (const task of thread.slots) {
      if (task === undefined) continue;
      dispatcher.release(thread, task);
      if (task.state !== DISPATCHED) continue;
      const posted = task.threadSeq >= 0;
      const hadStarted = posted && task.threadSeq < started;
      // A thread that died before its runtime came up (bad execArgv, a failing --import) would
      // die again: fail its tasks instead of re-queueing them forever. A task whose payload
      // moved into the dead thread cannot be sent again either.
      if (hadStarted || (crashed && !bootstrapped) || (posted && task.movesObjects)) {
        dispatcher.settleError(
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
  }
}
