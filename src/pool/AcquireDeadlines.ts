import type { Clock } from '../core/Clock.js';
import { DONE, type Waiter } from './Waiter.js';
import { WaiterQueue } from './WaiterQueue.js';

/** What the deadlines time out: a no-op for a waiter already done. */
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

  /** Stops the timer (the waiters stay until {@link AcquireDeadlines.clear}). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets every waiter. */
  clear(): void {
    this.#timed.drain();
  }

  #arm(waiter: Waiter<T>, delayMs: number): void {
    this.#armedFor = waiter;
    this.#timer = setTimeout(this.#onDeadline, Math.max(1, Math.ceil(delayMs)));
  }

  /**
   * The shared deadline timer fired: the waiter it was armed for has waited `acquireTimeoutMs`.
   * It and every waiter queued before it time out (deadlines are in enqueue order), plus any
   * later ones past their deadline by the clock; the timer is re-armed for the next.
   * Expiring by queue position rather than by clock alone means fake timers that do not move
   * the clock still time waiters out.
   */
  readonly #onDeadline = (): void => {
    this.#timer = undefined;
    const armedFor = this.#armedFor;
    this.#armedFor = undefined;
    const now = this.#clock.now();
    let passedArmed = armedFor === undefined || armedFor.state === DONE;
    for (;;) {
      const waiter = this.#timed.peek(DONE);
      if (waiter === undefined) return;
      if (!passedArmed || waiter.deadline <= now) {
        if (waiter === armedFor) passedArmed = true;
        this.#timed.shift(DONE);
        this.#host.timeOut(waiter);
        continue;
      }
      this.#arm(waiter, Math.min(waiter.deadline - now, this.#timeoutMs));
      return;
    }
  };
}
