import type { Clock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { withDeadline } from '../core/internal/deadline.js';
import type { AcquireWaiters } from './AcquireWaiters.js';
import type { CreatePolicy, PoolFactory } from './ConnectionPoolOptions.js';
import type { PoolEvents } from './PoolEvents.js';
import { OPEN } from './PoolState.js';
import type { ResourceDestroyer } from './ResourceDestroyer.js';
import type { ResolvedConnectionPoolOptions } from './resolveOptions.js';
import { newSlot, type Slot } from './Slot.js';
import type { Waiter } from './Waiter.js';

const ignore = (): void => {};

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
 * meanwhile. A failure rejects the oldest waiter. A create still running after
 * `createTimeoutMs` is a failure too: it is aborted and its place freed, and what it resolves
 * with later is destroyed.
 */
export class ResourceCreator<T> {
  /** Resources being made. */
  creating = 0;
  created = 0;
  createFailures = 0;
  readonly #host: CreatorHost<T>;
  readonly #factory: PoolFactory<T>;
  readonly #policy: CreatePolicy | undefined;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #destroyer: ResourceDestroyer<T>;
  readonly #events: PoolEvents;
  readonly #poolName: string;
  /** `create in pool "<name>"`, what a create timeout names. */
  readonly #operation: string;
  /** One controller per create in flight (with a timeout), so a deadline aborts that create alone. */
  readonly #attempts = new Set<AbortController>();

  /** @param signal - aborted when the pool is destroyed; every create's signal follows it. */
  constructor(
    host: CreatorHost<T>,
    factory: PoolFactory<T>,
    options: Pick<ResolvedConnectionPoolOptions, 'createPolicy' | 'createTimeoutMs' | 'clock'>,
    signal: AbortSignal,
    destroyer: ResourceDestroyer<T>,
    events: PoolEvents,
    poolName: string,
  ) {
    this.#host = host;
    this.#factory = factory;
    this.#policy = options.createPolicy;
    this.#timeoutMs = options.createTimeoutMs;
    this.#signal = signal;
    this.#clock = options.clock;
    this.#destroyer = destroyer;
    this.#events = events;
    this.#poolName = poolName;
    this.#operation = `create in pool "${poolName}"`;
    // One listener for all creates rather than one each: Node warns (MaxListenersExceededWarning)
    // past 10 listeners on one signal, and 20 creates at once is an ordinary `max`.
    signal.addEventListener(
      'abort',
      () => {
        for (const attempt of this.#attempts) attempt.abort(signal.reason);
        this.#attempts.clear();
      },
      { once: true },
    );
  }

  /** Starts making one resource. */
  create(): void {
    this.creating++;
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs === 0) {
      this.#start(this.#signal).then(this.#onCreated, this.#onCreateFailed);
      return;
    }
    const attempt = new AbortController();
    if (this.#signal.aborted) attempt.abort(this.#signal.reason);
    else this.#attempts.add(attempt);
    const work = this.#start(attempt.signal);
    // Attached before the deadline's own handlers, so it has run by the time they answer.
    let settled = false;
    const finished = (): void => {
      settled = true;
      this.#attempts.delete(attempt);
    };
    work.then(finished, finished);
    withDeadline(work, timeoutMs, this.#operation).then(this.#onCreated, (error: unknown) => {
      if (!settled) {
        // The deadline passed first: stop the attempt, and close what it may still produce.
        this.#attempts.delete(attempt);
        attempt.abort(error);
        work.then(this.#onLate, ignore);
      }
      this.#onCreateFailed(error);
    });
  }

  /** Calls `create` (through the policy) with `signal`; a synchronous throw becomes a rejection. */
  #start(signal: AbortSignal): Promise<T> {
    const policy = this.#policy;
    const create = this.#factory.create;
    try {
      return Promise.resolve(policy === undefined ? create(signal) : policy.execute(create, signal));
    } catch (error) {
      return Promise.reject(error);
    }
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

  /**
   * A resource whose create had timed out (and counted as a failure): closed at once through the
   * pool's destroy path, so it is counted, reported and waited for like any other, never lent.
   */
  readonly #onLate = (resource: T): void => {
    const host = this.#host;
    // The factory handed back an object the pool already holds: that one is in use, not ours to close.
    if (host.slots.has(resource)) return;
    const slot = newSlot(resource, this.#clock.now());
    host.slots.set(resource, slot);
    this.created++;
    this.#events.emit('resource:created', { pool: this.#poolName, size: host.slots.size });
    this.#destroyer.destroy(slot, 'late');
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
