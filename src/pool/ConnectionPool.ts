import type { Clock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import {
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  optionsObject,
} from '../core/internal/validate.js';
import { LatencyRecorder, type LatencySnapshot } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type {
  AcquireOptions,
  ConnectionPoolEvents,
  ConnectionPoolOptions,
  PoolFactory,
  PoolResizeReason,
  PoolStats,
  ResizeOptions,
  ResourceDestroyReason,
} from './ConnectionPoolOptions.js';
import { type ResolvedConnectionPoolOptions, resolveFactory, resolveOptions } from './resolveOptions.js';
import { WaiterQueue } from './WaiterQueue.js';

/** Hold time is recorded for one borrow in this many (two clock reads and a histogram record each). */
const HOLD_SAMPLE_EVERY = 16;

// Resource states.
const IDLE = 0;
const BORROWED = 1;
/** Being validated, either for a borrower or by the idle sweep. */
const VALIDATING = 2;
const DEAD = 3;

// Waiter states.
const QUEUED = 0;
/** Out of the queue, holding a resource that is being validated for it. */
const CLAIMED = 1;
const DONE = 2;

// Pool states.
const OPEN = 0;
const CLOSING = 1;
const DESTROYED = 2;

/** One resource and what the pool knows about it. */
type Slot<T> = {
  readonly resource: T;
  state: number;
  readonly createdAt: number;
  /** Coarse time (see #coarseNow) it last became idle. */
  idleSince: number;
  lastValidatedAt: number;
  /** Clock time it was handed out, or -1 when neither sampled nor leak-tracked. */
  acquiredAt: number;
  /** The acquirer's stack (leak detection only). */
  stack: string | undefined;
  leakReported: boolean;
};

/** An acquire that could not be served at once. */
type Waiter<T> = {
  state: number;
  readonly resolve: (resource: T) => void;
  readonly reject: (error: unknown) => void;
  readonly enqueuedAt: number;
  /** Clock time after which it times out (shared deadline queue), or +∞. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Its own timer, for a per-call timeout that differs from the pool's. */
  timer: NodeJS.Timeout | undefined;
  readonly timeoutMs: number;
  readonly stack: string | undefined;
};

/**
 * Where a pool reports events: the manager that owns it.
 * @internal
 */
export type PoolHost = {
  emit<K extends keyof ConnectionPoolEvents>(event: K, ...args: ConnectionPoolEvents[K]): boolean;
  listenerCount(event: keyof ConnectionPoolEvents): number;
};

/**
 * One named pool of resources, made by {@link ConnectionPoolManager.register}. Borrow with
 * `use(fn)` (always releases) or `acquire()` + `release(resource)`.
 *
 * Resources are handed out most recently used first, so the rest idle out. Acquires that must
 * wait are served in FIFO order; they cost nothing extra until they wait: no promise but the
 * returned one, no timer (waiters share one timer per pool for `acquireTimeoutMs`).
 *
 * @typeParam T - the resource type.
 *
 * @example
 * {@includeCode ./ConnectionPoolManager.test.ts#connectionPool}
 */
export class ConnectionPool<T> implements Closeable, HealthCheck, MetricsSource<PoolStats> {
  /** `pool:<name>`, the health-check name. */
  readonly name: string;
  /** The name the pool was registered under. */
  readonly poolName: string;
  readonly #factory: PoolFactory<T>;
  readonly #options: ResolvedConnectionPoolOptions;
  readonly #clock: Clock;
  readonly #host: PoolHost;
  readonly #what: string;
  readonly #slots = new Map<T, Slot<T>>();
  /** Idle resources, most recently released last (handed out first). */
  #idle: Slot<T>[] = [];
  readonly #waiters = new WaiterQueue<Waiter<T>>();
  /** Waiters on the pool's own timeout, in enqueue order, hence in deadline order. */
  readonly #timed = new WaiterQueue<Waiter<T>>();
  #deadlineTimer: NodeJS.Timeout | undefined;
  #armedFor: Waiter<T> | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #adaptiveTimer: NodeJS.Timeout | undefined;
  readonly #life = new AbortController();
  #state = OPEN;
  #min: number;
  #max: number;
  #borrowed = 0;
  #validating = 0;
  #creating = 0;
  #waiting = 0;
  /** Whether `acquire` may take the fast path (open, no borrow validation, no leak detection). */
  #fast: boolean;
  /** Clock time as of the last sweep or slow path: stamps idle resources without a clock read. */
  #coarseNow: number;
  #untilHoldSample = 1;
  // Counters.
  #acquired = 0;
  #immediate = 0;
  #timedOut = 0;
  #aborted = 0;
  #created = 0;
  #destroyed = 0;
  #createFailures = 0;
  #validationFailures = 0;
  #leaks = 0;
  #adaptiveResizes = 0;
  #consecutiveTimeouts = 0;
  readonly #waitLatency = new LatencyRecorder();
  readonly #holdLatency = new LatencyRecorder();
  // Adaptive sizing: what the current interval saw.
  #peakBorrowed = 0;
  #sawWait = false;
  #hotRun = 0;
  #coldRun = 0;
  // Shutdown.
  readonly #pendingDestroys = new Set<Promise<void>>();
  #drained: (() => void) | undefined;
  #closePromise: Promise<void> | undefined;

  /**
   * Pools are made by {@link ConnectionPoolManager.register}.
   * @internal
   */
  constructor(
    poolName: string,
    factory: PoolFactory<T>,
    options: ConnectionPoolOptions | undefined,
    host: PoolHost,
  ) {
    this.poolName = poolName;
    this.name = `pool:${poolName}`;
    this.#what = `pool "${poolName}"`;
    this.#factory = resolveFactory(factory);
    const o = resolveOptions(options);
    this.#options = o;
    this.#clock = o.clock;
    this.#host = host;
    this.#min = o.min;
    this.#max = o.max;
    this.#fast = this.#computeFast();
    this.#coarseNow = this.#clock.now();
    this.#scheduleMaintenance();
    if (o.adaptive !== undefined) {
      this.#adaptiveTimer = setInterval(this.#onAdaptiveTick, o.adaptive.intervalMs);
      this.#adaptiveTimer.unref();
    }
    this.#fill();
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#state !== OPEN;
  }

  /** Current `max` (changed by {@link ConnectionPool.resize} and adaptive sizing). */
  get max(): number {
    return this.#max;
  }

  /** Current `min`. */
  get min(): number {
    return this.#min;
  }

  /**
   * Borrows a resource: an idle one (validated first, with `validateOnBorrow`), a new one while
   * below `max`, or the next one released, in FIFO order among waiters.
   *
   * @param options - a `signal` and a per-call `timeoutMs`.
   * @returns the resource; give it back with {@link ConnectionPool.release}.
   * @throws (as rejections) {@link TimeoutError} `ERR_LOADSTONE_TIMEOUT` past the timeout;
   * {@link CapacityExceededError} `ERR_LOADSTONE_CAPACITY` when `maxWaiters` acquires already wait;
   * {@link ClosedError} `ERR_LOADSTONE_CLOSED` once closing; `signal.reason` on abort; what
   * `create` threw, when making a resource for this acquire failed; {@link InvalidOptionError}
   * `ERR_LOADSTONE_INVALID_OPTION` for bad options.
   */
  acquire(options?: AcquireOptions): Promise<T> {
    if (this.#fast && (options === undefined || (this.#idle.length > 0 && isPlainAcquire(options)))) {
      // Fast path: an idle resource with nothing to check. No waiter can exist here, since
      // idle resources and waiters are always paired off.
      const slot = this.#idle.pop();
      if (slot !== undefined) {
        slot.state = BORROWED;
        if (++this.#borrowed > this.#peakBorrowed) this.#peakBorrowed = this.#borrowed;
        this.#acquired++;
        this.#immediate++;
        if (--this.#untilHoldSample === 0) {
          this.#untilHoldSample = HOLD_SAMPLE_EVERY;
          slot.acquiredAt = this.#clock.now();
        }
        return Promise.resolve(slot.resource);
      }
    }
    return this.#acquireSlow(options, this.#options.leakDetectionMs === 0 ? undefined : captureStack());
  }

  /**
   * Gives a borrowed resource back: to the oldest waiter, to the idle stack, or to `destroy`
   * when the pool shrank below its size, the resource outlived `maxLifetimeMs` or the pool is
   * closing.
   *
   * @param resource - a resource this pool handed out and that was not released since.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when it is not borrowed
   * from this pool (never borrowed, or released twice).
   */
  release(resource: T): void {
    const slot = this.#slots.get(resource);
    if (slot === undefined || slot.state !== BORROWED) throw this.#notBorrowed(resource);
    this.#borrowed--;
    if (slot.acquiredAt >= 0) {
      this.#holdLatency.record(Math.max(0, this.#clock.now() - slot.acquiredAt));
      slot.acquiredAt = -1;
      slot.stack = undefined;
    }
    this.#putBack(slot);
  }

  /**
   * Gives a borrowed resource back as broken: it is destroyed (not reused) and replaced for
   * waiters.
   *
   * @param resource - a resource this pool handed out and that was not released since.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when it is not borrowed
   * from this pool.
   */
  discard(resource: T): void {
    const slot = this.#slots.get(resource);
    if (slot === undefined || slot.state !== BORROWED) throw this.#notBorrowed(resource);
    this.#borrowed--;
    this.#validationFailures++;
    this.#destroySlot(slot, 'invalid');
    this.#dispatch();
    this.#checkDrained();
  }

  /**
   * Borrows a resource for the length of `fn` and gives it back however `fn` ends.
   *
   * @typeParam R - what `fn` resolves to.
   * @param fn - the work; receives the resource.
   * @param options - a `signal` and a per-call `timeoutMs` for the acquire.
   * @returns what `fn` resolved to.
   * @throws (as rejections) what {@link ConnectionPool.acquire} throws, and what `fn` threw.
   */
  async use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R> {
    if (typeof fn !== 'function') functionOption('fn', fn);
    const resource = this.#fast
      ? await this.acquire(options)
      : await this.#acquireSlow(options, this.#options.leakDetectionMs === 0 ? undefined : captureStack());
    try {
      return await fn(resource);
    } finally {
      this.release(resource);
    }
  }

  /**
   * Changes `min` and/or `max` at run time. Growing serves waiters at once; shrinking destroys
   * surplus idle resources now and surplus borrowed ones as they are released.
   *
   * @param bounds - the new `min` and/or `max`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad bound or
   * `min > max`.
   */
  resize(bounds: ResizeOptions): void {
    const b = optionsObject('bounds', bounds) as ResizeOptions;
    const max = b.max === undefined ? this.#max : integerOption('bounds.max', b.max, 1);
    const min = b.min === undefined ? this.#min : integerOption('bounds.min', b.min, 0);
    if (min > max) {
      throw new InvalidOptionError(
        b.min === undefined ? 'bounds.max' : 'bounds.min',
        b.min === undefined ? `an integer >= min (${min})` : `an integer <= max (${max})`,
        b.min === undefined ? b.max : b.min,
      );
    }
    if (this.#state !== OPEN) return;
    const changed = max !== this.#max || min !== this.#min;
    this.#min = min;
    this.#setMax(max, 'manual', changed);
  }

  /**
   * Takes a snapshot of counters and percentiles.
   *
   * @returns a fresh plain object.
   */
  stats(): PoolStats {
    return {
      name: this.poolName,
      min: this.#min,
      max: this.#max,
      size: this.#slots.size,
      idle: this.#idle.length,
      borrowed: this.#borrowed + this.#validating,
      creating: this.#creating,
      waiting: this.#waiting,
      acquired: this.#acquired,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      created: this.#created,
      destroyed: this.#destroyed,
      createFailures: this.#createFailures,
      validationFailures: this.#validationFailures,
      leaks: this.#leaks,
      adaptiveResizes: this.#adaptiveResizes,
      acquireWait: withZeros(this.#waitLatency, this.#immediate),
      holdTime: this.#holdLatency.snapshot(),
    };
  }

  /**
   * Reports `critical` once closed, `degraded` while acquires keep timing out
   * (`degradedAfterTimeouts` in a row with no waiting acquire served), otherwise `healthy`.
   *
   * @returns the verdict, with the figures behind it.
   */
  async check(): Promise<HealthCheckResult> {
    const details = {
      waiting: this.#waiting,
      borrowed: this.#borrowed + this.#validating,
      max: this.#max,
      consecutiveTimeouts: this.#consecutiveTimeouts,
    };
    if (this.#state !== OPEN) return { status: 'critical', message: `${this.#what} is closed`, details };
    if (this.#consecutiveTimeouts >= this.#options.degradedAfterTimeouts) {
      return {
        status: 'degraded',
        message: `${this.#consecutiveTimeouts} acquires in a row timed out on ${this.#what}`,
        details,
      };
    }
    return { status: 'healthy', details };
  }

  /**
   * Stops intake (waiting and later acquires reject with {@link ClosedError}), destroys idle
   * resources, waits for borrowed ones to be released and destroys them too.
   *
   * @param options - a `signal` to stop waiting and destroy instead.
   * @returns a promise that resolves once every resource is destroyed.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = optionsObject('options', options).signal;
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closePromise === undefined && this.#state === DESTROYED) {
      this.#closePromise = this.#settleDestroys();
    } else if (this.#closePromise === undefined) {
      this.#shutDown(undefined, false);
      this.#closePromise = new Promise<void>((resolve) => {
        this.#drained = resolve;
        this.#checkDrained();
      }).then(() => this.#settleDestroys());
    }
    if (signal === undefined) return this.#closePromise;
    if (signal.aborted) {
      const reason = abortReason(signal, `close of ${this.#what}`);
      return this.destroy(reason).then(() => Promise.reject(reason));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const reason = abortReason(signal, `close of ${this.#what}`);
        void this.destroy(reason).then(() => reject(reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      (this.#closePromise as Promise<void>).then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /**
   * Stops intake and rejects waiting acquires with {@link ClosedError} (`cause`: `reason`),
   * aborts resources being made, and destroys idle resources; borrowed ones are destroyed when
   * released. Idempotent.
   *
   * @param reason - kept as the `cause` of the errors.
   * @returns a promise that resolves once idle resources are destroyed.
   */
  destroy(reason?: unknown): Promise<void> {
    if (this.#state !== DESTROYED) {
      this.#shutDown(reason, true);
      this.#life.abort(new ClosedError(this.#what, { cause: reason }));
    }
    // A pending close() completes now: what is still borrowed is no longer waited for.
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
    return this.#settleDestroys();
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---------------------------------------------------------------------------------------------

  #computeFast(): boolean {
    return (
      this.#state === OPEN &&
      this.#options.leakDetectionMs === 0 &&
      !(this.#options.validateOnBorrow && this.#factory.validate !== undefined)
    );
  }

  #acquireSlow(options: AcquireOptions | undefined, stack: string | undefined): Promise<T> {
    let signal: AbortSignal | undefined;
    let timeoutMs = this.#options.acquireTimeoutMs;
    try {
      const o = optionsObject('options', options) as AcquireOptions;
      signal = o.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
      }
      if (o.timeoutMs !== undefined)
        timeoutMs = numberOption('options.timeoutMs', o.timeoutMs, 0, MAX_TIMER_MS);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#state !== OPEN) return Promise.reject(new ClosedError(this.#what));
    if (signal?.aborted) return Promise.reject(abortReason(signal, `acquire from ${this.#what}`));
    const maxWaiters = this.#options.maxWaiters;
    if (maxWaiters !== 0 && this.#waiting >= maxWaiters && this.#idle.length === 0) {
      return Promise.reject(new CapacityExceededError(`wait queue of ${this.#what}`, maxWaiters));
    }
    const now = this.#clock.now();
    this.#coarseNow = now;
    let resolve!: (resource: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const shared = timeoutMs !== 0 && timeoutMs === this.#options.acquireTimeoutMs;
    const waiter: Waiter<T> = {
      state: QUEUED,
      resolve,
      reject,
      enqueuedAt: now,
      deadline: shared ? now + timeoutMs : Number.POSITIVE_INFINITY,
      signal,
      onAbort: undefined,
      timer: undefined,
      timeoutMs,
      stack,
    };
    if (timeoutMs !== 0) {
      if (shared) {
        this.#timed.push(waiter);
        if (this.#deadlineTimer === undefined) this.#armDeadline(waiter, timeoutMs);
      } else {
        waiter.timer = setTimeout(() => this.#timeOut(waiter), timeoutMs);
      }
    }
    // It really has to wait (at least until a resource is made).
    if (this.#idle.length === 0) this.#sawWait = true;
    if (signal !== undefined) {
      waiter.onAbort = () => this.#abortWaiter(waiter);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    this.#waiters.push(waiter);
    this.#waiting++;
    this.#dispatch();
    return promise;
  }

  /** Pairs idle resources with waiters, then starts making resources for those still waiting. */
  #dispatch(): void {
    while (this.#waiting > 0 && this.#idle.length > 0) {
      const waiter = this.#waiters.shift(DONE) as Waiter<T>;
      this.#waiting--;
      const slot = this.#idle.pop() as Slot<T>;
      if (this.#options.validateOnBorrow && this.#factory.validate !== undefined) {
        this.#validateFor(slot, waiter);
      } else {
        this.#grant(slot, waiter);
      }
    }
    if (this.#state !== OPEN) return;
    while (this.#waiting > this.#creating && this.#slots.size + this.#creating < this.#max) this.#create();
  }

  /** Hands `slot` to `waiter` (which is out of the queue). */
  #grant(slot: Slot<T>, waiter: Waiter<T>): void {
    this.#finishWaiter(waiter);
    slot.state = BORROWED;
    if (++this.#borrowed > this.#peakBorrowed) this.#peakBorrowed = this.#borrowed;
    this.#acquired++;
    const now = this.#clock.now();
    this.#coarseNow = now;
    this.#waitLatency.record(Math.max(0, now - waiter.enqueuedAt));
    if (waiter.timeoutMs !== 0) this.#consecutiveTimeouts = 0;
    if (--this.#untilHoldSample === 0 || waiter.stack !== undefined) {
      if (this.#untilHoldSample <= 0) this.#untilHoldSample = HOLD_SAMPLE_EVERY;
      slot.acquiredAt = now;
      slot.stack = waiter.stack;
      slot.leakReported = false;
    }
    waiter.resolve(slot.resource);
  }

  #finishWaiter(waiter: Waiter<T>): void {
    waiter.state = DONE;
    // Drop finished waiters from the front of the deadline queue now, not when the timer next
    // fires: under a steady load that would keep a timeout's worth of them alive.
    if (waiter.deadline !== Number.POSITIVE_INFINITY) this.#timed.peek(DONE);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  /** Validates `slot` for `waiter`; on failure destroys it and puts the waiter back in front. */
  #validateFor(slot: Slot<T>, waiter: Waiter<T>): void {
    waiter.state = CLAIMED;
    slot.state = VALIDATING;
    this.#validating++;
    this.#runValidate(slot).then((valid) => {
      this.#validating--;
      const overMax = this.#slots.size + this.#creating > this.#max;
      if (valid && !overMax) {
        slot.lastValidatedAt = this.#coarseNow;
        if (waiter.state === CLAIMED && this.#state === OPEN) {
          this.#grant(slot, waiter);
          return;
        }
        // The waiter timed out or aborted, or the pool closed, meanwhile.
        this.#putBack(slot);
        return;
      }
      if (valid) {
        // The pool shrank during validation: retire this one; the waiter waits for the next.
        this.#destroySlot(slot, 'shrink');
      } else {
        this.#validationFailures++;
        this.#destroySlot(slot, 'invalid');
      }
      if (waiter.state === CLAIMED) {
        waiter.state = QUEUED;
        this.#waiters.unshift(waiter);
        this.#waiting++;
      }
      this.#dispatch();
      this.#checkDrained();
    });
  }

  /** Resolves to whether `slot` is valid; a throw or rejection counts as invalid. */
  #runValidate(slot: Slot<T>): Promise<boolean> {
    const validate = this.#factory.validate as NonNullable<PoolFactory<T>['validate']>;
    try {
      return Promise.resolve(validate(slot.resource, this.#life.signal)).then(
        (v) => v === true,
        () => false,
      );
    } catch {
      return Promise.resolve(false);
    }
  }

  /** A resource came back (released, validated idle, or made): reuse, hand over or retire it. */
  #putBack(slot: Slot<T>): void {
    if (this.#state !== OPEN) {
      this.#destroySlot(slot, 'closed');
      this.#checkDrained();
      return;
    }
    if (this.#slots.size + this.#creating > this.#max) {
      this.#destroySlot(slot, 'shrink');
      return;
    }
    const lifetime = this.#options.maxLifetimeMs;
    if (lifetime !== 0 && this.#coarseNow - slot.createdAt >= lifetime) {
      this.#destroySlot(slot, 'lifetime');
      this.#dispatch();
      return;
    }
    if (this.#waiting > 0) {
      slot.state = IDLE;
      this.#idle.push(slot);
      this.#dispatch();
      return;
    }
    slot.state = IDLE;
    slot.idleSince = this.#coarseNow;
    this.#idle.push(slot);
  }

  #create(): void {
    this.#creating++;
    const signal = this.#life.signal;
    const policy = this.#options.createPolicy;
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
    this.#creating--;
    if (this.#slots.has(resource)) {
      this.#onCreateFailed(
        new InvalidOptionError('create()', 'a resource not already in the pool', resource as unknown),
        true,
      );
      return;
    }
    const now = this.#clock.now();
    this.#coarseNow = now;
    const slot: Slot<T> = {
      resource,
      state: IDLE,
      createdAt: now,
      idleSince: now,
      lastValidatedAt: now,
      acquiredAt: -1,
      stack: undefined,
      leakReported: false,
    };
    this.#slots.set(resource, slot);
    this.#created++;
    this.#emit('resource:created', { pool: this.poolName, size: this.#slots.size });
    if (this.#state !== OPEN) {
      this.#destroySlot(slot, 'closed');
      this.#checkDrained();
      return;
    }
    if (this.#slots.size + this.#creating > this.#max) {
      // The pool shrank while this was being made.
      this.#destroySlot(slot, 'shrink');
      this.#dispatch();
      return;
    }
    // A fresh resource goes to a waiter without validation.
    const waiter = this.#waiting > 0 ? this.#waiters.shift(DONE) : undefined;
    if (waiter !== undefined) {
      this.#waiting--;
      this.#grant(slot, waiter);
      this.#dispatch();
      return;
    }
    this.#putBack(slot);
  };

  readonly #onCreateFailed = (error: unknown, duplicate = false): void => {
    if (!duplicate) this.#creating--;
    this.#createFailures++;
    let rejectedWaiter = false;
    if (this.#state === OPEN && this.#waiting > 0) {
      // generic-pool retries a failing create in a loop while acquires wait forever; here the
      // oldest waiter gets the error instead (one failure, one rejection: no spin).
      const waiter = this.#waiters.shift(DONE);
      if (waiter !== undefined) {
        this.#waiting--;
        this.#finishWaiter(waiter);
        waiter.reject(error);
        rejectedWaiter = true;
      }
    }
    this.#emit('create:failed', { pool: this.poolName, error, rejectedWaiter });
    this.#dispatch();
    this.#checkDrained();
  };

  #destroySlot(slot: Slot<T>, reason: ResourceDestroyReason): void {
    slot.state = DEAD;
    this.#slots.delete(slot.resource);
    this.#destroyed++;
    const destroy = this.#factory.destroy;
    if (destroy === undefined) {
      this.#emit('resource:destroyed', { pool: this.poolName, reason });
      return;
    }
    let done: Promise<void>;
    try {
      done = Promise.resolve(destroy(slot.resource));
    } catch (error) {
      done = Promise.reject(error);
    }
    const tracked = done.then(
      () => this.#emit('resource:destroyed', { pool: this.poolName, reason }),
      (error: unknown) => this.#emit('resource:destroyed', { pool: this.poolName, reason, error }),
    );
    const entry = tracked.then(() => {
      this.#pendingDestroys.delete(entry);
    });
    this.#pendingDestroys.add(entry);
  }

  async #settleDestroys(): Promise<void> {
    while (this.#pendingDestroys.size > 0) await Promise.all([...this.#pendingDestroys]);
  }

  #timeOut(waiter: Waiter<T>): void {
    if (waiter.state === DONE) return;
    const wasQueued = waiter.state === QUEUED;
    this.#finishWaiter(waiter);
    if (wasQueued) this.#waiting--;
    this.#timedOut++;
    this.#consecutiveTimeouts++;
    waiter.reject(new TimeoutError(`acquire from ${this.#what}`, waiter.timeoutMs));
  }

  #abortWaiter(waiter: Waiter<T>): void {
    if (waiter.state === DONE) return;
    const signal = waiter.signal as AbortSignal;
    const wasQueued = waiter.state === QUEUED;
    this.#finishWaiter(waiter);
    if (wasQueued) this.#waiting--;
    this.#aborted++;
    waiter.reject(abortReason(signal, `acquire from ${this.#what}`));
  }

  #armDeadline(waiter: Waiter<T>, delayMs: number): void {
    this.#armedFor = waiter;
    this.#deadlineTimer = setTimeout(this.#onDeadline, Math.max(1, Math.ceil(delayMs)));
  }

  /**
   * The shared deadline timer fired: the waiter it was armed for has waited `acquireTimeoutMs`.
   * It and every waiter queued before it time out (deadlines are in enqueue order), plus any
   * later ones past their deadline by the clock; the timer is re-armed for the next.
   * Expiring by queue position rather than by clock alone means fake timers that do not move
   * the clock still time waiters out.
   */
  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined;
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
        this.#timeOut(waiter);
        continue;
      }
      this.#armDeadline(waiter, Math.min(waiter.deadline - now, this.#options.acquireTimeoutMs));
      return;
    }
  };

  #scheduleMaintenance(): void {
    this.#maintenanceTimer = setInterval(this.#onMaintenance, this.#options.maintenanceIntervalMs);
    this.#maintenanceTimer.unref();
  }

  /** The periodic sweep: eviction, idle validation, leak checks, refill to `min`. */
  readonly #onMaintenance = (): void => {
    if (this.#state !== OPEN) return;
    const now = this.#clock.now();
    this.#coarseNow = now;
    const o = this.#options;
    // Idle stamps are coarse (up to one interval early), so eviction waits one interval more:
    // never early, at most two intervals late.
    const idleLimit =
      o.idleTimeoutMs === 0 ? Number.POSITIVE_INFINITY : o.idleTimeoutMs + o.maintenanceIntervalMs;
    let evictable = this.#slots.size + this.#creating - this.#min;
    const keep: Slot<T>[] = [];
    const toValidate: Slot<T>[] = [];
    // Oldest releases first, so the least recently used are evicted.
    for (const slot of this.#idle) {
      if (o.maxLifetimeMs !== 0 && now - slot.createdAt >= o.maxLifetimeMs) {
        this.#destroySlot(slot, 'lifetime');
        evictable--;
      } else if (evictable > 0 && now - slot.idleSince >= idleLimit) {
        this.#destroySlot(slot, 'idle');
        evictable--;
      } else if (
        o.idleValidationIntervalMs !== 0 &&
        this.#factory.validate !== undefined &&
        now - slot.lastValidatedAt >= o.idleValidationIntervalMs
      ) {
        toValidate.push(slot);
      } else {
        keep.push(slot);
      }
    }
    this.#idle = keep;
    for (const slot of toValidate) this.#validateIdle(slot);
    if (o.leakDetectionMs !== 0) this.#detectLeaks(now);
    this.#fill();
  };

  #validateIdle(slot: Slot<T>): void {
    slot.state = VALIDATING;
    this.#validating++;
    this.#runValidate(slot).then((valid) => {
      this.#validating--;
      if (valid) {
        slot.lastValidatedAt = this.#clock.now();
        this.#putBack(slot);
        return;
      }
      this.#validationFailures++;
      this.#destroySlot(slot, 'invalid');
      this.#fill();
      this.#dispatch();
      this.#checkDrained();
    });
  }

  #detectLeaks(now: number): void {
    const limit = this.#options.leakDetectionMs;
    for (const slot of this.#slots.values()) {
      if (slot.state !== BORROWED || slot.leakReported || slot.acquiredAt < 0) continue;
      const heldMs = now - slot.acquiredAt;
      if (heldMs < limit) continue;
      slot.leakReported = true;
      this.#leaks++;
      const stack = slot.stack ?? '';
      if (this.#host.listenerCount('lease:leaked') > 0) {
        this.#emit('lease:leaked', { pool: this.poolName, heldMs, leakDetectionMs: limit, stack });
      } else {
        process.emitWarning(
          `A resource of ${this.#what} has been borrowed for ${Math.round(heldMs)} ms ` +
            `(leakDetectionMs ${limit}); acquired at:\n${stack}`,
          { code: 'LOADSTONE_WARN_POOL_LEAK' },
        );
      }
    }
  }

  /** Makes resources up to `min` (those being made count). */
  #fill(): void {
    if (this.#state !== OPEN) return;
    while (this.#slots.size + this.#creating < this.#min) this.#create();
  }

  readonly #onAdaptiveTick = (): void => {
    const a = this.#options.adaptive;
    if (a === undefined || this.#state !== OPEN) return;
    const utilisation = this.#peakBorrowed / this.#max;
    const hot = this.#sawWait && utilisation >= a.highWatermark;
    const cold = !this.#sawWait && utilisation <= a.lowWatermark;
    this.#sawWait = this.#waiting > 0;
    this.#peakBorrowed = this.#borrowed + this.#validating;
    if (hot) {
      this.#coldRun = 0;
      if (++this.#hotRun >= a.growAfter && this.#max < a.ceiling) {
        this.#hotRun = 0;
        this.#adaptiveResizes++;
        this.#setMax(Math.min(a.ceiling, this.#max + a.step), 'grow', true);
      }
    } else if (cold) {
      this.#hotRun = 0;
      if (++this.#coldRun >= a.shrinkAfter && this.#max > a.floor) {
        this.#coldRun = 0;
        this.#adaptiveResizes++;
        this.#setMax(Math.max(a.floor, this.#min, this.#max - a.step), 'shrink', true);
      }
    } else {
      this.#hotRun = 0;
      this.#coldRun = 0;
    }
  };

  #setMax(max: number, reason: PoolResizeReason, announce: boolean): void {
    const fromMax = this.#max;
    this.#max = max;
    // Surplus idle resources go now, least recently used first; borrowed ones on release.
    const surplus = this.#slots.size + this.#creating - max;
    if (surplus > 0 && this.#idle.length > 0) {
      const cut = Math.min(surplus, this.#idle.length);
      for (const slot of this.#idle.splice(0, cut)) this.#destroySlot(slot, 'shrink');
    }
    if (announce) {
      this.#emit('pool:resized', { pool: this.poolName, fromMax, toMax: max, min: this.#min, reason });
    }
    this.#dispatch();
    this.#fill();
  }

  #shutDown(reason: unknown, destroying: boolean): void {
    this.#state = destroying ? DESTROYED : CLOSING;
    this.#fast = false;
    clearInterval(this.#maintenanceTimer);
    clearInterval(this.#adaptiveTimer);
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    for (const waiter of this.#waiters.drain()) {
      if (waiter.state !== QUEUED) continue;
      this.#finishWaiter(waiter);
      waiter.reject(new ClosedError(this.#what, reason === undefined ? undefined : { cause: reason }));
    }
    this.#waiting = 0;
    this.#timed.drain();
    const idle = this.#idle;
    this.#idle = [];
    for (const slot of idle) this.#destroySlot(slot, 'closed');
  }

  /** Completes a pending close once nothing is borrowed, validated or being made. */
  #checkDrained(): void {
    if (this.#drained === undefined) return;
    if (this.#borrowed + this.#validating + this.#creating > 0) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #notBorrowed(resource: T): InvalidOptionError {
    return new InvalidOptionError(
      'resource',
      `a resource borrowed from ${this.#what} and not yet released`,
      resource,
    );
  }

  #emit<K extends keyof ConnectionPoolEvents>(event: K, ...args: ConnectionPoolEvents[K]): void {
    if (this.#host.listenerCount(event) === 0) return;
    try {
      this.#host.emit(event, ...args);
    } catch (error) {
      // A listener's bug must not break the pool's bookkeeping or fail an unrelated acquire.
      process.emitWarning(`A '${event}' listener of ${this.#what} threw: ${String(error)}`, {
        code: 'LOADSTONE_WARN_POOL_LISTENER_THREW',
        detail: (error as Error)?.stack,
      });
    }
  }
}

/**
 * Whether per-call options need nothing of the slow path when a resource is idle: no aborted
 * signal and a valid (hence unused) `timeoutMs`. Anything else goes the slow path, which
 * validates and rejects.
 */
function isPlainAcquire(options: AcquireOptions): boolean {
  if (typeof options !== 'object' || options === null) return false;
  const { signal, timeoutMs } = options;
  return (
    (signal === undefined || (signal instanceof AbortSignal && !signal.aborted)) &&
    (timeoutMs === undefined ||
      (typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS))
  );
}

/** The acquirer's stack, without this frame. */
function captureStack(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureStack);
  return (holder.stack ?? '').replace(/^Error\n/, '');
}

/**
 * Snapshot of `recorder` merged with `zeros` recordings of 0 ms: immediate acquires are counted
 * rather than recorded (a histogram record costs ~185 ns, as much as the rest of an acquire).
 */
function withZeros(recorder: LatencyRecorder, zeros: number): LatencySnapshot {
  const snap = recorder.snapshot();
  if (zeros === 0) return snap;
  const n = snap.count;
  const count = n + zeros;
  // Nearest rank over the merged set: the first `zeros` ranks are 0.
  const at = (p: number): number => {
    const rank = Math.max(1, Math.ceil((p / 100) * count));
    if (rank <= zeros) return 0;
    return recorder.percentile(Math.min(100, ((rank - zeros) / n) * 100));
  };
  return {
    count,
    minMs: 0,
    meanMs: (snap.meanMs * n) / count,
    maxMs: snap.maxMs,
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
  };
}
