// The engine of a PriorityTaskQueue (internal): the queued tasks in priority order, the tasks
// held back by load shedding, the running ones, and the loop that starts tasks as the limits
// (pause, concurrency, rate cap, shedding) allow.
import type { HealthStatus } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import type { LoadShedding } from './LoadShedding.js';
import type { AddOptions, Task } from './PriorityTaskQueueOptions.js';
import type { QueueCounters } from './QueueCounters.js';
import type { QueueWaiters } from './QueueWaiters.js';
import { RateCap } from './RateCap.js';
import type { ResolvedPriorityTaskQueueOptions } from './resolvePriorityTaskQueueOptions.js';
import { DONE, QUEUED, RUNNING, TaskEntry } from './TaskEntry.js';
import { BucketQueue, TaskHeap, type TaskStore } from './TaskHeap.js';
import { TaskRunner } from './TaskRunner.js';

export class TaskDispatcher {
  readonly #o: ResolvedPriorityTaskQueueOptions;
  readonly #store: TaskStore<TaskEntry>;
  readonly #shedding: LoadShedding;
  readonly #counters: QueueCounters;
  readonly #waiters: QueueWaiters;
  readonly #runner: TaskRunner;
  readonly #rateCap: RateCap | undefined;
  /** Tasks popped while the load is critical and their priority is shed: they wait here. */
  #held: TaskEntry[] = [];
  #seq = 0;
  /** Live queued tasks (cancelled ones still in the store are not counted). */
  #size = 0;
  /** Cancelled tasks still in the store, removed lazily. */
  #dead = 0;
  #running = 0;
  #runningHead: TaskEntry | undefined = undefined;
  #draining = false;
  /** The concurrency that applies now (the configured one, or the degraded one under load). */
  concurrency: number;
  /** No task starts while set. */
  paused: boolean;

  constructor(
    o: ResolvedPriorityTaskQueueOptions,
    shedding: LoadShedding,
    counters: QueueCounters,
    waiters: QueueWaiters,
    paused: boolean,
  ) {
    this.#o = o;
    // Aging makes every key distinct, which suits a heap; fixed priorities suit buckets.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: both stores pop in the same order; the choice is speed
    this.#store = o.agingIntervalMs > 0 ? new TaskHeap<TaskEntry>() : new BucketQueue<TaskEntry>();
    this.#shedding = shedding;
    this.#counters = counters;
    this.#waiters = waiters;
    this.#runner = new TaskRunner(o, counters, this);
    this.#rateCap =
      o.rateLimit > 0 ? new RateCap(o.rateLimit, o.rateIntervalMs, o.clock, () => this.drain()) : undefined;
    this.concurrency = o.concurrency;
    this.paused = paused;
  }

  /** Tasks waiting to start, held-back ones included. */
  get size(): number {
    return this.#size;
  }

  /** Tasks held back by load shedding. */
  get held(): number {
    return this.#held.length;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Whether a task added now would start at once. */
  hasFreeSlot(): boolean {
    return !this.paused && this.#running < this.concurrency && this.#size === 0;
  }

  /** Queues a task and starts what can start; returns the task's result. */
  enqueue(fn: Task<unknown>, rank: number, options: AddOptions | undefined): Promise<unknown> {
    const aging = this.#o.agingIntervalMs;
    const key = aging > 0 ? rank - this.#o.clock.now() / aging : rank;
    const signal = options?.signal;
    // Only options that change how the task runs are kept: a bare `{ priority }` stays on the fast path.
    const kept =
      options !== undefined &&
      (signal !== undefined ||
        options.retry !== undefined ||
        options.timeoutMs !== undefined ||
        options.id !== undefined)
        ? options
        : undefined;
    const entry = new TaskEntry(fn, rank, key, this.#seq++, kept);
    const promise = new Promise<unknown>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    this.#counters.added++;
    if (signal !== undefined) {
      const onAbort = (): void => this.#abortQueued(entry, signal);
      entry.onAbort = onAbort;
      signal.addEventListener('abort', onAbort, { once: true });
    }
    this.#store.push(entry);
    this.#size++;
    this.#waiters.queued();
    this.drain();
    return promise;
  }

  /**
   * Adapts to a new load: the concurrency that applies under it and, when it leaves `critical`,
   * the tasks held back, which go back to the store ahead of later ones of their priority.
   *
   * @param base - the configured concurrency.
   * @returns the previous load.
   */
  applyLoad(status: HealthStatus, base: number): HealthStatus {
    const shedding = this.#shedding;
    const previous = shedding.status;
    shedding.status = status;
    this.concurrency = shedding.concurrency(base);
    // Stryker disable next-line ConditionalExpression: restored while still critical, they are held again in the same order
    if (status !== 'critical') {
      this.#store.restore(this.#held);
      this.#held = [];
    }
    return previous;
  }

  // Starts as many tasks as the limits allow. Re-entrant calls (a task adding a task
  // synchronously) return at once: the outer loop re-reads the state on each turn.
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      const rateCap = this.#rateCap;
      while (!this.paused && this.#running < this.concurrency && this.#size > this.#held.length) {
        if (rateCap !== undefined && !rateCap.allows()) break;
        const entry = this.#take();
        if (entry === undefined) break;
        this.#start(entry);
      }
    } finally {
      this.#draining = false;
    }
    this.#waiters.notify(this);
  }

  /** A running task ended (from the runner): counts it, resolves its promise, starts the next. */
  settle(entry: TaskEntry, ok: boolean, value: unknown, aborted = false): void {
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
      this.#counters.completed++;
      entry.resolve(value);
    } else {
      if (!aborted) this.#counters.failed++;
      entry.reject(value);
    }
    this.drain();
  }

  /**
   * Rejects every queued and running task with `error` and aborts the running ones' signals
   * (the queue is destroyed).
   */
  abandonAll(error: unknown): void {
    const queued = [...this.#store.drain(), ...this.#held];
    this.#held = [];
    // Cancelled ones among them are already settled: rejecting them again does nothing.
    for (const entry of queued) {
      entry.state = DONE;
      entry.detachAbort();
      entry.reject(error);
    }
    this.#size = 0;
    this.#dead = 0;
    this.#runner.abort(error);
    for (let entry = this.#runningHead; entry !== undefined; entry = entry.next) {
      entry.state = DONE;
      entry.reject(error);
    }
    this.#runningHead = undefined;
    this.#running = 0;
    this.#rateCap?.stop();
  }

  /** Pops the next startable task, holding back shed ones while the load is critical. */
  #take(): TaskEntry | undefined {
    const store = this.#store;
    for (;;) {
      const entry = store.pop();
      if (entry === undefined) return undefined;
      if (entry.state !== QUEUED) {
        // Stryker disable next-line UpdateOperator: the count of cancelled tasks only times the compaction below (memory)
        this.#dead--;
        continue;
      }
      if (this.#shedding.holdsBack(entry.rank)) {
        this.#held.push(entry);
        continue;
      }
      return entry;
    }
  }

  #start(entry: TaskEntry): void {
    this.#size--;
    entry.state = RUNNING;
    this.#running++;
    this.#counters.started++;
    const head = this.#runningHead;
    entry.next = head;
    if (head !== undefined) head.prev = entry;
    this.#runningHead = entry;
    this.#runner.run(entry);
  }

  // Only a queued task listens: starting or abandoning a task removes its listener.
  #abortQueued(entry: TaskEntry, signal: AbortSignal): void {
    entry.state = DONE;
    entry.onAbort = undefined;
    this.#size--;
    this.#counters.aborted++;
    const heldIndex = this.#held.indexOf(entry);
    if (heldIndex >= 0) {
      this.#held.splice(heldIndex, 1);
    } else {
      // Stryker disable next-line UpdateOperator: the count of cancelled tasks only times the compaction below (memory)
      this.#dead++;
    }
    entry.reject(abortReason(signal, 'task'));
    // Many cancelled tasks would otherwise sit in the store until popped.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator: when to compact is memory only
    if (this.#dead > 1024 && this.#dead > this.#size) {
      this.#store.filter((e) => e.state === QUEUED);
      this.#dead = 0;
    }
    this.drain();
  }
}
