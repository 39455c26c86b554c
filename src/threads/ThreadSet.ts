// The pool's threads from start to exit. Internal.
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { IdleReaper } from './IdleReaper.js';
import type { PoolContext } from './PoolContext.js';
import type { PoolState } from './PoolState.js';
import { INIT_KEY, type InitMessage, STATE_LENGTH } from './protocol.js';
import type { ResolvedWorkerThreadPoolOptions } from './resolveOptions.js';
import { resolveRuntime } from './resolveRuntime.js';
import type { Task } from './Task.js';
import { Thread } from './Thread.js';
import type { ThreadExitReason } from './WorkerThreadPoolOptions.js';

/** Where a thread's traffic goes. */
export type ThreadSetHost = {
  /** A batch of results arrived on the thread's port. */
  onMessage(thread: Thread<Task>, batch: unknown[]): void;
  /** The thread's worker exited (ended by the pool or by itself). */
  onExit(thread: Thread<Task>, exitCode: number): void;
};

/**
 * Starts threads, retires idle ones (through {@link IdleReaper}) and ends them; `onExit` of the
 * host does the rest once a worker is gone. `list` holds the live threads, `exiting` those ended
 * and not yet exited.
 */
export class ThreadSet {
  /** Live threads, oldest first. Changed in place, never replaced: the dispatcher keeps it. */
  readonly list: Thread<Task>[] = [];
  readonly #exiting = new Set<Thread<Task>>();
  readonly #o: ResolvedWorkerThreadPoolOptions;
  readonly #events: PoolContext['events'];
  readonly #state: PoolState;
  readonly #host: ThreadSetHost;
  readonly #reaper: IdleReaper;
  #runtime: string | undefined;

  constructor(context: PoolContext, host: ThreadSetHost) {
    const o = context.options;
    this.#o = o;
    this.#events = context.events;
    this.#state = context.state;
    this.#host = host;
    this.#reaper = new IdleReaper(this, o.minThreads, o.idleTimeoutMs);
  }

  /** Live threads. */
  get size(): number {
    return this.list.length;
  }

  /** Live threads with at least one task handed to them. */
  busy(): number {
    let busy = 0;
    for (const thread of this.list) if (thread.inflight > 0) busy++;
    return busy;
  }

  /** Every thread not yet exited: live ones, then ending ones. */
  all(): Thread<Task>[] {
    return [...this.list, ...this.#exiting];
  }

  /** Starts threads until `minThreads` are alive. */
  fill(): void {
    while (this.list.length < this.#o.minThreads) this.spawn();
  }

  /** Starts a thread (it takes tasks at once; they wait in its port until its runtime is up). */
  spawn(): Thread<Task> {
    const o = this.#o;
    const channel = new MessageChannel();
    const shared = new SharedArrayBuffer(STATE_LENGTH * Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(this.#runtimeLocation(), {
      workerData: o.workerData,
      ...(o.resourceLimits === undefined ? {} : { resourceLimits: { ...o.resourceLimits } }),
      ...(o.env === undefined ? {} : { env: o.env as WorkerOptions['env'] }),
      ...(o.execArgv === undefined ? {} : { execArgv: [...o.execArgv] }),
    });
    const thread = new Thread<Task>(worker, channel.port1, new Int32Array(shared));
    const init: InitMessage = { [INIT_KEY]: true, port: channel.port2, state: shared };
    worker.postMessage(init, [channel.port2]);
    const host = this.#host;
    channel.port1.on('message', (batch: unknown[]) => host.onMessage(thread, batch));
    // The worker's own ref decides whether the pool keeps the process alive (only while busy).
    channel.port1.unref();
    worker.unref();
    worker.on('error', (error) => {
      thread.error ??= error;
    });
    worker.on('exit', (code) => host.onExit(thread, code));
    this.list.push(thread);
    this.#events.emit('thread:created', { threadId: thread.threadId });
    return thread;
  }

  /** The thread has nothing handed to it any more. */
  becameIdle(thread: Thread<Task>): void {
    thread.worker.unref();
    if (this.#state.destroyed) return;
    this.#reaper.becameIdle(thread);
  }

  /** Starts ending a thread; the host's `onExit` finishes the bookkeeping. */
  end(thread: Thread<Task>, reason: ThreadExitReason): void {
    if (thread.exiting) return;
    thread.exiting = true;
    thread.exitReason = reason;
    this.#drop(thread);
    this.#exiting.add(thread);
    void thread.worker.terminate();
  }

  /** Ends every thread; resolves once all have exited. */
  endAll(): Promise<void> {
    for (const thread of [...this.list]) this.end(thread, 'close');
    return Promise.all([...this.#exiting].map((t) => t.exited)).then(() => undefined);
  }

  /** Drops a thread whose worker exited. */
  forget(thread: Thread<Task>): void {
    this.#drop(thread);
    this.#exiting.delete(thread);
    thread.exiting = true;
  }

  /** Takes the thread out of `list` (if still there) and clears its idle timer. */
  #drop(thread: Thread<Task>): void {
    this.#reaper.disarm(thread);
    const i = this.list.indexOf(thread);
    if (i >= 0) this.list.splice(i, 1);
  }

  #runtimeLocation(): string {
    this.#runtime ??= resolveRuntime();
    return this.#runtime;
  }
}
