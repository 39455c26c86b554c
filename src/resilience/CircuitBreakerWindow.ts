// The rolling window of a CircuitBreaker (internal): outcome counts in a ring of equal time
// buckets, with running totals, so recording and reading are O(1) amortised.

/** Number of buckets the window is split into. */
export const WINDOW_BUCKETS = 10;

export class CircuitBreakerWindow {
  readonly #bucketMs: number;
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

  constructor(windowMs: number, now: number) {
    this.#bucketMs = windowMs / WINDOW_BUCKETS;
    this.#epoch = Math.floor(now / this.#bucketMs);
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
