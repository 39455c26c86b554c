import { EventEmitter } from 'node:events';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { NoTargetError } from '../core/errors/NoTargetError.js';
import type { Closeable, CloseOptions, MetricsSource, PickContext, Picker } from '../core/index.js';
import { ActiveHealthChecker } from './ActiveHealthChecker.js';
import type { Backend, BackendCandidate, BackendInput, BackendState } from './Backend.js';
import type { BackendLease } from './BackendLease.js';
import { BackendRegistry } from './BackendRegistry.js';
import { BackendSelector } from './BackendSelector.js';
import { type LoadBalancerEvents, membershipEvent } from './events.js';
import { FailureAccrual } from './FailureAccrual.js';
import { LeaseTracker } from './LeaseTracker.js';
import type { LoadBalancerOptions } from './LoadBalancerOptions.js';
import type { LoadBalancerStats } from './LoadBalancerStats.js';
import { OutlierDetector } from './OutlierDetector.js';
import { RequestRunner } from './RequestRunner.js';
import type { RunOptions } from './RunOptions.js';
import { resolveLoadBalancerOptions } from './resolveOptions.js';
import { Shutdown } from './Shutdown.js';

/**
 * Client-side load balancing over backends (upstream services, shards, pools): a pluggable
 * strategy ({@link Picker}) chooses among the backends that are up; the balancer tracks each
 * backend's in-flight requests, latency (a peak EWMA and percentiles) and failures, routes
 * affinity groups (`ctx.group`) to their members, ejects outliers after consecutive failures
 * (as Envoy does), with `failureAccrual` gives each backend a circuit breaker (as Finagle does)
 * and, with `healthCheck`, runs active checks.
 *
 * A backend that is down or ejected is never picked; when no backend is up, `pick` throws (and
 * `run` rejects with) {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET`.
 *
 * Events (`on(name, listener)`): `backend:added`, `backend:removed`, `backend:down`,
 * `backend:up`; see {@link LoadBalancerEvents}.
 *
 * @typeParam T - what you balance over (`target`): a URL, a client, a pool.
 *
 * @example
 * {@includeCode ./LoadBalancer.test.ts#quickStart}
 */
export class LoadBalancer<T>
  extends EventEmitter<LoadBalancerEvents>
  implements Closeable, MetricsSource<LoadBalancerStats>
{
  readonly #strategy: Picker<BackendCandidate<T>>;
  readonly #registry: BackendRegistry<T>;
  readonly #outliers: OutlierDetector<T>;
  readonly #accrual: FailureAccrual<T> | undefined;
  readonly #leases: LeaseTracker<T>;
  readonly #selector: BackendSelector<T>;
  readonly #shutdown: Shutdown<T>;
  readonly #runner: RequestRunner<T>;

  /**
   * @param options - backends, strategy, outlier detection, health checks, clock.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, a bad
   * backend or a duplicate id.
   */
  constructor(options: LoadBalancerOptions<T>) {
    super();
    const resolved = resolveLoadBalancerOptions(options);
    const { clock, healthCheck } = resolved;
    this.#strategy = resolved.strategy;
    const registry = new BackendRegistry<T>(clock, resolved.ewmaDecayMs, healthCheck?.factory, this);
    this.#registry = registry;
    this.#outliers = new OutlierDetector(resolved.outlierDetection, clock, registry);
    const accrual =
      resolved.failureAccrual && new FailureAccrual<T>(resolved.failureAccrual, clock, registry);
    this.#accrual = accrual;
    this.#leases = new LeaseTracker(clock, this.#strategy, this.#outliers, accrual);
    const checker =
      healthCheck === undefined
        ? undefined
        : new ActiveHealthChecker<T>(
            healthCheck.options,
            () => registry.values(),
            (entry, down, message) => registry.setCheckDown(entry, down, message),
          );
    this.#shutdown = new Shutdown(this, resolved.closeTimeoutMs, this.#leases, checker);
    this.#selector = new BackendSelector(registry, { expire: this.#expire }, this.#strategy, this.#shutdown);
    this.#runner = new RequestRunner(this, this.#shutdown.destroying, resolved.isFailure);
    options.backends.forEach((input, i) => {
      registry.insert(input, `options.backends[${i}]`);
    });
    checker?.start();
  }

  /** Number of backends, whatever their state. */
  get size(): number {
    return this.#registry.size;
  }

  /** Every backend, whatever its state, in the order they were added. */
  get backends(): readonly Backend<T>[] {
    return [...this.#registry.values()].map((entry) => entry.backend);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#shutdown.closed;
  }

  /**
   * Chooses a backend with the strategy, without tracking a request on it (load-aware
   * strategies then see no load from it: prefer `run` or `acquire`).
   *
   * @param ctx - routing hints: `key` for hash strategies, `group` for affinity, `exclude` for
   * backends to avoid (a retry's previous ones).
   * @returns the chosen backend.
   * @throws {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when no backend is up.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad `ctx`, e.g. no
   * `key` for a hash strategy.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()` or `destroy()`.
   */
  pick(ctx?: PickContext): Backend<T> {
    return this.#selector.select(ctx).backend;
  }

  /**
   * Chooses a backend and counts a request on it until the lease is released: the building
   * block of `run`, for requests that do not fit in one callback.
   *
   * @param ctx - routing hints.
   * @returns the lease; call `release(result)` exactly once when the request ends.
   * @throws {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when no backend is up.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad `ctx`.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()` or `destroy()`.
   *
   * @example
   * {@includeCode ./LoadBalancer.test.ts#acquire}
   */
  acquire(ctx?: PickContext): BackendLease<T> {
    const accrual = this.#accrual;
    if (accrual === undefined) return this.#leases.lease(this.#selector.select(ctx));
    // A breaker that refuses takes its backend out of the picks: the loop ends within one pass
    // over the backends, with a lease or NoTargetError.
    for (;;) {
      const entry = this.#selector.select(ctx);
      const permit = accrual.admit(entry);
      if (permit !== undefined) return this.#leases.lease(entry, permit);
    }
  }

  /** Brings back the backends whose ejection or open breaker is over (lazily, on the clock). */
  readonly #expire = (): void => {
    this.#outliers.expire();
    this.#accrual?.expire();
  };

  /**
   * Runs `fn` on a chosen backend: picks, counts it in flight, records latency and outcome, and
   * releases the backend however `fn` ends. A rejection of `fn` counts as the backend's failure
   * (for outlier detection) unless `isFailure` says otherwise or the request was aborted.
   *
   * @param fn - the request: receives the target, a signal (aborted when `options.signal`
   * aborts or the balancer is destroyed) and the backend.
   * @param options - routing hints and a `signal`.
   * @returns what `fn` returns.
   * @throws `options.signal.reason` (or an `AbortedError` carrying it) when the signal aborts
   * first; {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when no backend is up;
   * {@link InvalidOptionError} for bad options; {@link ClosedError} `ERR_LOADSTONE_CLOSED` after
   * `close()` or when `destroy()` abandons it; or what `fn` throws. Always as a rejection.
   *
   * @example
   * {@includeCode ./LoadBalancer.test.ts#run}
   */
  run<R>(
    fn: (target: T, signal: AbortSignal, backend: Backend<T>) => R | PromiseLike<R>,
    options?: RunOptions,
  ): Promise<R> {
    return this.#runner.run(fn, options);
  }

  /**
   * Adds a backend, up.
   *
   * @param backend - `{ id, weight?, target, groups? }`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad backend or an id
   * already in the balancer.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()` or `destroy()`.
   */
  add(backend: BackendInput<T>): void {
    if (this.#shutdown.closed) throw new ClosedError('LoadBalancer');
    this.#registry.insert(backend, 'backend');
    this.emit('backend:added', membershipEvent(backend.id));
  }

  /**
   * Removes a backend. Its in-flight requests finish normally; the strategy forgets it.
   *
   * @param id - the backend's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  remove(id: string): void {
    const entry = this.#registry.delete(id);
    this.#outliers.forget(entry);
    this.#accrual?.forget(entry);
    this.#strategy.forget?.(id);
    this.#registry.invalidate();
    this.emit('backend:removed', membershipEvent(id));
  }

  /**
   * Takes a backend out of rotation until `markUp`, e.g. for maintenance. Idempotent.
   *
   * @param id - the backend's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  markDown(id: string): void {
    const entry = this.#registry.entry(id);
    this.#registry.transition(entry, 'manual', () => {
      entry.adminDown = true;
    });
  }

  /**
   * Puts a backend marked down back in rotation, and ends its ejection if it is ejected. A
   * backend failing its active health checks stays down until they pass. Idempotent.
   *
   * @param id - the backend's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  markUp(id: string): void {
    const entry = this.#registry.entry(id);
    this.#registry.transition(entry, 'manual', () => {
      entry.adminDown = false;
      this.#outliers.end(entry);
    });
  }

  /**
   * The state of a backend now.
   *
   * @param id - the backend's id.
   * @returns `up`, `down` or `ejected`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  stateOf(id: string): BackendState {
    this.#expire();
    return this.#registry.entry(id).state;
  }

  /**
   * Takes a snapshot of every backend's load, latency and state.
   *
   * @returns a fresh plain object.
   */
  stats(): LoadBalancerStats {
    this.#expire();
    return {
      backends: [...this.#registry.values()].map((entry) => entry.stats()),
      inFlight: this.#leases.inFlight,
      requests: this.#leases.requests,
      failures: this.#leases.failures,
      noTarget: this.#selector.noTarget,
    };
  }

  /**
   * Stops intake (later calls fail with {@link ClosedError}) and active checks, then waits for
   * in-flight requests (runs and unreleased leases) to finish; past `closeTimeoutMs` (or when
   * `options.signal` aborts) the balancer is destroyed instead.
   *
   * @param options - a `signal` to stop waiting and destroy instead.
   * @returns a promise that resolves once drained.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.#shutdown.close(options);
  }

  /**
   * Stops intake and active checks and abandons in-flight `run` calls, which reject with
   * {@link ClosedError} `ERR_LOADSTONE_CLOSED` (their callbacks' signals abort). Idempotent.
   *
   * @param reason - kept as the `cause` of the errors of abandoned runs.
   * @returns a promise that resolves once the health checks have stopped.
   */
  destroy(reason?: unknown): Promise<void> {
    return this.#shutdown.destroy(reason);
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
