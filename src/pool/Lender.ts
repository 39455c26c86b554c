import type { Clock } from '../core/Clock.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { abortReason } from '../core/internal/abort.js';
import { checkOptionKeys, MAX_TIMER_MS, numberOption, optionsObject } from '../core/internal/validate.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import { AcquireWaiters } from './AcquireWaiters.js';
import { AdaptiveResizer } from './AdaptiveResizer.js';
import type { AcquireOptions, PoolFactory, PoolResizeReason } from './ConnectionPoolOptions.js';
import { IdleReaper } from './IdleReaper.js';
import { ACQUIRE_OPTIONS } from './isPlainAcquire.js';
import { LeakDetector } from './LeakDetector.js';
import type { PoolEvents } from './PoolEvents.js';
import { CLOSING, DESTROYED, OPEN } from './PoolState.js';
import { ResourceCreator } from './ResourceCreator.js';
import { ResourceDestroyer } from './ResourceDestroyer.js';
import { ResourceValidator } from './ResourceValidator.js';
import type { ResolvedConnectionPoolOptions } from './resolveOptions.js';
import { BORROWED, IDLE, type Slot } from './Slot.js';
import type { Waiter } from './Waiter.js';

/** Hold time is recorded for one borrow in this many (two clock reads and a histogram record each). */
const HOLD_SAMPLE_EVERY = 16;

/**
 * The pool's resources and how they are lent: the idle stack, handed out most recently used
 * first, paired off with waiting acquires in FIFO order; a resource coming back goes to a
 * waiter, to the idle stack, or to `destroy`. It owns the collaborators that make, validate,
 * destroy and sweep resources and resize the pool, and is the host each of them reports to.
 */
export class Lender<T> {
  readonly slots = new Map<T, Slot<T>>();
  /** Idle resources, most recently released last (handed out first). */
  idle: Slot<T>[] = [];
  state = OPEN;
  min: number;
  max: number;
  borrowed = 0;
  /** Whether `acquire` may take the fast path (open, no borrow validation, no leak detection). */
  fast: boolean;
  /** Clock time as of the last sweep or slow path: stamps idle resources without a clock read. */
  coarseNow: number;
  acquired = 0;
  /** Acquires served at once (counted as 0 ms waits rather than recorded). */
  immediate = 0;
  readonly holdLatency = new LatencyRecorder();
  // Adaptive sizing: what the current interval saw.
  peakBorrowed = 0;
  sawWait = false;
  readonly waiters: AcquireWaiters<T>;
  readonly destroyer: ResourceDestroyer<T>;
  readonly creator: ResourceCreator<T>;
  readonly validator: ResourceValidator<T>;
  readonly leaks: LeakDetector<T>;
  readonly resizer: AdaptiveResizer | undefined;
  readonly #reaper: IdleReaper<T>;
  readonly #options: ResolvedConnectionPoolOptions;
  readonly #clock: Clock;
  readonly #events: PoolEvents;
  readonly #poolName: string;
  readonly #what: string;
  readonly #life = new AbortController();
  #untilHoldSample = 1;
  #drained: (() => void) | undefined;

  /** Starts the timers and making `min` resources. */
  constructor(
    poolName: string,
    what: string,
    factory: PoolFactory<T>,
    options: ResolvedConnectionPoolOptions,
    events: PoolEvents,
  ) {
    const clock = options.clock;
    const signal = this.#life.signal;
    this.#options = options;
    this.#clock = clock;
    this.#events = events;
    this.#poolName = poolName;
    this.#what = what;
    this.min = options.min;
    this.max = options.max;
    this.waiters = new AcquireWaiters<T>(clock, options.acquireTimeoutMs, what);
    this.destroyer = new ResourceDestroyer(this.slots, factory, poolName, events);
    this.creator = new ResourceCreator(this, factory, options, signal, this.destroyer, events, poolName);
    this.validator = new ResourceValidator(
      this,
      factory,
      signal,
      clock,
      this.destroyer,
      options.createTimeoutMs,
    );
    this.leaks = new LeakDetector<T>(options.leakDetectionMs, poolName, what, events);
    this.fast = options.leakDetectionMs === 0 && !this.#validatesOnBorrow();
    this.coarseNow = clock.now();
    this.#reaper = new IdleReaper(this, options, this.validator, this.leaks, this.destroyer);
    this.resizer = options.adaptive === undefined ? undefined : new AdaptiveResizer(this, options.adaptive);
    this.fill();
  }

  /** Resources made and being made. */
  total(): number {
    return this.slots.size + this.creator.creating;
  }

  /** Resources borrowed, counting those being validated for a borrower or the sweep. */
  inUse(): number {
    return this.borrowed + this.validator.validating;
  }

  /** The fast path's half: lends the most recently used idle resource, if any, unchecked. */
  lendIdle(): Slot<T> | undefined {
    const slot = this.idle.pop();
    if (slot !== undefined) {
      slot.state = BORROWED;
      if (++this.borrowed > this.peakBorrowed) this.peakBorrowed = this.borrowed;
      this.acquired++;
      this.immediate++;
      if (--this.#untilHoldSample === 0) {
        this.#untilHoldSample = HOLD_SAMPLE_EVERY;
        slot.acquiredAt = this.#clock.now();
      }
    }
    return slot;
  }

  /** Any acquire the fast path does not serve: checks `options`, then waits in the queue. */
  acquireSlow(options: AcquireOptions | undefined, stack: string | undefined): Promise<T> {
    let signal: AbortSignal | undefined;
    let timeoutMs = this.#options.acquireTimeoutMs;
    try {
      const o = optionsObject('options', options) as AcquireOptions;
      checkOptionKeys(o, ACQUIRE_OPTIONS, 'acquire');
      signal = o.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
      }
      if (o.timeoutMs !== undefined)
        timeoutMs = numberOption('options.timeoutMs', o.timeoutMs, 0, MAX_TIMER_MS);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.state !== OPEN) return Promise.reject(new ClosedError(this.#what));
    if (signal?.aborted) return Promise.reject(abortReason(signal, `acquire from ${this.#what}`));
    const maxWaiters = this.#options.maxWaiters;
    if (maxWaiters !== 0 && this.waiters.count >= maxWaiters && this.idle.length === 0) {
      return Promise.reject(new CapacityExceededError(`wait queue of ${this.#what}`, maxWaiters));
    }
    const now = this.#clock.now();
    this.coarseNow = now;
    // It really has to wait (at least until a resource is made).
    if (this.idle.length === 0) this.sawWait = true;
    const promise = this.waiters.enqueue(now, timeoutMs, signal, stack);
    this.dispatch();
    return promise;
  }

  /** Takes back borrowed `resource` (see `ConnectionPool.release`). */
  release(resource: T): void {
    const slot = this.slots.get(resource);
    if (slot === undefined || slot.state !== BORROWED) throw this.#notBorrowed(resource);
    this.borrowed--;
    if (slot.acquiredAt >= 0) {
      this.holdLatency.record(Math.max(0, this.#clock.now() - slot.acquiredAt));
      slot.acquiredAt = -1;
      slot.stack = undefined;
    }
    this.putBack(slot);
  }

  /** Takes back borrowed `resource` as broken (see `ConnectionPool.discard`). */
  discard(resource: T): void {
    const slot = this.slots.get(resource);
    if (slot === undefined || slot.state !== BORROWED) throw this.#notBorrowed(resource);
    this.borrowed--;
    this.validator.validationFailures++;
    this.destroyer.destroy(slot, 'invalid');
    this.dispatch();
    this.checkDrained();
  }

  /** Pairs idle resources with waiters, then starts making resources for those still waiting. */
  dispatch(): void {
    const waiters = this.waiters;
    while (waiters.count > 0 && this.idle.length > 0) {
      const waiter = waiters.take() as Waiter<T>;
      const slot = this.idle.pop() as Slot<T>;
      if (this.#validatesOnBorrow()) {
        this.validator.validateFor(slot, waiter);
      } else {
        this.grant(slot, waiter);
      }
    }
    if (this.state !== OPEN) return;
    while (waiters.count > this.creator.creating && this.total() < this.max) this.creator.create();
  }

  /** Hands `slot` to `waiter` (which is out of the queue). */
  grant(slot: Slot<T>, waiter: Waiter<T>): void {
    slot.state = BORROWED;
    if (++this.borrowed > this.peakBorrowed) this.peakBorrowed = this.borrowed;
    this.acquired++;
    const now = this.#clock.now();
    this.coarseNow = now;
    if (--this.#untilHoldSample === 0 || waiter.stack !== undefined) {
      if (this.#untilHoldSample <= 0) this.#untilHoldSample = HOLD_SAMPLE_EVERY;
      slot.acquiredAt = now;
      slot.stack = waiter.stack;
      slot.leakReported = false;
    }
    this.waiters.serve(waiter, slot.resource, now);
  }

  /** A resource came back (released, validated idle, or made): reuse, hand over or retire it. */
  putBack(slot: Slot<T>): void {
    if (this.state !== OPEN) {
      this.destroyer.destroy(slot, 'closed');
      this.checkDrained();
      return;
    }
    if (this.total() > this.max) {
      this.destroyer.destroy(slot, 'shrink');
      return;
    }
    const lifetime = this.#options.maxLifetimeMs;
    if (lifetime !== 0 && this.coarseNow - slot.createdAt >= lifetime) {
      this.destroyer.destroy(slot, 'lifetime');
      this.dispatch();
      return;
    }
    if (this.waiters.count > 0) {
      slot.state = IDLE;
      this.idle.push(slot);
      this.dispatch();
      return;
    }
    slot.state = IDLE;
    slot.idleSince = this.coarseNow;
    this.idle.push(slot);
  }

  /** Makes resources up to `min` (those being made count). */
  fill(): void {
    if (this.state !== OPEN) return;
    while (this.total() < this.min) this.creator.create();
  }

  /** Sets the bounds (checked by the caller); `pool:resized` when `changed`. */
  resize(min: number, max: number): void {
    if (this.state !== OPEN) return;
    const changed = max !== this.max || min !== this.min;
    this.min = min;
    this.setMax(max, 'manual', changed);
  }

  setMax(max: number, reason: PoolResizeReason, announce: boolean): void {
    const fromMax = this.max;
    this.max = max;
    // Surplus idle resources go now, least recently used first; borrowed ones on release.
    const surplus = this.total() - max;
    if (surplus > 0 && this.idle.length > 0) {
      const cut = Math.min(surplus, this.idle.length);
      for (const slot of this.idle.splice(0, cut)) this.destroyer.destroy(slot, 'shrink');
    }
    if (announce) {
      this.#events.emit('pool:resized', { pool: this.#poolName, fromMax, toMax: max, min: this.min, reason });
    }
    this.dispatch();
    this.fill();
  }

  resetLoadMarks(): void {
    this.sawWait = this.waiters.count > 0;
    this.peakBorrowed = this.inUse();
  }

  /** Stops intake and resolves once nothing is borrowed, validated or made, and all is destroyed. */
  drain(): Promise<void> {
    this.#shutDown(undefined, false);
    return new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.checkDrained();
    }).then(() => this.destroyer.settle());
  }

  /** Stops intake, aborts making and validating; resolves once running destroys are done. */
  destroy(reason: unknown): Promise<void> {
    if (this.state !== DESTROYED) this.#shutDown(reason, true);
    // A pending drain() completes now: what is still borrowed is no longer waited for.
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
    return this.destroyer.settle();
  }

  /** Completes a pending drain once nothing is borrowed, validated or being made. */
  checkDrained(): void {
    if (this.#drained === undefined) return;
    if (this.inUse() + this.creator.creating > 0) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #validatesOnBorrow(): boolean {
    return this.#options.validateOnBorrow && this.validator.canValidate();
  }

  #shutDown(reason: unknown, destroying: boolean): void {
    this.state = destroying ? DESTROYED : CLOSING;
    this.fast = false;
    this.#reaper.stop();
    this.resizer?.stop();
    this.waiters.closeAll(reason);
    const idle = this.idle;
    this.idle = [];
    for (const slot of idle) this.destroyer.destroy(slot, 'closed');
    if (destroying) this.#life.abort(new ClosedError(this.#what, { cause: reason }));
  }

  #notBorrowed(resource: T): InvalidOptionError {
    return new InvalidOptionError(
      'resource',
      `a resource borrowed from ${this.#what} and not yet released`,
      resource,
    );
  }
}
