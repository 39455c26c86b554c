import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck, HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import { ListenerSet } from '../core/internal/ListenerSet.js';
import { signalOption } from '../core/internal/signalOption.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { LoadChange, LoadSignal } from '../core/LoadSignal.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { CheckRunner, statesByName } from './CheckRunner.js';
import type {
  HealthMonitorEvents,
  HealthMonitorOptions,
  HealthSnapshot,
  HealthStatusChangedEvent,
  LoadSheddingOptions,
  PrioritySheddingOptions,
  ReadinessOptions,
} from './HealthMonitorOptions.js';
import type { HealthSample, HealthSampler } from './HealthSample.js';
import { LatestSample } from './LatestSample.js';
import { LoadShedder, type ShedDecision } from './LoadShedder.js';
import { ProcessSampler } from './ProcessSampler.js';
import { livenessHandler, readinessHandler } from './probeHandlers.js';
import {
  type ResolvedHealthMonitorOptions,
  resolveHealthMonitorOptions,
} from './resolveHealthMonitorOptions.js';
import { SamplingLoop } from './SamplingLoop.js';
import { StatusHysteresis } from './StatusHysteresis.js';
import { evaluate, LEVEL_NAMES } from './thresholds.js';

/**
 * Watches this process and turns what it sees into one status, `healthy`, `degraded` or
 * `critical`, for probes, load shedding and the primitives that read a {@link LoadSignal}.
 *
 * Every `intervalMs` (an unref'd timer) it takes a {@link HealthSample} (event-loop delay p99,
 * event-loop utilisation, heap used / heap limit, RSS, CPU) and runs the user `checks`
 * concurrently, each bounded by `checkTimeoutMs`. The worst level any metric or check reaches is
 * the candidate status. Hysteresis: a worse status is adopted after `enterAfter` intervals (1: at
 * once); a better one only after `recoverAfter` intervals in which every metric stayed below its
 * threshold lowered by `margin`.
 *
 * It serves Kubernetes-style probes through node-style handlers that work in raw `http`, Express
 * and Fastify ({@link HealthMonitor.livenessHandler}, {@link HealthMonitor.readinessHandler}), sheds
 * load while critical ({@link HealthMonitor.loadShedding}), and turns readiness to 503 as soon as
 * {@link HealthMonitor.beginShutdown} is called.
 *
 * Events: `status:changed`, `snapshot:taken`, `shutdown:began` ({@link HealthMonitorEvents}).
 * It is also a {@link LoadSignal}, a {@link HealthCheck} (its own status), a {@link MetricsSource}
 * of {@link HealthSnapshot} and a {@link Closeable}.
 *
 * @example
 * {@includeCode ./HealthMonitor.test.ts#healthMonitor}
 */
export class HealthMonitor
  extends EventEmitter<HealthMonitorEvents>
  implements LoadSignal, HealthCheck, Closeable, MetricsSource<HealthSnapshot>
{
  /** The monitor's name as a {@link HealthCheck}, from the options. */
  readonly name: string;
  readonly #o: ResolvedHealthMonitorOptions;
  readonly #sampler: HealthSampler;
  readonly #ownsSampler: boolean;
  readonly #closing = new AbortController();
  readonly #checks: CheckRunner;
  readonly #status: StatusHysteresis;
  readonly #shedder: LoadShedder;
  readonly #listeners = new ListenerSet<LoadChange>(
    'LOADSTONE_WARN_HEALTH_LISTENER_THREW',
    'A HealthMonitor status listener threw',
  );
  readonly #loop: SamplingLoop;
  readonly #latest = new LatestSample();
  #closed = false;
  #shuttingDown = false;
  #closePromise: Promise<void> | undefined;

  /**
   * Starts sampling: the first sample is taken `intervalMs` from now (call
   * {@link HealthMonitor.refresh} for one at once).
   *
   * @param options - interval, thresholds, hysteresis, checks.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options?: HealthMonitorOptions) {
    super();
    const { resolved, sampler } = resolveHealthMonitorOptions(options);
    this.#o = resolved;
    this.#checks = new CheckRunner(
      resolved.checks,
      resolved.clock,
      resolved.checkTimeoutMs,
      this.#closing.signal,
    );
    this.#status = new StatusHysteresis(resolved.enterAfter, resolved.recoverAfter, resolved.margin);
    this.#shedder = new LoadShedder(this.#status);
    this.name = resolved.name;
    this.#ownsSampler = sampler === undefined;
    this.#sampler = sampler ?? new ProcessSampler();
    this.#loop = new SamplingLoop(resolved.intervalMs, () => this.#tick());
  }

  /** The current status (after thresholds and hysteresis). */
  get status(): HealthStatus {
    return LEVEL_NAMES[this.#status.level] as HealthStatus;
  }

  /** Whether {@link HealthMonitor.beginShutdown} (or `close()`) was called: readiness answers 503. */
  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls `listener` on every change of `status`, synchronously, after `status` is updated (and
   * before `status:changed` is emitted). It is not called with the current status on
   * subscribing; read `status` for that.
   *
   * @param listener - receives each change; its `reason` is the snapshot's reasons joined by `; `.
   * What it throws is reported as a process warning (`LOADSTONE_WARN_HEALTH_LISTENER_THREW`).
   * @returns a handle whose `[Symbol.dispose]()` unsubscribes (idempotent; `using` works).
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `listener` is not a function.
   */
  subscribe(listener: (change: LoadChange) => void): Disposable {
    return this.#listeners.subscribe(listener);
  }

  /**
   * Adds a check after construction, run from the next interval on, for parts that need the
   * monitor before they exist: a `MemoryTier` shrinks on the monitor's `loadSignal`, and the
   * cache built on it is a check of that monitor.
   *
   * @param check - a {@link HealthCheck} whose `name` no other check of this monitor has.
   * @returns a handle whose `[Symbol.dispose]()` removes the check (idempotent; `using` works).
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for something that is not a
   * `HealthCheck`, or a name already taken.
   *
   * @example
   * {@includeCode ./HealthMonitor.test.ts#addCheck}
   */
  addCheck(check: HealthCheck): Disposable {
    return this.#checks.add(check);
  }

  /**
   * Everything the monitor knows as of its latest sample, plus the current shutdown flag and
   * shed count. Works after `close()` too (the last values).
   *
   * @returns a fresh plain object, safe to `JSON.stringify`.
   */
  snapshot(): HealthSnapshot {
    return this.#latest.snapshot(this.status, this.#shuttingDown, this.#shedder.shedRequests);
  }

  /**
   * The same as {@link HealthMonitor.snapshot}, for {@link MetricsSource} consumers.
   *
   * @returns a fresh plain object.
   */
  stats(): HealthSnapshot {
    return this.snapshot();
  }

  /**
   * Samples and runs the checks now instead of waiting for the timer (which keeps its cadence).
   * Joins a sample already in progress.
   *
   * @returns the snapshot the sample produced.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`; what the
   * sampler threw, as a rejection.
   */
  refresh(): Promise<HealthSnapshot> {
    if (this.#closed) return Promise.reject(new ClosedError('HealthMonitor'));
    return this.#loop.refresh();
  }

  /**
   * Marks the process as shutting down: readiness answers 503 from now on, so a load balancer
   * or Kubernetes stops sending traffic, while liveness and the load-shedding handlers carry on.
   * Emits `shutdown:began` the first time. Idempotent.
   */
  beginShutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#emitSafely('shutdown:began', { at: Date.now() });
  }

  /**
   * The monitor as a {@link HealthCheck}: its current status (no new sample), with the reasons as
   * the message.
   *
   * @param signal - rejects with `signal.reason` if already aborted.
   * @returns the verdict, with the main measurements in `details`.
   */
  async check(signal?: AbortSignal): Promise<HealthCheckResult> {
    if (signal?.aborted) throw abortReason(signal, `health check "${this.name}"`);
    return this.#latest.checkResult(this.name, this.status, this.#shuttingDown);
  }

  /**
   * A liveness probe handler: answers `200` with a small JSON body (`alive`, the current
   * `status`, `shuttingDown`, `pid`, `uptimeMs`) whenever the event loop gets to run it, even while
   * critical or shutting down. A process that is only overloaded must not be restarted (that
   * would move its load onto the others); a process whose loop is stuck cannot answer at all,
   * which is what the probe's timeout detects.
   *
   * Raw `http`, Express (`app.get('/live', handler)`) and Fastify (`reply.raw`) all work; `HEAD`
   * gets the headers only. (`loadstone/express` and `loadstone/fastify` serve both probes.)
   *
   * @returns the handler.
   */
  livenessHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return livenessHandler(this);
  }

  /**
   * A readiness probe handler: answers `200` while the process should get traffic, `503` while it
   * should not: once shutdown has begun (or the monitor is closed) and, by default, while the
   * status is `critical`. `degraded` stays ready. The JSON body is `{ ready, status, shuttingDown }`
   * (a 503's adds `reasons`: shutdown, thresholds crossed, failing checks by name, no check's error
   * text), or with `detail: true` the whole {@link HealthSnapshot} with `ready` first (serve that
   * one on a private port: it tells a stranger how loaded you are).
   *
   * Raw `http`, Express (`app.get('/ready', handler)`) and Fastify (`reply.raw`) all work; `HEAD`
   * gets the headers only.
   *
   * @param options - from which status on the process is not ready; how much the body says.
   * @returns the handler.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  readinessHandler(options?: ReadinessOptions): (req: IncomingMessage, res: ServerResponse) => void {
    return readinessHandler(this, this.#status, options);
  }

  /**
   * A node-style `(req, res, next)` handler that refuses requests while the process is overloaded:
   * while the status is `critical` (or from `degraded`, with `shedFrom`), it answers `503 Service
   * Unavailable` with `Retry-After` and does not call `next`; otherwise it calls `next()`. Probe
   * paths (`healthPaths`) and `allow`ed requests are never shed; an `allow` predicate that throws
   * sends its error to `next(error)`. Shutdown does not shed: draining requests are served.
   * With `priority`, requests are shed by tier: the lowest while degraded, all but the highest
   * while critical ({@link PrioritySheddingOptions}).
   *
   * - **Express / Connect**: `app.use(monitor.loadShedding())`, before the routes.
   * - **Fastify**: `app.addHook('onRequest', (request, reply, done) => shed(request.raw, reply.raw, done))`;
   *   a shed request's response is ended on `reply.raw` and `done` is not called.
   *
   * @param options - allow-list, probe paths, `Retry-After`, threshold.
   * @returns the handler.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   *
   * @example
   * {@includeCode ./HealthMonitor.test.ts#loadShedding}
   */
  loadShedding(
    options?: LoadSheddingOptions,
  ): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
    return this.#shedder.handler(options);
  }

  /**
   * The decision {@link HealthMonitor.loadShedding} makes, for a framework adapter that answers
   * through its own reply object (`loadstone/fastify` does): `shed(req)` is `true` when the
   * request must get a 503 with `Retry-After: retryAfterSeconds` now, and counts it in
   * `snapshot().shedRequests`.
   *
   * @param options - as for {@link HealthMonitor.loadShedding}.
   * @returns the decision.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   *
   * @example
   * {@includeCode ./HealthMonitor.shedDecision.test.ts#shedDecision}
   */
  shedDecision(options?: LoadSheddingOptions): ShedDecision {
    return this.#shedder.decision(options);
  }

  /**
   * Stops sampling: clears the timer, aborts running checks (their signals abort with
   * {@link ClosedError}), releases the default sampler's histogram and marks the process as
   * shutting down. Idempotent. `snapshot()` keeps answering with the last values.
   *
   * @param options - a `signal` to stop waiting for running checks.
   * @returns a promise that resolves once the last tick has settled.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'HealthMonitor.close');
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted)
      return this.destroy(signal.reason).then(() => Promise.reject(abortReason(signal, 'close')));
    this.#stop(undefined);
    this.#closePromise ??= (this.#loop.pending ?? Promise.resolve()).then(
      () => {},
      () => {},
    );
    if (signal === undefined) return this.#closePromise;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal, 'close'));
      signal.addEventListener('abort', onAbort, { once: true });
      (this.#closePromise as Promise<void>).then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /**
   * Stops sampling at once, like `close()`, without waiting for running checks. Idempotent.
   *
   * @param reason - kept as the `cause` of the {@link ClosedError} the running checks' signals abort with.
   * @returns a promise that resolves once released.
   */
  destroy(reason?: unknown): Promise<void> {
    this.#stop(reason);
    return Promise.resolve();
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #stop(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.beginShutdown();
    this.#loop.stop();
    this.#closing.abort(
      new ClosedError('HealthMonitor', reason === undefined ? undefined : { cause: reason }),
    );
    if (this.#ownsSampler) this.#sampler[Symbol.dispose]?.();
  }

  /** One interval: sample, run the checks (if any), evaluate. Synchronous without checks. */
  #tick(): HealthSnapshot | Promise<HealthSnapshot> {
    const sample = this.#sampler.sample();
    const list = this.#checks.list;
    if (list.length === 0) return this.#evaluate(sample);
    return this.#checks.runAll(list).then((states) => {
      const checks = statesByName(list, states);
      // Closed while the checks ran: they were aborted, which says nothing about this process.
      if (this.#closed) return this.snapshot();
      this.#latest.checks = checks;
      return this.#evaluate(sample);
    });
  }

  /** Applies the thresholds and hysteresis to a sample; moves the status and emits. */
  #evaluate(sample: HealthSample): HealthSnapshot {
    const o = this.#o;
    const e = evaluate(sample, o.thresholds, o.margin, this.#latest.checks);
    const current = this.#status.advance(e);
    const next = this.#status.level;
    const reasons = e.reasons;
    this.#latest.record(sample, reasons);
    const snapshot = this.snapshot();
    if (next !== current) {
      const previous = LEVEL_NAMES[current] as HealthStatus;
      const status = LEVEL_NAMES[next] as HealthStatus;
      const reason = reasons.join('; ');
      const at = o.clock.now();
      const change: LoadChange = Object.freeze(
        reason === '' ? { status, previous, at } : { status, previous, reason, at },
      );
      this.#listeners.notify(change);
      const event: HealthStatusChangedEvent = { status, previous, snapshot: this.snapshot() };
      this.#emitSafely('status:changed', event);
    }
    if (this.listenerCount('snapshot:taken') > 0) this.#emitSafely('snapshot:taken', this.snapshot());
    return snapshot;
  }

  #emitSafely<K extends keyof HealthMonitorEvents>(name: K, ...args: HealthMonitorEvents[K]): void {
    if (this.listenerCount(name) === 0) return;
    try {
      // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's generic emit signature needs the cast
      (this.emit as any)(name, ...args);
    } catch (error) {
      // A listener's bug must not stop sampling or fail the caller of beginShutdown().
      warnThrew('LOADSTONE_WARN_HEALTH_LISTENER_THREW', `A HealthMonitor '${name}' listener threw`, error);
    }
  }
}
