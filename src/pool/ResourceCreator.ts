import type { Clock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { AcquireWaiters } from './AcquireWaiters.js';
import type { CreatePolicy, PoolFactory } from './ConnectionPoolOptions.js';
import type { PoolEvents } from './PoolEvents.js';
import { OPEN } from './PoolState.js';
import type { ResourceDestroyer } from './ResourceDestroyer.js';
import { newSlot, type Slot } from './Slot.js';
import type { Waiter } from './Waiter.js';

/** What the creator needs of the pool: its resources, bounds and waiters, and where a new one goes. */
export type CreatorHost<T> = {
  readonly slots: Map<T, Slot<T>>;
  readonly state: number;
  readonly max: number;
  coarseNow: number;
  readonly waiters: Pick<AcquireWaiters<T>, 'count' | 'take' | 'fail'>;
  /** Hands `slot` to `waiter` (out of the queue). */
  grant(slot: Slot<T>, waiter: Waiter<T>): void;
  /** Reuses, hands over or retires a resource that came back. */
  putBack(slot: Slot<T>): void;
  dispatch(): void;
  checkDrained(): void;
};

/**
 * Makes resources through the factory (and the `createPolicy`), and places each one made: to
 * the oldest waiter, to the idle stack, or straight to `destroy` when the pool shrank or closed
 * meanwhile. A failure rejects the oldest waiter.
 */
export class ResourceCreator<T> {
  /** Resources being made. */
  creating = 0;
  created = 0;
  createFailures = 0;
  readonly #host: CreatorHost<T>;
  readonly #factory: PoolFactory<T>;
  readonly #policy: CreatePolicy | undefined;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #destroyer: ResourceDestroyer<T>;
  readonly #events: PoolEvents;
  readonly #poolName: string;

  /** @param signal - aborted when the pool is destroyed; passed to `create`. */
  constructor(
    host: CreatorHost<T>,
    factory: PoolFactory<T>,
    policy: CreatePolicy | undefined,
    signal: AbortSignal,
    clock: Clock,
    destroyer: ResourceDestroyer<T>,
    events: PoolEvents,
    poolName: string,
  ) {
    this.#host = host;
    this.#factory = factory;
    this.#policy = policy;
    this.#signal = signal;
    this.#clock = clock;
    this.#destroyer = destroyer;
    this.#events = events;
    this.#poolName = poolName;
  }

  /** Starts making one resource. */
  create(): void {
    this.creating++;
    const signal = this.#signal;
    const policy = this.#policy;
    const create = this.#factory.create;
    let made: PromiseLike<T> | T;
    try {
      made = policy === undefined ? create(signal) : policy.execute(create, signal);
    } catch (error) {
      made = Promise.reject(error);
    }
    Promise.resolve(made).then(this.#onCreated, this.#onCreateFailed);
  }

  readonly #onCreated = (resource: T): void => {
    this.creating--;
    const host = this.#host;
    if (host.slots.has(resource)) {
      this.#onCreateFailed(
        new InvalidOptionError('create()', 'a resource not already in the pool', resource as unknown),
        true,
      );
      return;
    }
    const now = this.#clock.now();
    host.coarseNow = now;
    const slot = newSlot(resource, now);
    host.slots.set(resource, slot);
    this.created++;
    this.#events.emit('resource:created', { pool: this.#poolName, size: host.slots.size });
    if (host.state !== OPEN) {
      this.#destroyer.destroy(slot, 'closed');
      host.checkDrained();
      return;
    }
    if (host.slots.size + this.creating > host.max) {
      // The pool shrank while this was being made.
      this.#destroyer.destroy(slot, 'shrink');
      host.dispatch();
      return;
    }
    // A fresh resource goes to a waiter without validation.
    const waiter = host.waiters.count > 0 ? host.waiters.take() : undefined;
    if (waiter !== undefined) {
      host.grant(slot, waiter);
      host.dispatch();
      return;
    }
    host.putBack(slot);
  };

  readonly #onCreateFailed = (error: unknown, duplicate = false): void => {
    if (!duplicate) this.creating--;
    this.createFailures++;
    const host = this.#host;
    let rejectedWaiter = false;
    if (host.state === OPEN && host.waiters.count > 0) {
      // generic-pool retries a failing create in a loop while acquires wait forever; here the
      // oldest waiter gets the error instead (one failure, one rejection: no spin).
      const waiter = host.waiters.take();
      if (waiter !== undefined) {
        host.waiters.fail(waiter, error);
        rejectedWaiter = true;
      }
    }
    this.#events.emit('create:failed', { pool: this.#poolName, error, rejectedWaiter });
    host.dispatch();
    host.checkDrained();
  };
}
