import { EventEmitter } from 'node:events';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck, HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';
import { worstStatus } from '../core/HealthCheck.js';
import { abortReason, drainUnlessAborted } from '../core/internal/abort.js';
import { setOwnEntry } from '../core/internal/ownEntry.js';
import { signalOption } from '../core/internal/signalOption.js';
import {
  checkOptionKeys,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { JsonValue } from '../core/Json.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { ConnectionPool } from './ConnectionPool.js';
import type {
  AcquireOptions,
  ConnectionPoolEvents,
  ConnectionPoolManagerOptions,
  ConnectionPoolManagerStats,
  ConnectionPoolOptions,
  PoolFactory,
  PoolStats,
  ResizeOptions,
} from './ConnectionPoolOptions.js';

const MANAGER_OPTIONS = optionNames<ConnectionPoolManagerOptions>()(['name', 'closeTimeoutMs']);

/**
 * Named pools of connections (or any resource) under one owner: register each pool with its
 * factory and bounds, borrow with `use(name, fn)` (always releases) or `acquire`/`release`,
 * resize at run time, and `close()` them all, last registered first (so a pool registered
 * after the ones it depends on is drained before them).
 *
 * Events: `pool:resized` ({@link PoolResizedEvent}), `resource:created`, `resource:destroyed`,
 * `create:failed` and `lease:leaked` ({@link LeaseLeakedEvent}; with no listener, a
 * `LOADSTONE_WARN_POOL_LEAK` process warning instead). It is a {@link HealthCheck} (the worst
 * of its pools: `degraded` while a pool's acquires keep timing out, `critical` once closed) and
 * a {@link MetricsSource} of {@link ConnectionPoolManagerStats}.
 *
 * Each pool is written for speed on the plain path (an idle resource, no options): an acquire
 * allocates only its promise and reads no clock, and waiting acquires share one timer per pool.
 *
 * @example
 * {@includeCode ./ConnectionPoolManager.test.ts#connectionPoolManager}
 */
export class ConnectionPoolManager
  extends EventEmitter<ConnectionPoolEvents>
  implements Closeable, HealthCheck, MetricsSource<ConnectionPoolManagerStats>
{
  /** The health-check name, from the options. */
  readonly name: string;
  readonly #pools = new Map<string, ConnectionPool<unknown>>();
  #closing: Promise<void> | undefined;
  #closed = false;
  readonly #closeTimeoutMs: number;

  /**
   * @param options - the manager's name.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options?: ConnectionPoolManagerOptions) {
    super();
    const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
    checkOptionKeys(opts, MANAGER_OPTIONS, 'ConnectionPoolManager');
    this.name = nonEmptyStringOption('options.name', opts.name ?? 'pools');
    this.#closeTimeoutMs = integerOption(
      'options.closeTimeoutMs',
      opts.closeTimeoutMs ?? 30_000,
      0,
      MAX_TIMER_MS,
    );
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Names of the registered pools, in registration order. */
  get names(): string[] {
    return [...this.#pools.keys()];
  }

  /**
   * Adds a pool. It starts making `min` resources at once.
   *
   * @typeParam T - the resource type.
   * @param name - unique name of the pool.
   * @param factory - how to create, destroy and validate a resource.
   * @param options - bounds, timeouts, eviction, validation, leak detection, adaptive sizing.
   * @returns the pool, for the fastest path (`pool.acquire()` skips the lookup by name).
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option or a
   * taken name; {@link ClosedError} `ERR_LOADSTONE_CLOSED` once closing.
   */
  register<T>(name: string, factory: PoolFactory<T>, options?: ConnectionPoolOptions): ConnectionPool<T> {
    nonEmptyStringOption('name', name);
    if (this.#closed) throw new ClosedError(`ConnectionPoolManager "${this.name}"`);
    if (this.#pools.has(name)) throw new InvalidOptionError('name', 'a name not already registered', name);
    const pool = new ConnectionPool<T>(name, factory, options, this);
    this.#pools.set(name, pool as ConnectionPool<unknown>);
    return pool;
  }

  /**
   * Looks a pool up.
   *
   * @typeParam T - the resource type it was registered with (not checked).
   * @param name - a registered pool's name.
   * @returns the pool.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name.
   */
  pool<T>(name: string): ConnectionPool<T> {
    const pool = this.#pools.get(name);
    if (pool === undefined) throw new InvalidOptionError('name', 'the name of a registered pool', name);
    return pool as ConnectionPool<T>;
  }

  /**
   * Borrows a resource from pool `name` for the length of `fn` and gives it back however `fn`
   * ends: the preferred way to borrow.
   *
   * @typeParam T - the resource type.
   * @typeParam R - what `fn` resolves to.
   * @param name - a registered pool's name.
   * @param fn - the work; receives the resource.
   * @param options - a `signal` and a per-call `timeoutMs` for the acquire.
   * @returns what `fn` resolved to.
   * @throws (as rejections) what {@link ConnectionPool.acquire} throws, what `fn` threw, and
   * {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name.
   */
  use<T, R>(name: string, fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<R> {
    const pool = this.#pools.get(name) as ConnectionPool<T> | undefined;
    if (pool === undefined) return this.#unknown(name);
    return pool.use(fn, options);
  }

  /**
   * Borrows a resource from pool `name`; give it back with {@link ConnectionPoolManager.release}.
   *
   * @typeParam T - the resource type.
   * @param name - a registered pool's name.
   * @param options - a `signal` and a per-call `timeoutMs`.
   * @returns the resource.
   * @throws (as rejections) what {@link ConnectionPool.acquire} throws, and
   * {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name.
   */
  acquire<T>(name: string, options?: AcquireOptions): Promise<T> {
    const pool = this.#pools.get(name) as ConnectionPool<T> | undefined;
    if (pool === undefined) return this.#unknown(name);
    return pool.acquire(options);
  }

  /**
   * Gives a resource back to pool `name`.
   *
   * @typeParam T - the resource type.
   * @param name - the pool it was borrowed from.
   * @param resource - the resource.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name or a
   * resource not borrowed from that pool.
   */
  release<T>(name: string, resource: T): void {
    this.pool<T>(name).release(resource);
  }

  /**
   * Gives a broken resource back to pool `name`: it is destroyed, not reused.
   *
   * @typeParam T - the resource type.
   * @param name - the pool it was borrowed from.
   * @param resource - the resource.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name or a
   * resource not borrowed from that pool.
   */
  discard<T>(name: string, resource: T): void {
    this.pool<T>(name).discard(resource);
  }

  /**
   * Changes a pool's `min` and/or `max` at run time (see {@link ConnectionPool.resize}); emits
   * `pool:resized` when something changed.
   *
   * @param name - a registered pool's name.
   * @param bounds - the new bounds.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name or bad bounds.
   */
  resize(name: string, bounds: ResizeOptions): void {
    this.pool(name).resize(bounds);
  }

  /**
   * Snapshot of every pool.
   *
   * @returns a fresh plain object.
   */
  stats(): ConnectionPoolManagerStats;
  /**
   * Snapshot of one pool.
   *
   * @param name - a pool's name.
   * @returns a fresh plain object.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown name.
   */
  stats(name: string): PoolStats;
  stats(name?: string): ConnectionPoolManagerStats | PoolStats {
    if (name !== undefined) return this.pool(name).stats();
    const pools: Record<string, PoolStats> = {};
    for (const [key, pool] of this.#pools) setOwnEntry(pools, key, pool.stats());
    return { pools };
  }

  /**
   * The worst status among the pools (`healthy` with none).
   *
   * @param signal - aborted when the caller stops waiting.
   * @returns the verdict, with each pool's status in `details`.
   */
  async check(signal?: AbortSignal): Promise<HealthCheckResult> {
    if (signal?.aborted) throw abortReason(signal, `health check of ConnectionPoolManager "${this.name}"`);
    let status: HealthStatus = 'healthy';
    const details: Record<string, JsonValue> = {};
    const messages: string[] = [];
    for (const [key, pool] of this.#pools) {
      const result = await pool.check();
      status = worstStatus(status, result.status);
      setOwnEntry(details, key, result.status);
      if (result.message !== undefined) messages.push(result.message);
    }
    return messages.length === 0 ? { status, details } : { status, message: messages.join('; '), details };
  }

  /**
   * Closes every pool in reverse registration order, each fully drained (borrowed resources
   * released and destroyed) before the next starts; past `closeTimeoutMs` (or when
   * `options.signal` aborts) every pool is destroyed instead. Later `register`, `acquire` and
   * `use` fail with {@link ClosedError}. Idempotent.
   *
   * @param options - a `signal` to stop waiting and destroy instead.
   * @returns a promise that resolves once every pool is closed.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'ConnectionPoolManager.close');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closed = true;
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        for (const pool of [...this.#pools.values()].reverse()) await pool.close();
      })();
    }
    return drainUnlessAborted(
      this.#closing,
      signal,
      (reason) => this.destroy(reason),
      `close of ConnectionPoolManager "${this.name}"`,
      this.#closeTimeoutMs,
    );
  }

  /**
   * Destroys every pool (see {@link ConnectionPool.destroy}), last registered first. Idempotent.
   *
   * @param reason - kept as the `cause` of the errors raised for waiting acquires.
   * @returns a promise that resolves once idle resources are destroyed.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    for (const pool of [...this.#pools.values()].reverse()) await pool.destroy(reason);
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #unknown<R>(name: string): Promise<R> {
    if (this.#closed) return Promise.reject(new ClosedError(`ConnectionPoolManager "${this.name}"`));
    return Promise.reject(new InvalidOptionError('name', 'the name of a registered pool', name));
  }
}
