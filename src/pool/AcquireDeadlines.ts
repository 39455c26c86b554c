import type { Clock } from '../core/Clock.js';
import { DONE, type Waiter } from './Waiter.js';
import { WaiterQueue } from './WaiterQueue.js';

/** What the deadlines time out: only waiters not yet done. */
export type DeadlineHost<T> = { timeOut(waiter: Waiter<T>): void };

/**
 * The one timer a pool's waiters share for `acquireTimeoutMs`: waiters on the pool's own
 * timeout, in enqueue order, hence in deadline order, and a timer armed for the oldest.
 */
export class AcquireDeadlines<T> {
  readonly #timed = new WaiterQueue<Waiter<T>>();
  readonly #host: DeadlineHost<T>;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #armedFor: Waiter<T> | undefined;

  constructor(host: DeadlineHost<T>, clock: Clock, timeoutMs: number) {
    this.#host = host;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Adds `waiter`, whose deadline is `acquireTimeoutMs` from now. */
  add(waiter: Waiter<T>): void {
    this.#timed.push(waiter);
    if (this.#timer === undefined) this.#arm(waiter, this.#timeoutMs);
  }

  /**
   * Drops finished waiters from the front now, not when the timer next fires: under a steady
   * load that would keep a timeout's worth of them alive.
   */
  dropFinished(): void {
    this.#timed.peek(DONE);
  }

  /** Stops the timer for good (the pool is closing; its waiters are finished by the caller). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Entries held, finished ones not yet dropped included (see {@link WaiterQueue.slots}). */
  get slots(): number {
    return this.#timed.slots;
  }

  #arm(waiter: Waiter<T>, delayMs: number): void {
    this.#armedFor = waiter;
    this.#timer = setTimeout(this.#onDeadline, Math.max(1, Math.ceil(delayMs)));
  }

  /**
   * The shared deadline timer fired: the waiter it was armed for has waited `acquireTimeoutMs`.
   * That waiter was the oldest one waiting when the timer was armed, so if it still waits it is
   * the first in the queue, and it times out whatever the clock says: fake timers that do not
   * move the clock still time waiters out. Later waiters go by the clock; the timer is re-armed
   * for the first one still short of its deadline.
   */
  readonly #onDeadline = (): void => {
    this.#timer = undefined;
    // Set with the timer; cleared here so a timed-out waiter is not kept until the next one.
    const armedFor = this.#armedFor as Waiter<T>;
    this.#armedFor = undefined;
    const now = this.#clock.now();
    let armedStillWaits = armedFor.state !== DONE;
    for (;;) {
      const waiter = this.#timed.peek(DONE);
      if (waiter === undefined) return;
      if (armedStillWaits || waiter.deadline <= now) {
        armedStillWaits = false;
        this.#timed.shift(DONE);
        this.#host.timeOut(waiter);
        continue;
      }
      this.#arm(waiter, Math.min(waiter.deadline - now, this.#timeoutMs));
      return;
    }
  };
}
