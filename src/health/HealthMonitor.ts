import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthCheck, HealthCheckResult, HealthStatus } from '../core/HealthCheck.js';
import { healthStatuses } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import {
  booleanOption,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionsObject,
  rejectUnknownOptions,
} from '../core/internal/validate.js';
import type { LoadChange, LoadSignal } from '../core/LoadSignal.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type {
  HealthCheckState,
  HealthMonitorEvents,
  HealthMonitorOptions,
  HealthSnapshot,
  HealthStatusChangedEvent,
  LoadSheddingOptions,
  ReadinessOptions,
} from './HealthMonitorOptions.js';
import type { HealthSample, HealthSampler } from './HealthSample.js';
import { ProcessSampler } from './ProcessSampler.js';
import {
  evaluate,
  LEVEL_NAMES,
  type Level,
  type ResolvedThresholds,
  resolveThresholds,
} from './thresholds.js';

/** setTimeout's limit. */

const KNOWN_OPTIONS = new Set([
  'name',
  'intervalMs',
  'thresholds',
  'hysteresis',
  'checks',
  'checkTimeoutMs',
  'sampler',
  'clock',
]);
/** Option names of @fastify/under-pressure, toobusy-js and overload-protection, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = {
  sampleInterval: 'intervalMs',
  interval: 'intervalMs',
  maxEventLoopDelay: 'thresholds.eventLoopDelayMs',
  maxLag: 'thresholds.eventLoopDelayMs',
  maxEventLoopUtilization: 'thresholds.eventLoopUtilization',
  maxHeapUsedBytes: 'thresholds.heapUsedRatio',
  maxRssBytes: 'thresholds.rssMb',
  healthCheck: 'checks',
  healthCheckInterval: 'intervalMs',
};

const DEFAULT_HEALTH_PATHS: readonly string[] = Object.freeze([
  '/health',
  '/healthz',
  '/live',
  '/livez',
  '/liveness',
  '/ready',
  '/readyz',
  '/readiness',
  '/startup',
  '/startupz',
]);

type ResolvedHealthMonitorOptions = {
  readonly name: string;
  readonly intervalMs: number;
  readonly thresholds: ResolvedThresholds;
  readonly enterAfter: number;
  readonly recoverAfter: number;
  readonly margin: number;
  readonly checks: readonly HealthCheck[];
  readonly checkTimeoutMs: number;
  readonly clock: Clock;
};

type Listener = (change: LoadChange) => void;

const EMPTY_SAMPLE: HealthSample = Object.freeze({
  eventLoopDelay: Object.freeze({ p50: 0, p99: 0, max: 0, mean: 0 }),
  eventLoopUtilization: 0,
  heapUsedBytes: 0,
  heapLimitBytes: 0,
  rssBytes: 0,
  cpuPercent: 0,
});

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
  #level: Level = 0;
  #sample: HealthSample = EMPTY_SAMPLE;
  #reasons: readonly string[] = [];
  #at = 0;
  #samples = 0;
  #shed = 0;
  #checks: Readonly<Record<string, HealthCheckState>> = {};
  /** The checks run each interval: `options.checks`, then those given to `addCheck`. */
  #checkList: readonly HealthCheck[];
  // Streaks of intervals pointing up (worse) or down (better), and the level they point to.
  #upStreak = 0;
  #upLevel: Level = 0;
  #downStreak = 0;
  #downLevel: Level = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The tick in flight while the checks run, so that `refresh()` joins it. */
  #pending: Promise<HealthSnapshot> | undefined;
  readonly #closing = new AbortController();
  #closed = false;
  #shuttingDown = false;
  #closePromise: Promise<void> | undefined;
  readonly #listeners = new Set<{ readonly listener: Listener }>();

  /**
   * Starts sampling: the first sample is taken `intervalMs` from now (call
   * {@link HealthMonitor.refresh} for one at once).
   *
   * @param options - interval, thresholds, hysteresis, checks.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options?: HealthMonitorOptions) {
    super();
    const { resolved, sampler } = resolveOptions(options);
    this.#o = resolved;
    this.#checkList = resolved.checks;
    this.name = resolved.name;
    this.#ownsSampler = sampler === undefined;
    this.#sampler = sampler ?? new ProcessSampler();
    this.#schedule();
  }

  /** The current status (after thresholds and hysteresis). */
  get status(): HealthStatus {
    return LEVEL_NAMES[this.#level] as HealthStatus;
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
    const entry = { listener: functionOption<Listener>('listener', listener) };
    this.#listeners.add(entry);
    return {
      [Symbol.dispose]: () => {
        this.#listeners.delete(entry);
      },
    };
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
    const added = validCheck('check', check);
    if (this.#checkList.some((c) => c.name === added.name)) {
      throw new InvalidOptionError('check.name', 'a name no other check has', added.name);
    }
    this.#checkList = [...this.#checkList, added];
    return {
      [Symbol.dispose]: () => {
        this.#checkList = this.#checkList.filter((c) => c !== added);
      },
    };
  }

  /**
   * Everything the monitor knows as of its latest sample, plus the current shutdown flag and
   * shed count. Works after `close()` too (the last values).
   *
   * @returns a fresh plain object, safe to `JSON.stringify`.
   */
  snapshot(): HealthSnapshot {
    const s = this.#sample;
    const checks: Record<string, HealthCheckState> = {};
    for (const [name, state] of Object.entries(this.#checks)) checks[name] = { ...state };
    return {
      status: this.status,
      reasons: [...this.#reasons],
      at: this.#at,
      eventLoopDelay: { ...s.eventLoopDelay },
      eventLoopUtilization: s.eventLoopUtilization,
      heapUsedBytes: s.heapUsedBytes,
      heapLimitBytes: s.heapLimitBytes,
      rssBytes: s.rssBytes,
      cpuPercent: s.cpuPercent,
      checks,
      shuttingDown: this.#shuttingDown,
      shedRequests: this.#shed,
      samples: this.#samples,
    };
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
    if (this.#pending !== undefined) return this.#pending;
    // A microtask away, so that a status listener calling refresh() never re-enters a tick.
    const pending = Promise.resolve().then(() => {
      if (this.#closed) throw new ClosedError('HealthMonitor');
      return this.#tick();
    });
    this.#track(pending);
    return pending;
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
    const s = this.#sample;
    return {
      status: this.status,
      message: this.#reasons.length === 0 ? `${this.name} is ${this.status}` : this.#reasons.join('; '),
      details: {
        eventLoopDelayP99Ms: s.eventLoopDelay.p99,
        eventLoopUtilization: s.eventLoopUtilization,
        heapUsedBytes: s.heapUsedBytes,
        heapLimitBytes: s.heapLimitBytes,
        rssBytes: s.rssBytes,
        shuttingDown: this.#shuttingDown,
      },
    };
  }

  /**
   * A liveness probe handler: answers `200` with a small JSON body (`alive`, the current
   * `status`, `shuttingDown`, `pid`, `uptimeMs`) whenever the event loop gets to run it, even while
   * critical or shutting down. A process that is only overloaded must not be restarted (that
   * would move its load onto the others); a process whose loop is stuck cannot answer at all,
   * which is what the probe's timeout detects.
   *
   * Raw `http`, Express (`app.get('/live', handler)`) and Fastify (`reply.hijack()`, then
   * `handler(request.raw, reply.raw)`) all work. `HEAD` gets the headers only.
   *
   * @returns the handler.
   */
  livenessHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      sendJson(req, res, 200, {
        alive: true,
        status: this.status,
        shuttingDown: this.#shuttingDown,
        pid: process.pid,
        uptimeMs: Math.round(process.uptime() * 1000),
      });
    };
  }

  /**
   * A readiness probe handler: answers `200` while the process should get traffic, `503` while it
   * should not: once shutdown has begun (or the monitor is closed) and, by default, while the
   * status is `critical`. `degraded` stays ready (it is still serving). The JSON body is
   * `{ ready, status, shuttingDown }`, or with `detail: true` the whole {@link HealthSnapshot} with
   * `ready` first (serve that one on a private port: it tells a stranger how loaded you are).
   *
   * Raw `http`, Express (`app.get('/ready', handler)`) and Fastify (`reply.hijack()`, then
   * `handler(request.raw, reply.raw)`) all work. `HEAD` gets the headers only.
   *
   * @param options - from which status on the process is not ready; how much the body says.
   * @returns the handler.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  readinessHandler(options?: ReadinessOptions): (req: IncomingMessage, res: ServerResponse) => void {
    const opts = optionsObject('options', options);
    const from = opts.unreadyFrom;
    let unreadyLevel: number;
    if (from === false) unreadyLevel = 3;
    else if (from === undefined) unreadyLevel = 2;
    else
      unreadyLevel =
        oneOfOption('options.unreadyFrom', from, ['degraded', 'critical']) === 'critical' ? 2 : 1;
    const detail = opts.detail === undefined ? false : booleanOption('options.detail', opts.detail);
    return (req, res) => {
      const ready = !this.#shuttingDown && !this.#closed && this.#level < unreadyLevel;
      const body = detail
        ? { ready, ...this.snapshot() }
        : { ready, status: this.status, shuttingDown: this.#shuttingDown };
      sendJson(req, res, ready ? 200 : 503, body);
    };
  }

  /**
   * A node-style `(req, res, next)` handler that refuses requests while the process is overloaded:
   * while the status is `critical` (or from `degraded`, with `shedFrom`), it answers `503 Service
   * Unavailable` with `Retry-After` and does not call `next`; otherwise it calls `next()`. Probe
   * paths (`healthPaths`) and `allow`ed requests are never shed; an `allow` predicate that throws
   * sends its error to `next(error)`. Shutdown does not shed: draining requests are served.
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
    const opts = optionsObject('options', options);
    const shedFrom: Level =
      (opts.shedFrom === undefined
        ? 'critical'
        : oneOfOption('options.shedFrom', opts.shedFrom, ['degraded', 'critical'])) === 'critical'
        ? 2
        : 1;
    const retryAfter = String(integerOption('options.retryAfterSeconds', opts.retryAfterSeconds ?? 5, 0));
    const healthPaths = pathList('options.healthPaths', opts.healthPaths ?? DEFAULT_HEALTH_PATHS);
    let allowFn: ((req: IncomingMessage) => boolean) | undefined;
    let allowPaths: readonly string[] = [];
    if (typeof opts.allow === 'function') allowFn = opts.allow;
    else if (opts.allow !== undefined) allowPaths = pathList('options.allow', opts.allow);
    const headers: OutgoingHttpHeaders = {
      'Retry-After': retryAfter,
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    };
    const body = 'Service Unavailable\n';
    return (req, res, next) => {
      if (this.#level < shedFrom) {
        next();
        return;
      }
      const path = pathOf(req.url);
      if (matchesAny(path, healthPaths) || matchesAny(path, allowPaths)) {
        next();
        return;
      }
      if (allowFn !== undefined) {
        let allowed: boolean;
        try {
          allowed = Boolean(allowFn(req));
        } catch (error) {
          next(error);
          return;
        }
        if (allowed) {
          next();
          return;
        }
      }
      this.#shed++;
      if (res.headersSent || res.writableEnded) return;
      res.writeHead(503, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
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
    const signal = (options as CloseOptions | undefined)?.signal;
    if (signal?.aborted)
      return this.destroy(signal.reason).then(() => Promise.reject(abortReason(signal, 'close')));
    this.#stop(undefined);
    this.#closePromise ??= (this.#pending ?? Promise.resolve()).then(
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
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closing.abort(
      new ClosedError('HealthMonitor', reason === undefined ? undefined : { cause: reason }),
    );
    if (this.#ownsSampler) this.#sampler[Symbol.dispose]?.();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(this.#onTimer, this.#o.intervalMs);
    // A monitor watches a process; it must never be the reason that process stays up.
    this.#timer.unref();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    const reschedule = (): void => this.#schedule();
    const failed = (error: unknown): void => {
      warn('LOADSTONE_WARN_HEALTH_SAMPLER_THREW', 'The HealthMonitor sampler threw', error);
      this.#schedule();
    };
    if (this.#pending !== undefined) {
      // A refresh() is sampling right now: it counts as this interval's sample.
      this.#pending.then(reschedule, reschedule);
      return;
    }
    let result: HealthSnapshot | Promise<HealthSnapshot>;
    try {
      result = this.#tick();
    } catch (error) {
      failed(error);
      return;
    }
    if (result instanceof Promise) {
      this.#track(result);
      result.then(reschedule, failed);
    } else this.#schedule();
  };

  /** Remembers a tick in flight until it settles, so that others join it. */
  #track(pending: Promise<HealthSnapshot>): void {
    this.#pending = pending;
    const clear = (): void => {
      if (this.#pending === pending) this.#pending = undefined;
    };
    pending.then(clear, clear);
  }

  /** One interval: sample, run the checks (if any), evaluate. Synchronous without checks. */
  #tick(): HealthSnapshot | Promise<HealthSnapshot> {
    const sample = this.#sampler.sample();
    const list = this.#checkList;
    if (list.length === 0) return this.#evaluate(sample);
    return Promise.all(list.map((c) => this.#runCheck(c))).then((states) => {
      const checks: Record<string, HealthCheckState> = {};
      list.forEach((c, i) => {
        checks[c.name] = states[i] as HealthCheckState;
      });
      // Closed while the checks ran: they were aborted, which says nothing about this process.
      if (this.#closed) return this.snapshot();
      this.#checks = checks;
      return this.#evaluate(sample);
    });
  }

  /** Runs one check under the timeout and the closing signal; never rejects. */
  #runCheck(check: HealthCheck): Promise<HealthCheckState> {
    const clock = this.#o.clock;
    const timeoutMs = this.#o.checkTimeoutMs;
    const started = clock.now();
    const controller = new AbortController();
    const closing = this.#closing.signal;
    return new Promise<HealthCheckState>((resolve) => {
      let settled = false;
      const finish = (state: HealthCheckState): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        closing.removeEventListener('abort', onClose);
        resolve(state);
      };
      const fail = (error: unknown, latencyMs: number): void =>
        finish({
          status: 'critical',
          latencyMs,
          error: error instanceof Error ? error.message : String(error),
        });
      const timer = setTimeout(() => {
        const error = new TimeoutError(`health check "${check.name}"`, timeoutMs);
        controller.abort(error);
        fail(error, timeoutMs);
      }, timeoutMs);
      // A check in flight keeps the process alive through its own I/O, not through this timer.
      timer.unref();
      const onClose = (): void => {
        controller.abort(closing.reason);
        fail(closing.reason, clock.now() - started);
      };
      if (closing.aborted) {
        onClose();
        return;
      }
      closing.addEventListener('abort', onClose, { once: true });
      let result: Promise<HealthCheckResult>;
      try {
        result = Promise.resolve(check.check(controller.signal));
      } catch (error) {
        fail(error, clock.now() - started);
        return;
      }
      result.then(
        (r) => {
          const latencyMs = Math.max(0, clock.now() - started);
          if (
            typeof r !== 'object' ||
            r === null ||
            !(healthStatuses as readonly unknown[]).includes((r as HealthCheckResult).status)
          ) {
            fail(new Error(`returned ${String(r)}, not a HealthCheckResult`), latencyMs);
            return;
          }
          const state: { -readonly [K in keyof HealthCheckState]: HealthCheckState[K] } = {
            status: r.status,
            latencyMs,
          };
          if (typeof r.message === 'string') state.message = r.message;
          finish(state);
        },
        (error: unknown) => fail(error, Math.max(0, clock.now() - started)),
      );
    });
  }

  /** Applies the thresholds and hysteresis to a sample; moves the status and emits. */
  #evaluate(sample: HealthSample): HealthSnapshot {
    const o = this.#o;
    const e = evaluate(sample, o.thresholds, o.margin, this.#checks);
    const current = this.#level;
    let next: Level = current;
    if (e.level > current) {
      this.#downStreak = 0;
      this.#upLevel = this.#upStreak === 0 ? e.level : (Math.min(this.#upLevel, e.level) as Level);
      this.#upStreak++;
      if (this.#upStreak >= o.enterAfter) next = this.#upLevel;
    } else if (e.recovery < current) {
      this.#upStreak = 0;
      this.#downLevel =
        this.#downStreak === 0 ? e.recovery : (Math.max(this.#downLevel, e.recovery) as Level);
      this.#downStreak++;
      if (this.#downStreak >= o.recoverAfter) next = this.#downLevel;
    } else {
      this.#upStreak = 0;
      this.#downStreak = 0;
    }
    if (next !== current) {
      this.#upStreak = 0;
      this.#downStreak = 0;
    }
    const reasons = e.reasons;
    if (next > e.level) {
      const held = LEVEL_NAMES[next] as string;
      reasons.push(
        this.#downStreak > 0
          ? `recovering: ${this.#downStreak} of ${o.recoverAfter} intervals below the recovery level`
          : `holding ${held}: a metric is within the ${Math.round(o.margin * 100)} % recovery margin of its threshold`,
      );
    }
    this.#level = next;
    this.#sample = sample;
    this.#reasons = reasons;
    this.#at = Date.now();
    this.#samples++;
    const snapshot = this.snapshot();
    if (next !== current) {
      const previous = LEVEL_NAMES[current] as HealthStatus;
      const status = LEVEL_NAMES[next] as HealthStatus;
      const reason = reasons.join('; ');
      const change: LoadChange = Object.freeze(
        reason === ''
          ? { status, previous, at: o.clock.now() }
          : { status, previous, reason, at: o.clock.now() },
      );
      for (const entry of [...this.#listeners]) {
        if (!this.#listeners.has(entry)) continue; // unsubscribed by an earlier listener
        try {
          entry.listener(change);
        } catch (error) {
          warn('LOADSTONE_WARN_HEALTH_LISTENER_THREW', 'A HealthMonitor status listener threw', error);
        }
      }
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
      warn('LOADSTONE_WARN_HEALTH_LISTENER_THREW', `A HealthMonitor '${name}' listener threw`, error);
    }
  }
}

function warn(code: string, message: string, error: unknown): void {
  process.emitWarning(`${message}: ${String(error)}`, {
    code,
    detail: error instanceof Error ? error.stack : undefined,
  });
}

/** Writes a JSON probe answer; the body is left out for `HEAD`. */
function sendJson(req: IncomingMessage, res: ServerResponse, statusCode: number, value: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The path of a request URL, without the query string or fragment. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** `/admin` matches `/admin`, `/admin/` and `/admin/users`, not `/administrator`. */
function matchesAny(path: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) {
    if (path === prefix) return true;
    if (path.startsWith(prefix) && (prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47))
      return true;
  }
  return false;
}

function pathList(path: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(path, 'an array of paths starting with `/`', value);
  return value.map((p, i) => {
    if (typeof p !== 'string' || !p.startsWith('/')) {
      throw new InvalidOptionError(`${path}[${i}]`, 'a path starting with `/`', p);
    }
    return p;
  });
}

function resolveOptions(options: HealthMonitorOptions | undefined): {
  resolved: ResolvedHealthMonitorOptions;
  sampler: HealthSampler | undefined;
} {
  const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
  rejectUnknownOptions(opts, KNOWN_OPTIONS, 'HealthMonitor', RENAMED);
  const name = nonEmptyStringOption('options.name', opts.name ?? 'health');
  const intervalMs = integerOption('options.intervalMs', opts.intervalMs ?? 1000, 1, MAX_TIMER_MS);
  const thresholds = resolveThresholds(opts.thresholds as HealthMonitorOptions['thresholds']);
  const h = optionsObject(
    'options.hysteresis',
    opts.hysteresis as HealthMonitorOptions['hysteresis'],
  ) as Partial<Record<string, unknown>>;
  for (const key of Object.keys(h)) {
    if (key !== 'enterAfter' && key !== 'recoverAfter' && key !== 'margin') {
      throw new InvalidOptionError(
        `options.hysteresis.${key}`,
        'absent: the hysteresis options are `enterAfter`, `recoverAfter` and `margin`',
        h[key],
      );
    }
  }
  const enterAfter = integerOption('options.hysteresis.enterAfter', h.enterAfter ?? 1, 1);
  const recoverAfter = integerOption('options.hysteresis.recoverAfter', h.recoverAfter ?? 3, 1);
  const margin = numberOption('options.hysteresis.margin', h.margin ?? 0.1, 0, 1);
  if (margin === 1)
    throw new InvalidOptionError('options.hysteresis.margin', 'a finite number >= 0 and < 1', margin);
  const checks = resolveChecks(opts.checks);
  const checkTimeoutMs = integerOption(
    'options.checkTimeoutMs',
    opts.checkTimeoutMs ?? 1000,
    1,
    MAX_TIMER_MS,
  );
  let sampler: HealthSampler | undefined;
  if (opts.sampler !== undefined) {
    functionOption('options.sampler.sample', (opts.sampler as Partial<HealthSampler> | null)?.sample);
    sampler = opts.sampler as HealthSampler;
  }
  const clock = (opts.clock ?? systemClock) as Clock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new InvalidOptionError('options.clock', 'a Clock (an object with a now() method)', opts.clock);
  }
  return {
    resolved: Object.freeze({
      name,
      intervalMs,
      thresholds,
      enterAfter,
      recoverAfter,
      margin,
      checks,
      checkTimeoutMs,
      clock,
    }),
    sampler,
  };
}

function resolveChecks(value: unknown): readonly HealthCheck[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new InvalidOptionError('options.checks', 'an array of HealthCheck', value);
  const names = new Set<string>();
  for (const [i, check] of value.entries()) {
    const { name } = validCheck(`options.checks[${i}]`, check);
    if (names.has(name)) {
      throw new InvalidOptionError(`options.checks[${i}].name`, 'a name no other check has', name);
    }
    names.add(name);
  }
  return Object.freeze([...(value as HealthCheck[])]);
}

function validCheck(path: string, check: unknown): HealthCheck {
  if (typeof check !== 'object' || check === null) {
    throw new InvalidOptionError(path, 'a HealthCheck (`name` and `check()`)', check);
  }
  nonEmptyStringOption(`${path}.name`, (check as Partial<HealthCheck>).name);
  functionOption(`${path}.check`, (check as Partial<HealthCheck>).check);
  return check as HealthCheck;
}
