import { EventEmitter, setMaxListeners } from 'node:events';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { NoTargetError } from '../core/errors/NoTargetError.js';
import type {
  Closeable,
  CloseOptions,
  HealthCheck,
  MetricsSource,
  PickContext,
  Picker,
} from '../core/index.js';
import { systemClock } from '../core/index.js';
import { abortReason, drainWithin } from '../core/internal/abort.js';
import {
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  oneOfOption,
  optionsObject,
} from '../core/internal/validate.js';
import { ActiveHealthChecker } from './ActiveHealthChecker.js';
import type { Backend, BackendCandidate, BackendInput, BackendState } from './Backend.js';
import { BackendEntry } from './BackendEntry.js';
import type { BackendLease, LeaseResult } from './BackendLease.js';
import {
  type BackendChangeReason,
  downEvent,
  type LoadBalancerEvents,
  membershipEvent,
  upEvent,
} from './events.js';
import type { LoadBalancerOptions } from './LoadBalancerOptions.js';
import type { LoadBalancerStats } from './LoadBalancerStats.js';
import { PeakEwmaPicker } from './PeakEwmaPicker.js';
import type { RunOptions } from './RunOptions.js';
import {
  makeHealthCheck,
  type ResolvedOutlierDetection,
  resolveBackend,
  resolveClock,
  resolveHealthCheck,
  resolveOutlierDetection,
  resolveStrategy,
} from './resolveOptions.js';

const LEASE_RESULTS: readonly LeaseResult[] = ['success', 'failure', 'cancelled'];
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Client-side load balancing over backends (upstream services, shards, pools): a pluggable
 * strategy ({@link Picker}) chooses among the backends that are up; the balancer tracks each
 * backend's in-flight requests, latency (a peak EWMA and percentiles) and failures, routes
 * affinity groups (`ctx.group`) to their members, ejects outliers after consecutive failures
 * (as Envoy does) and, with `healthCheck`, runs active checks.
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
  readonly #entries = new Map<string, BackendEntry<T>>();
  readonly #strategy: Picker<BackendCandidate<T>>;
  readonly #clock;
  readonly #tauMs: number;
  readonly #closeTimeoutMs: number;
  readonly #outliers: ResolvedOutlierDetection | undefined;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #checkFactory: ((backend: Backend<T>) => HealthCheck) | undefined;
  readonly #checker: ActiveHealthChecker<T> | undefined;
  /** Backends that are up, and per group its members that are up; rebuilt after any change. */
  #up: readonly BackendCandidate<T>[] | undefined;
  readonly #groupUp = new Map<string, readonly BackendCandidate<T>[]>();
  #ejected = 0;
  #nextEjectionEnd = Number.POSITIVE_INFINITY;
  #inFlight = 0;
  #requests = 0;
  #failures = 0;
  #noTarget = 0;
  #closed = false;
  readonly #destroying = new AbortController();
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  /**
   * @param options - backends, strategy, outlier detection, health checks, clock.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, a bad
   * backend or a duplicate id.
   */
  constructor(options: LoadBalancerOptions<T>) {
    super();
    // Every in-flight `run` listens on this signal (and removes its listener when it settles), so
    // the listener count is the concurrency, not a leak: lift Node's default warning at 10.
    setMaxListeners(0, this.#destroying.signal);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'an object with a `backends` array', options);
    }
    if (!Array.isArray(options.backends)) {
      throw new InvalidOptionError(
        'options.backends',
        'an array of `{ id, weight?, target }`',
        options.backends,
      );
    }
    this.#strategy = resolveStrategy<T>(options.strategy) ?? new PeakEwmaPicker();
    this.#clock = resolveClock(options.clock, systemClock);
    this.#tauMs = numberOption('options.ewmaDecayMs', options.ewmaDecayMs ?? 10_000, 1);
    this.#closeTimeoutMs = integerOption(
      'options.closeTimeoutMs',
      options.closeTimeoutMs ?? 30_000,
      0,
      MAX_TIMER_MS,
    );
    this.#outliers = resolveOutlierDetection(options.outlierDetection);
    this.#isFailure =
      options.isFailure === undefined ? () => true : functionOption('options.isFailure', options.isFailure);
    const checks = resolveHealthCheck(options.healthCheck);
    this.#checkFactory = checks?.factory;
    options.backends.forEach((input, i) => {
      this.#insert(input, `options.backends[${i}]`);
    });
    if (checks !== undefined) {
      this.#checker = new ActiveHealthChecker(
        checks.options,
        () => this.#entries.values(),
        (entry, down, message) => this.#setCheckDown(entry, down, message),
      );
      this.#checker.start();
    }
  }

  /** Number of backends, whatever their state. */
  get size(): number {
    return this.#entries.size;
  }

  /** Every backend, whatever its state, in the order they were added. */
  get backends(): readonly Backend<T>[] {
    return [...this.#entries.values()].map((entry) => entry.backend);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
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
    return this.#select(ctx).backend;
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
    const entry = this.#select(ctx);
    entry.inFlight++;
    entry.requests++;
    this.#inFlight++;
    this.#requests++;
    const startedAt = this.#clock.now();
    let released = false;
    return {
      backend: entry.backend,
      release: (result: LeaseResult = 'success') => {
        oneOfOption('result', result, LEASE_RESULTS);
        if (released) return;
        released = true;
        this.#finish(entry, result, this.#clock.now() - startedAt);
      },
    };
  }

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
  async run<R>(
    fn: (target: T, signal: AbortSignal, backend: Backend<T>) => R | PromiseLike<R>,
    options?: RunOptions,
  ): Promise<R> {
    functionOption('fn', fn);
    const signal = optionsObject('options', options).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    }
    if (signal?.aborted) throw abortReason(signal, 'LoadBalancer.run');
    const lease = this.acquire(options);
    const derived =
      signal === undefined ? this.#destroying.signal : AbortSignal.any([signal, this.#destroying.signal]);
    let work: Promise<R>;
    try {
      work = Promise.resolve(fn(lease.backend.target, derived, lease.backend));
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      () => lease.release(derived.aborted ? 'cancelled' : 'success'),
      (error: unknown) =>
        lease.release(derived.aborted ? 'cancelled' : this.#isFailure(error) ? 'failure' : 'success'),
    );
    if (derived.aborted) throw this.#abortError(signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.#abortError(signal));
      derived.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      derived.removeEventListener('abort', onAbort as () => void);
    }
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
    if (this.#closed) throw new ClosedError('LoadBalancer');
    this.#insert(backend, 'backend');
    this.emit('backend:added', membershipEvent(backend.id));
  }

  /**
   * Removes a backend. Its in-flight requests finish normally; the strategy forgets it.
   *
   * @param id - the backend's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  remove(id: string): void {
    const entry = this.#entry(id);
    this.#entries.delete(id);
    if (entry.ejectedUntil !== undefined) this.#ejected--;
    entry.healthCheck = undefined;
    this.#strategy.forget?.(id);
    this.#invalidate();
    this.emit('backend:removed', membershipEvent(id));
  }

  /**
   * Takes a backend out of rotation until `markUp`, e.g. for maintenance. Idempotent.
   *
   * @param id - the backend's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no backend has this id.
   */
  markDown(id: string): void {
    const entry = this.#entry(id);
    this.#transition(entry, 'manual', () => {
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
    const entry = this.#entry(id);
    this.#transition(entry, 'manual', () => {
      entry.adminDown = false;
      this.#endEjection(entry);
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
    this.#expireEjections();
    return this.#entry(id).state;
  }

  /**
   * Takes a snapshot of every backend's load, latency and state.
   *
   * @returns a fresh plain object.
   */
  stats(): LoadBalancerStats {
    this.#expireEjections();
    return {
      backends: [...this.#entries.values()].map((entry) => entry.stats()),
      inFlight: this.#inFlight,
      requests: this.#requests,
      failures: this.#failures,
      noTarget: this.#noTarget,
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
  async close(options?: CloseOptions): Promise<void> {
    const signal = optionsObject('options', options).signal;
    this.#closed = true;
    const stopping = this.#checker?.stop();
    if (this.#inFlight > 0 && this.#drained === undefined) {
      this.#drained = new Promise((resolve) => {
        this.#resolveDrained = resolve;
      });
    }
    const all = Promise.all([this.#drained, stopping]).then(() => undefined);
    const drained =
      this.#closeTimeoutMs > 0
        ? drainWithin(all, this.#closeTimeoutMs, (reason) => this.destroy(reason), 'close of LoadBalancer')
        : all;
    if (signal === undefined) return drained;
    if (signal.aborted) {
      await this.destroy(signal.reason);
      throw signal.reason;
    }
    let onAbort: (() => void) | undefined;
    let destroyed: Promise<void> | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        reject(signal.reason); // before the destroy below lets `drained` resolve
        destroyed = this.destroy(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([drained, aborted]);
    } catch (error) {
      await destroyed;
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort as () => void);
    }
  }

  /**
   * Stops intake and active checks and abandons in-flight `run` calls, which reject with
   * {@link ClosedError} `ERR_LOADSTONE_CLOSED` (their callbacks' signals abort). Idempotent.
   *
   * @param reason - kept as the `cause` of the errors of abandoned runs.
   * @returns a promise that resolves once the health checks have stopped.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    if (!this.#destroying.signal.aborted)
      this.#destroying.abort(new ClosedError('LoadBalancer', { cause: reason }));
    this.#resolveDrained?.();
    await this.#checker?.stop();
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #abortError(signal: AbortSignal | undefined): Error {
    return signal?.aborted
      ? abortReason(signal, 'LoadBalancer.run')
      : (this.#destroying.signal.reason as Error);
  }

  #entry(id: string): BackendEntry<T> {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new InvalidOptionError('id', 'the id of a backend in the balancer', id);
    return entry;
  }

  #insert(input: BackendInput<T>, path: string): void {
    const backend = resolveBackend(path, input);
    if (this.#entries.has(backend.id)) {
      throw new InvalidOptionError(`${path}.id`, 'an id not already in the balancer', backend.id);
    }
    const entry = new BackendEntry(backend, this.#clock, this.#tauMs);
    if (this.#checkFactory !== undefined) entry.healthCheck = makeHealthCheck(this.#checkFactory, backend);
    this.#entries.set(backend.id, entry);
    this.#invalidate();
  }

  #select(ctx: PickContext | undefined): BackendEntry<T> {
    if (this.#closed) throw new ClosedError('LoadBalancer');
    const group = ctx?.group;
    if (group !== undefined && (typeof group !== 'string' || group === '')) {
      throw new InvalidOptionError('ctx.group', 'a non-empty string', group);
    }
    const exclude = ctx?.exclude;
    if (exclude !== undefined && (!Array.isArray(exclude) || exclude.some((id) => typeof id !== 'string'))) {
      throw new InvalidOptionError('ctx.exclude', 'an array of backend ids', exclude);
    }
    this.#expireEjections();
    let candidates = group === undefined ? this.#upList() : this.#groupList(group);
    if (exclude !== undefined && exclude.length > 0) {
      const others = candidates.filter((c) => !exclude.includes(c.id));
      if (others.length > 0) candidates = others;
    }
    if (candidates.length === 0) {
      this.#noTarget++;
      throw new NoTargetError(
        this.#entries.size === 0
          ? 'the load balancer has no backends'
          : `all ${this.#entries.size} backends are down or ejected`,
      );
    }
    const picked = this.#strategy.pick(candidates, ctx);
    const entry = picked === undefined ? undefined : this.#entries.get(picked.id);
    if (entry === undefined || entry.candidate !== picked || entry.state !== 'up') {
      this.#noTarget++;
      throw new NoTargetError('the strategy chose no backend that is up');
    }
    return entry;
  }

  #upList(): readonly BackendCandidate<T>[] {
    if (this.#up === undefined) {
      const up: BackendCandidate<T>[] = [];
      for (const entry of this.#entries.values()) if (entry.state === 'up') up.push(entry.candidate);
      this.#up = up.length === 0 ? EMPTY : up;
    }
    return this.#up;
  }

  /** The group's members that are up; all backends that are up when none is. */
  #groupList(group: string): readonly BackendCandidate<T>[] {
    let list = this.#groupUp.get(group);
    if (list === undefined) {
      const members = this.#upList().filter((c) => c.groups.includes(group));
      list = members.length === 0 ? this.#upList() : members;
      this.#groupUp.set(group, list);
    }
    return list;
  }

  #invalidate(): void {
    this.#up = undefined;
    this.#groupUp.clear();
  }

  /** Applies `change` to a backend and emits `backend:down`/`backend:up` if it changed its being picked. */
  #transition(
    entry: BackendEntry<T>,
    reason: BackendChangeReason,
    change: () => void,
    extra?: { durationMs?: number; message?: string | undefined },
  ): void {
    const before = entry.state;
    change();
    const after = entry.state;
    if (before === after) return;
    this.#invalidate();
    if (!this.#entries.has(entry.backend.id)) return;
    if (after === 'up') this.emit('backend:up', upEvent(entry.backend.id, reason));
    else if (before === 'up') this.emit('backend:down', downEvent(entry.backend.id, reason, extra));
  }

  #setCheckDown(entry: BackendEntry<T>, down: boolean, message: string | undefined): void {
    this.#transition(
      entry,
      'health-check',
      () => {
        entry.checkDown = down;
      },
      { message },
    );
  }

  #finish(entry: BackendEntry<T>, result: LeaseResult, latencyMs: number): void {
    entry.inFlight--;
    this.#inFlight--;
    const latency = Math.max(latencyMs, 0);
    if (result !== 'cancelled') entry.record(latency);
    if (result === 'failure') {
      entry.failures++;
      this.#failures++;
      entry.consecutiveFailures++;
      this.#maybeEject(entry);
    } else if (result === 'success') {
      entry.consecutiveFailures = 0;
    }
    this.#strategy.report?.(entry.candidate, { result, latencyMs: latency });
    if (this.#inFlight === 0 && this.#resolveDrained !== undefined) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
      this.#drained = undefined;
    }
  }

  #maybeEject(entry: BackendEntry<T>): void {
    const od = this.#outliers;
    if (od === undefined || entry.consecutiveFailures < od.consecutiveFailures) return;
    if (entry.ejectedUntil !== undefined || !this.#entries.has(entry.backend.id)) return;
    const maxEjected = Math.floor((od.maxEjectionPercent / 100) * this.#entries.size);
    if (this.#ejected + 1 > maxEjected) return;
    const durationMs = Math.min(od.baseEjectionMs * (entry.ejections + 1), od.maxEjectionMs);
    this.#transition(
      entry,
      'outlier-detection',
      () => {
        entry.ejections++;
        entry.ejectedUntil = this.#clock.now() + durationMs;
        entry.consecutiveFailures = 0;
        this.#ejected++;
        this.#nextEjectionEnd = Math.min(this.#nextEjectionEnd, entry.ejectedUntil);
      },
      { durationMs },
    );
  }

  /** Brings back the backends whose ejection is over (checked lazily, on the clock). */
  #expireEjections(): void {
    if (this.#ejected === 0) return;
    const now = this.#clock.now();
    if (now < this.#nextEjectionEnd) return;
    this.#nextEjectionEnd = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries.values()) {
      const until = entry.ejectedUntil;
      if (until === undefined) continue;
      if (until <= now) {
        this.#transition(entry, 'outlier-detection', () => this.#endEjection(entry));
      } else {
        this.#nextEjectionEnd = Math.min(this.#nextEjectionEnd, until);
      }
    }
  }

  #endEjection(entry: BackendEntry<T>): void {
    if (entry.ejectedUntil === undefined) return;
    entry.ejectedUntil = undefined;
    entry.consecutiveFailures = 0;
    this.#ejected--;
  }
}
