import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { diagnosticsChannels, type PoolAcquireContext } from '../core/diagnostics.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import { signalOption } from '../core/internal/signalOption.js';
import { Tracer } from '../core/internal/tracing.js';
import { functionOption, integerOption, optionsObject } from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type {
  AcquireOptions,
  ConnectionPoolOptions,
  PoolFactory,
  PoolStats,
  ResizeOptions,
} from './ConnectionPoolOptions.js';
import { isPlainAcquire } from './isPlainAcquire.js';
import { captureStack } from './LeakDetector.js';
import { Lender } from './Lender.js';
import { PoolEvents, type PoolHost } from './PoolEvents.js';
import { DESTROYED, OPEN } from './PoolState.js';
import { poolStats } from './poolStats.js';
import { resolveFactory, resolveOptions } from './resolveOptions.js';

const ACQUIRE = new Tracer<PoolAcquireContext>(diagnosticsChannels.poolAcquire);
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
  readonly #lender: Lender<T>;
  readonly #what: string;
  /** Whether acquires record their stack, for leak reports. */
  readonly #tracksLeaks: boolean;
  readonly #degradedAfterTimeouts: number;
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
    const f = resolveFactory(factory);
    const o = resolveOptions(options);
    this.#tracksLeaks = o.leakDetectionMs !== 0;
    this.#degradedAfterTimeouts = o.degradedAfterTimeouts;
    this.#lender = new Lender(poolName, this.#what, f, o, new PoolEvents(host, this.#what));
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#lender.state !== OPEN;
  }

  /** Current `max` (changed by {@link ConnectionPool.resize} and adaptive sizing). */
  get max(): number {
    return this.#lender.max;
  }

  /** Current `min`. */
  get min(): number {
    return this.#lender.min;
  }

  /**
   * Borrows a resource: an idle one (validated first, with `validateOnBorrow`), a new one while
   * below `max`, or the next one released, in FIFO order among waiters.
   *
   * @param options - a `signal` and a per-call `timeoutMs`.
   * @returns the resource; give it back with {@link ConnectionPool.release}.
   * @throws (as rejections) {@link TimeoutError} `ERR_LOADSTONE_TIMEOUT` past the timeout, or when
   * a `create` this acquire waited for ran past `createTimeoutMs`;
   * {@link CapacityExceededError} `ERR_LOADSTONE_CAPACITY` when `maxWaiters` acquires already wait;
   * {@link ClosedError} `ERR_LOADSTONE_CLOSED` once closing; `signal.reason` on abort; what
   * `create` threw, when making a resource for this acquire failed; {@link InvalidOptionError}
   * `ERR_LOADSTONE_INVALID_OPTION` for bad options.
   */
  acquire(options?: AcquireOptions): Promise<T> {
    if (ACQUIRE.active) return ACQUIRE.trace(() => this.#acquire(options), { pool: this.poolName });
    return this.#acquire(options);
  }

  #acquire(options: AcquireOptions | undefined): Promise<T> {
    const lender = this.#lender;
    if (lender.fast && (options === undefined || (lender.idle.length > 0 && isPlainAcquire(options)))) {
      // Fast path: an idle resource with nothing to check. No waiter can exist here, since
      // idle resources and waiters are always paired off.
      const slot = lender.lendIdle();
      if (slot !== undefined) return Promise.resolve(slot.resource);
    }
    return lender.acquireSlow(options, this.#tracksLeaks ? captureStack() : undefined);
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
    this.#lender.release(resource);
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
    this.#lender.discard(resource);
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
    const resource = this.#lender.fast
      ? await this.acquire(options)
      : await this.#lender.acquireSlow(options, this.#tracksLeaks ? captureStack() : undefined);
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
    const max = b.max === undefined ? this.#lender.max : integerOption('bounds.max', b.max, 1);
    const min = b.min === undefined ? this.#lender.min : integerOption('bounds.min', b.min, 0);
    if (min > max) {
      throw new InvalidOptionError(
        b.min === undefined ? 'bounds.max' : 'bounds.min',
        b.min === undefined ? `an integer >= min (${min})` : `an integer <= max (${max})`,
        b.min === undefined ? b.max : b.min,
      );
    }
    this.#lender.resize(min, max);
  }

  /**
   * Takes a snapshot of counters and percentiles.
   *
   * @returns a fresh plain object.
   */
  stats(): PoolStats {
    return poolStats(this.poolName, this.#lender);
  }

  /**
   * Reports `critical` once closed, `degraded` while acquires keep timing out
   * (`degradedAfterTimeouts` in a row with no waiting acquire served), otherwise `healthy`.
   *
   * @returns the verdict, with the figures behind it.
   */
  async check(): Promise<HealthCheckResult> {
    const lender = this.#lender;
    const consecutiveTimeouts = lender.waiters.consecutiveTimeouts;
    const details = {
      waiting: lender.waiters.count,
      borrowed: lender.inUse(),
      max: lender.max,
      consecutiveTimeouts,
    };
    if (lender.state !== OPEN) return { status: 'critical', message: `${this.#what} is closed`, details };
    if (consecutiveTimeouts >= this.#degradedAfterTimeouts) {
      return {
        status: 'degraded',
        message: `${consecutiveTimeouts} acquires in a row timed out on ${this.#what}`,
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
      signal = signalOption(options, 'ConnectionPool.close');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closePromise === undefined) {
      const lender = this.#lender;
      this.#closePromise = lender.state === DESTROYED ? lender.destroyer.settle() : lender.drain();
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
    return this.#lender.destroy(reason);
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
