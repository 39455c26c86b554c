// Internal: failure accrual, as Finagle's FailureAccrualFactory: a circuit breaker per backend.
// An open backend is taken out of the picks for the open time; back half-open, it is picked for
// one probe at a time (out of the picks while the probe runs); a successful probe brings it back.
// Lazy, on the clock, like outlier detection: no timer.
import type { Clock } from '../core/index.js';
import { CircuitBreaker, type CircuitPermit } from '../resilience/index.js';
import type { BackendEntry } from './BackendEntry.js';
import type { LeaseResult } from './BackendLease.js';
import type { BackendRegistry } from './BackendRegistry.js';
import type { ResolvedFailureAccrual } from './resolveOptions.js';

/** @internal What failure accrual needs of the backends. */
export type AccrualHost<T> = Pick<BackendRegistry<T>, 'get' | 'transition'>;

/** @internal */
export class FailureAccrual<T> {
  readonly #options: ResolvedFailureAccrual;
  readonly #clock: Clock;
  readonly #backends: AccrualHost<T>;
  readonly #breakers = new WeakMap<BackendEntry<T>, CircuitBreaker>();
  /** Backends out of the picks until a time (open) or until their probe settles (`Infinity`). */
  readonly #blocked = new Map<BackendEntry<T>, number>();
  #nextUnblock = Number.POSITIVE_INFINITY;

  constructor(options: ResolvedFailureAccrual, clock: Clock, backends: AccrualHost<T>) {
    this.#options = options;
    this.#clock = clock;
    this.#backends = backends;
  }

  /** Latency charged to a failure in the EWMA. */
  get failurePenaltyMs(): number {
    return this.#options.failurePenaltyMs;
  }

  /**
   * Asks `entry`'s breaker to admit a request on it.
   * @returns the permit to settle at release, or `undefined` when the breaker refuses: the
   *   backend is then out of the picks, and the caller picks again.
   */
  admit(entry: BackendEntry<T>): CircuitPermit | undefined {
    const permit = this.#breaker(entry).tryAcquire();
    if (permit === undefined) this.#block(entry, this.#clock.now() + this.#options.openDurationMs);
    else if (permit.probe) this.#block(entry, Number.POSITIVE_INFINITY);
    return permit;
  }

  /** A request admitted by `permit` ended with `result`. */
  settle(entry: BackendEntry<T>, permit: CircuitPermit, result: LeaseResult): void {
    if (result === 'success') permit.success();
    else if (result === 'failure') permit.failure();
    else permit.release();
    const state = this.#breaker(entry).state;
    if (state === 'open') this.#block(entry, this.#clock.now() + this.#options.openDurationMs);
    // Out of the picks only while open or probing: a probe that closed the breaker lets it back.
    else if (permit.probe) this.#unblock(entry);
  }

  /** Brings back the backends whose open time is over (their breakers are half-open now). */
  expire(): void {
    if (this.#blocked.size === 0) return;
    const now = this.#clock.now();
    if (now < this.#nextUnblock) return;
    this.#nextUnblock = Number.POSITIVE_INFINITY;
    for (const [entry, until] of this.#blocked) {
      if (until <= now) this.#unblock(entry);
      else this.#nextUnblock = Math.min(this.#nextUnblock, until);
    }
  }

  /** A backend was removed: forget it. */
  forget(entry: BackendEntry<T>): void {
    this.#blocked.delete(entry);
  }

  #breaker(entry: BackendEntry<T>): CircuitBreaker {
    let breaker = this.#breakers.get(entry);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({
        ...this.#options.breaker,
        name: entry.backend.id,
        clock: this.#clock,
      } as never);
      this.#breakers.set(entry, breaker);
    }
    return breaker;
  }

  #block(entry: BackendEntry<T>, until: number): void {
    // Removed (a late outcome): not its business any more, nor that of a backend added since
    // under the same id.
    if (this.#backends.get(entry.backend.id) !== entry) return;
    this.#blocked.set(entry, until);
    this.#nextUnblock = Math.min(this.#nextUnblock, until);
    this.#backends.transition(
      entry,
      'failure-accrual',
      () => {
        entry.accrualBlocked = true;
      },
      until === Number.POSITIVE_INFINITY ? {} : { durationMs: this.#options.openDurationMs },
    );
  }

  #unblock(entry: BackendEntry<T>): void {
    if (!this.#blocked.delete(entry)) return; // removed backends are forgotten
    this.#backends.transition(entry, 'failure-accrual', () => {
      entry.accrualBlocked = false;
    });
  }
}
