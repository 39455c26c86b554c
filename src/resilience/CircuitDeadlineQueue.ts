// The time limit of a CircuitBreaker's closed-state calls (internal). Every call has the same
// timeoutMs, so deadlines fall in start order: one queue and one unref'd timer serve all timed
// calls, instead of a setTimeout/clearTimeout pair per call (which cost more than the rest of
// the call).
import type { Clock } from '../core/Clock.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';

/** A closed-state call running under `timeoutMs`, waiting in the deadline queue. */
export type TimedCall = {
  /** Clock time it started; only differences between calls are used (see #onDeadline). */
  readonly startedAt: number;
  settled: boolean;
  reject: (error: unknown) => void;
  readonly controller: AbortController | undefined;
};

/** What a timeout does to the breaker (the state machine counts it as a failure). */
export interface DeadlineHost {
  timedOut(): void;
}

const NO_REJECT = (): void => {};

export class CircuitDeadlineQueue {
  readonly #timeoutMs: number;
  /** Names the call in the TimeoutError. */
  readonly #what: string;
  readonly #clock: Clock;
  readonly #host: DeadlineHost;
  readonly #timed: TimedCall[] = [];
  #timedHead = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  /** Start time of the call the deadline timer was armed for. */
  #armedStart = 0;

  constructor(timeoutMs: number, what: string, clock: Clock, host: DeadlineHost) {
    this.#timeoutMs = timeoutMs;
    this.#what = what;
    this.#clock = clock;
    this.#host = host;
  }

  /**
   * Starts the clock of a call that has just started. Its caller sets `reject`, and calls
   * `settle` when the call ends unless `settled` is already set (it timed out).
   */
  track(controller: AbortController | undefined): TimedCall {
    const call: TimedCall = { startedAt: this.#clock.now(), settled: false, reject: NO_REJECT, controller };
    this.#timed.push(call);
    if (this.#deadlineTimer === undefined) this.#armDeadline(call, this.#timeoutMs);
    return call;
  }

  /** Marks a timed call settled and drops settled calls from the front of the queue. */
  settle(call: TimedCall): void {
    call.settled = true;
    const timed = this.#timed;
    // Stryker disable next-line ConditionalExpression: #onDeadline passes over settled calls too; this only frees them sooner
    while (this.#timedHead < timed.length && (timed[this.#timedHead] as TimedCall).settled) this.#timedHead++;
    if (this.#timedHead === timed.length) {
      timed.length = 0;
      this.#timedHead = 0;
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,LogicalOperator,BlockStatement: compaction only bounds memory; order and timeouts are the same without it
    } else if (this.#timedHead > 1024 && this.#timedHead * 2 > timed.length) {
      timed.splice(0, this.#timedHead);
      this.#timedHead = 0;
    }
  }

  #armDeadline(call: TimedCall, delayMs: number): void {
    this.#armedStart = call.startedAt;
    this.#deadlineTimer = setTimeout(this.#onDeadline, delayMs);
    // An in-flight call keeps the process alive through its own I/O, not through this timer.
    this.#deadlineTimer.unref();
  }

  /**
   * The deadline timer fired: `timeoutMs` has passed since the call it was armed for started.
   * Calls that started no later than that one have timed out; the timer is re-armed for the next.
   * Only differences between start times are read from the clock, so a fake clock that does not
   * move (with fake timers) still times calls out when the timer fires.
   */
  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined;
    const timed = this.#timed;
    while (this.#timedHead < timed.length) {
      const call = timed[this.#timedHead] as TimedCall;
      if (call.settled) {
        this.#timedHead++;
        continue;
      }
      const remainingMs = call.startedAt - this.#armedStart;
      if (remainingMs > 0) {
        this.#armDeadline(call, Math.min(remainingMs, this.#timeoutMs));
        return;
      }
      this.#timedHead++;
      call.settled = true;
      const error = new TimeoutError(this.#what, this.#timeoutMs);
      this.#host.timedOut();
      call.controller?.abort(error);
      call.reject(error);
    }
    timed.length = 0;
    this.#timedHead = 0;
  };
}
