import type { Clock } from '../core/Clock.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { abortReason } from '../core/internal/abort.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import { AcquireDeadlines } from './AcquireDeadlines.js';
import { DONE, QUEUED, type Waiter } from './Waiter.js';
import { WaiterQueue } from './WaiterQueue.js';

/**
 * Acquires that wait, in FIFO order: each one's timeout (the shared deadline timer, or its own
 * timer for a per-call timeout that differs from the pool's) and abort listener, and how each
 * ends (served, timed out, aborted, failed, closed). Also the counts of those ends.
 */
export class AcquireWaiters<T> {
  /** Waiters in the queue (not those claimed by a validation). */
  count = 0;
  timedOut = 0;
  aborted = 0;
  /** Timeouts since a waiter with a timeout was last served. */
  consecutiveTimeouts = 0;
  readonly waitLatency = new LatencyRecorder();
  readonly #queue = new WaiterQueue<Waiter<T>>();
  readonly #deadlines: AcquireDeadlines<T>;
  readonly #acquireTimeoutMs: number;
  readonly #what: string;

  constructor(clock: Clock, acquireTimeoutMs: number, what: string) {
    this.#deadlines = new AcquireDeadlines<T>(this, clock, acquireTimeoutMs);
    this.#acquireTimeoutMs = acquireTimeoutMs;
    this.#what = what;
  }

  /**
   * Queues an acquire made at clock time `now`, with its timeout (`0`: none) and signal.
   *
   * @returns the acquire's promise.
   */
  enqueue(
    now: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    stack: string | undefined,
  ): Promise<T> {
    let resolve!: (resource: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The pool's own timeout shares one timer; a per-call one that differs gets its own.
    const shared = timeoutMs !== 0 && timeoutMs === this.#acquireTimeoutMs;
    const waiter: Waiter<T> = {
      state: QUEUED,
      resolve,
      reject,
      enqueuedAt: now,
      deadline: shared ? now + timeoutMs : Number.POSITIVE_INFINITY,
      signal,
      onAbort: undefined,
      timer: undefined,
      timeoutMs,
      stack,
    };
    if (shared) this.#deadlines.add(waiter);
    else if (timeoutMs !== 0) waiter.timer = setTimeout(() => this.timeOut(waiter), timeoutMs);
    if (signal !== undefined) {
      // Not `once`: every end, the abort's included, removes it in `#finish`.
      waiter.onAbort = () => this.#abort(waiter);
      signal.addEventListener('abort', waiter.onAbort);
    }
    this.#queue.push(waiter);
    this.count++;
    return promise;
  }

  /** Removes and returns the oldest waiter still waiting. */
  take(): Waiter<T> | undefined {
    const waiter = this.#queue.shift(DONE);
    if (waiter !== undefined) this.count--;
    return waiter;
  }

  /** Puts a waiter taken with {@link AcquireWaiters.take} back at the front. */
  requeue(waiter: Waiter<T>): void {
    waiter.state = QUEUED;
    this.#queue.unshift(waiter);
    this.count++;
  }

  /** Hands `resource` to `waiter` (out of the queue) at clock time `now`. */
  serve(waiter: Waiter<T>, resource: T, now: number): void {
    this.#finish(waiter);
    this.waitLatency.record(Math.max(0, now - waiter.enqueuedAt));
    if (waiter.timeoutMs !== 0) this.consecutiveTimeouts = 0;
    waiter.resolve(resource);
  }

  /** Rejects `waiter` (out of the queue) with `error`. */
  fail(waiter: Waiter<T>, error: unknown): void {
    this.#finish(waiter);
    waiter.reject(error);
  }

  /**
   * Times `waiter` out. Never called for a finished waiter: `#finish` clears its own timer, and the
   * shared deadlines skip finished waiters.
   */
  timeOut(waiter: Waiter<T>): void {
    const wasQueued = waiter.state === QUEUED;
    this.#finish(waiter);
    if (wasQueued) this.count--;
    this.timedOut++;
    this.consecutiveTimeouts++;
    waiter.reject(new TimeoutError(`acquire from ${this.#what}`, waiter.timeoutMs));
  }

  /** Rejects every queued waiter with {@link ClosedError} (`cause`: `reason`, if any). */
  closeAll(reason: unknown): void {
    this.#deadlines.stop();
    for (const waiter of this.#queue.drain()) {
      // The queue keeps cancelled waiters until its head passes them. Finishing one again would
      // be harmless (its promise is settled), so no test can see this check: it saves the work.
      // Stryker disable next-line ConditionalExpression: equivalent, as said above
      if (waiter.state !== QUEUED) continue;
      this.#finish(waiter);
      waiter.reject(new ClosedError(this.#what, { cause: reason })); // no `cause` when `reason` is undefined
    }
    this.count = 0;
  }

  /**
   * Entries the queue and the shared deadlines hold, finished ones not yet dropped included: what
   * bounds their memory (see {@link WaiterQueue.slots}).
   */
  get slots(): number {
    return this.#queue.slots + this.#deadlines.slots;
  }

  /** Never called for a finished waiter: `#finish` removes the listener. */
  #abort(waiter: Waiter<T>): void {
    const signal = waiter.signal as AbortSignal;
    const wasQueued = waiter.state === QUEUED;
    this.#finish(waiter);
    if (wasQueued) this.count--;
    this.aborted++;
    waiter.reject(abortReason(signal, `acquire from ${this.#what}`));
  }

  #finish(waiter: Waiter<T>): void {
    waiter.state = DONE;
    this.#deadlines.dropFinished();
    clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}
