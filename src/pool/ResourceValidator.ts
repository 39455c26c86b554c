import type { Clock } from '../core/Clock.js';
import { withDeadline } from '../core/internal/deadline.js';
import type { AcquireWaiters } from './AcquireWaiters.js';
import type { PoolFactory } from './ConnectionPoolOptions.js';
import { OPEN } from './PoolState.js';
import type { ResourceDestroyer } from './ResourceDestroyer.js';
import { type Slot, VALIDATING } from './Slot.js';
import { CLAIMED, type Waiter } from './Waiter.js';

/** What the validator needs of the pool: its bounds and waiters, and where a checked resource goes. */
export type ValidatorHost<T> = {
  readonly state: number;
  readonly max: number;
  readonly coarseNow: number;
  readonly waiters: Pick<AcquireWaiters<T>, 'requeue'>;
  /** Resources made and being made. */
  total(): number;
  /** Hands `slot` to `waiter` (out of the queue). */
  grant(slot: Slot<T>, waiter: Waiter<T>): void;
  /** Reuses, hands over or retires a resource that came back. */
  putBack(slot: Slot<T>): void;
  dispatch(): void;
  fill(): void;
  checkDrained(): void;
};

/**
 * Runs the factory's `validate` on a resource, for a borrower (`validateOnBorrow`) or for the
 * idle sweep (`idleValidationIntervalMs`), and places it after: to the borrower, back to the
 * pool, or to `destroy` when it failed.
 */
export class ResourceValidator<T> {
  /** Resources being validated (they count as borrowed). */
  validating = 0;
  /** Resources found invalid, or discarded by their borrower. */
  validationFailures = 0;
  readonly #host: ValidatorHost<T>;
  readonly #factory: PoolFactory<T>;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #destroyer: ResourceDestroyer<T>;
  readonly #timeoutMs: number;

  /**
   * @param signal - aborted when the pool is destroyed; passed to `validate`.
   * @param timeoutMs - a validation still running after this long counts as failed (`0`: no limit).
   */
  constructor(
    host: ValidatorHost<T>,
    factory: PoolFactory<T>,
    signal: AbortSignal,
    clock: Clock,
    destroyer: ResourceDestroyer<T>,
    timeoutMs: number,
  ) {
    this.#timeoutMs = timeoutMs;
    this.#host = host;
    this.#factory = factory;
    this.#signal = signal;
    this.#clock = clock;
    this.#destroyer = destroyer;
  }

  /** Whether the factory has a `validate`. */
  canValidate(): boolean {
    return this.#factory.validate !== undefined;
  }

  /** Validates `slot` for `waiter`; on failure destroys it and puts the waiter back in front. */
  validateFor(slot: Slot<T>, waiter: Waiter<T>): void {
    waiter.state = CLAIMED;
    slot.state = VALIDATING;
    this.validating++;
    this.#run(slot).then((valid) => {
      this.validating--;
      const host = this.#host;
      const overMax = host.total() > host.max;
      if (valid && !overMax) {
        slot.lastValidatedAt = host.coarseNow;
        if (waiter.state === CLAIMED && host.state === OPEN) {
          host.grant(slot, waiter);
          return;
        }
        // The waiter timed out or aborted, or the pool closed, meanwhile.
        host.putBack(slot);
        return;
      }
      if (valid) {
        // The pool shrank during validation: retire this one; the waiter waits for the next.
        this.#destroyer.destroy(slot, 'shrink');
      } else {
        this.validationFailures++;
        this.#destroyer.destroy(slot, 'invalid');
      }
      if (waiter.state === CLAIMED) host.waiters.requeue(waiter);
      host.dispatch();
      host.checkDrained();
    });
  }

  /** Validates idle `slot` (taken off the idle stack); on failure destroys it and refills. */
  validateIdle(slot: Slot<T>): void {
    slot.state = VALIDATING;
    this.validating++;
    this.#run(slot).then((valid) => {
      this.validating--;
      const host = this.#host;
      if (valid) {
        slot.lastValidatedAt = this.#clock.now();
        host.putBack(slot);
        return;
      }
      this.validationFailures++;
      this.#destroyer.destroy(slot, 'invalid');
      host.fill();
      host.dispatch();
      host.checkDrained();
    });
  }

  /** Resolves to whether `slot` is valid; a throw, a rejection or no answer in time counts as invalid. */
  #run(slot: Slot<T>): Promise<boolean> {
    const validate = this.#factory.validate as NonNullable<PoolFactory<T>['validate']>;
    try {
      const answer = Promise.resolve(validate(slot.resource, this.#signal));
      return withDeadline(answer, this.#timeoutMs, 'validate').then(
        (v) => v === true,
        () => false,
      );
    } catch {
      return Promise.resolve(false);
    }
  }
}
