// The rolling window of a CircuitBreaker (internal): outcome counts in a ring of equal time
// buckets, with running totals, so recording and reading are O(1) amortised.
import { type Clock, systemClock } from '../core/Clock.js';

/** Number of buckets the window is split into. */
export const WINDOW_BUCKETS = 10;

/** With the real clock, a success reads the time at least once in this many. */
export const READ_AT_LEAST_EVERY = 1024;

export class CircuitBreakerWindow {
  readonly #bucketMs: number;
  readonly #clock: Clock;
  readonly #calls = new Float64Array(WINDOW_BUCKETS);
  readonly #failures = new Float64Array(WINDOW_BUCKETS);
  /** `floor(now / bucketMs)` of the current bucket. */
  #epoch: number;
  /** When the current bucket ends: until then `#advance` has nothing to do (no division). */
  #bucketEndsAt: number;
  /** Index of the current bucket in the ring. */
  #index = 0;
  #totalCalls = 0;
  #totalFailures = 0;
  /**
   * Real time only: whether the current bucket is known not to have ended, because the timer
   * armed for its end has not fired yet. While it holds, a success needs no clock read (about
   * 45 ns on Node 20, the whole of what the failure-ratio rule cost above the consecutive rule).
   */
  #current = false;
  /**
   * Successes left before the time is read anyway: a timer can be held back for long (a busy
   * loop, fake timers in a test), and this bounds how many successes it can misplace.
   */
  #untilRead = 0;
  readonly #markEnded = (): void => {
    this.#current = false;
  };

  constructor(windowMs: number, clock: Clock) {
    this.#bucketMs = windowMs / WINDOW_BUCKETS;
    this.#clock = clock;
    this.#epoch = Math.floor(clock.now() / this.#bucketMs);
    this.#bucketEndsAt = (this.#epoch + 1) * this.#bucketMs;
  }

  /** Counts one outcome at time `now`. */
  record(now: number, failed: boolean): void {
    this.#advance(now);
    const i = this.#index;
    this.#calls[i] = (this.#calls[i] as number) + 1;
    this.#totalCalls++;
    if (failed) {
      this.#failures[i] = (this.#failures[i] as number) + 1;
      this.#totalFailures++;
    }
  }

  /**
   * Counts one success now. With the real clock, the time is read once per bucket: a timer
   * (unref'd, one at a time, armed only by a success) says when the bucket has ended, as
   * opossum's bucket timer does. A timer fires late, never early, so a success is at worst
   * counted in the bucket before its own by that lateness, and the time is read at least once
   * in {@link READ_AT_LEAST_EVERY} successes whatever the timer does. An injected clock (a
   * `FakeClock`) has no timers behind it and is read every time.
   */
  recordSuccess(): void {
    if (!this.#current || --this.#untilRead === 0) {
      const now = this.#clock.now();
      this.#advance(now);
      this.#untilRead = READ_AT_LEAST_EVERY;
      if (!this.#current && this.#clock === systemClock) {
        this.#current = true;
        // +1: Node counts timers in whole milliseconds of its own loop clock.
        setTimeout(this.#markEnded, Math.ceil(this.#bucketEndsAt - now) + 1).unref();
      }
    }
    const i = this.#index;
    this.#calls[i] = (this.#calls[i] as number) + 1;
    this.#totalCalls++;
  }

  /** Calls in the window at `now`. */
  calls(now: number): number {
    this.#advance(now);
    return this.#totalCalls;
  }

  /** Failures in the window at `now`. */
  failures(now: number): number {
    this.#advance(now);
    return this.#totalFailures;
  }

  /** Forgets everything (the breaker closed or was reset). */
  clear(now: number): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#totalCalls = 0;
    this.#totalFailures = 0;
    this.#epoch = Math.floor(now / this.#bucketMs);
    this.#bucketEndsAt = (this.#epoch + 1) * this.#bucketMs;
  }

  /** Drops the buckets that have left the window by `now`. A clock that goes back is ignored. */
  #advance(now: number): void {
    if (now < this.#bucketEndsAt) return;
    const epoch = Math.floor(now / this.#bucketMs);
    if (epoch <= this.#epoch) return;
    const steps = Math.min(epoch - this.#epoch, WINDOW_BUCKETS);
    for (let k = 0; k < steps; k++) {
      const i = (this.#index + 1) % WINDOW_BUCKETS;
      this.#index = i;
      this.#totalCalls -= this.#calls[i] as number;
      this.#totalFailures -= this.#failures[i] as number;
      this.#calls[i] = 0;
      this.#failures[i] = 0;
    }
    this.#epoch = epoch;
    this.#bucketEndsAt = (epoch + 1) * this.#bucketMs;
  }
}
