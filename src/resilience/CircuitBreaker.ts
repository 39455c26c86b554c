import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../core/Clock.js';
import { CircuitOpenError } from '../core/errors/CircuitOpenError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import {
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  optionsObject,
  rejectUnknownOptions,
} from '../core/internal/validate.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type {
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
  CircuitStateChangedEvent,
  CircuitStateChangeReason,
} from './CircuitBreakerOptions.js';
import { CircuitBreakerWindow } from './CircuitBreakerWindow.js';

// States as small integers on the hot path; names only at the edges.
const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
type StateCode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN;
const STATE_NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/** A closed breaker times one plain call in this many (see CircuitBreakerStats.latency). */
const LATENCY_SAMPLE_EVERY = 16;
/** setTimeout's limit. */
/** What `fn` receives when the call can be neither timed out nor aborted. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;
const NO_REJECT = (): void => {};

/** A closed-state call running under `timeoutMs`, waiting in the breaker's deadline queue. */
type TimedCall = {
  /** Clock time it started; only differences between calls are used (see #onDeadline). */
  readonly startedAt: number;
  settled: boolean;
  reject: (error: unknown) => void;
  readonly controller: AbortController | undefined;
};

const KNOWN_OPTIONS = new Set([
  'name',
  'failureRatio',
  'minimumCalls',
  'windowMs',
  'consecutiveFailures',
  'openDurationMs',
  'halfOpenMaxProbes',
  'timeoutMs',
  'isFailure',
  'clock',
]);
/** Option names of opossum and cockatiel, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = {
  timeout: 'timeoutMs',
  resetTimeout: 'openDurationMs',
  halfOpenAfter: 'openDurationMs',
  errorThresholdPercentage: 'failureRatio',
  volumeThreshold: 'minimumCalls',
  rollingCountTimeout: 'windowMs',
  errorFilter: 'isFailure',
};

type ResolvedCircuitBreakerOptions = {
  readonly name: string;
  /** `0` when the failure-ratio rule is off. */
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly windowMs: number;
  /** `0` when the consecutive-failures rule is off. */
  readonly consecutiveFailures: number;
  readonly openDurationMs: number;
  readonly halfOpenMaxProbes: number;
  readonly timeoutMs: number;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
  readonly clock: Clock;
};

/** Builds the `state:changed` payload. */
function stateChanged(
  name: string,
  from: StateCode,
  to: StateCode,
  reason: CircuitStateChangeReason,
): CircuitStateChangedEvent {
  return { name, from: STATE_NAMES[from] as CircuitState, to: STATE_NAMES[to] as CircuitState, reason };
}

/**
 * Stops calling a failing dependency for a while, so that it can recover and callers fail fast
 * instead of piling up behind timeouts.
 *
 * - **closed**: calls run and their outcomes are counted. The breaker opens when the
 *   `failureRatio` rule (share of failures over a rolling `windowMs`, once it holds
 *   `minimumCalls` calls) or the `consecutiveFailures` rule is met, whichever comes first.
 * - **open**: calls are refused with {@link CircuitOpenError} (with `retryAfterMs`), without
 *   running. After `openDurationMs` the breaker goes half-open; the move is lazy, made by the
 *   next `execute`, `state`, `stats()` or `check()`, so an idle breaker owns no timer.
 * - **half-open**: up to `halfOpenMaxProbes` probe calls run at once, extra calls are refused.
 *   The first probe to succeed closes the breaker (with a fresh window); the first to fail opens it
 *   again for another `openDurationMs`.
 *
 * A call that exceeds `timeoutMs` rejects with {@link TimeoutError} and counts as a failure. A
 * call the caller aborts rejects at once with `signal.reason` and counts as nothing. Outcomes of
 * calls that started before a state change do not move the breaker (a slow call that fails after
 * the breaker opened does not extend the open time). Errors pass through unchanged.
 *
 * Events: `state:changed` ({@link CircuitStateChangedEvent}). It is also a
 * {@link HealthCheck} (closed: healthy, half-open: degraded, open: critical) and a
 * {@link MetricsSource} of {@link CircuitBreakerStats}.
 *
 * A closed breaker's plain call (no signal, no `timeoutMs`) allocates only the promise it
 * returns, starts no timer and, with only the `consecutiveFailures` rule, reads no clock. With
 * `timeoutMs`, calls share one deadline queue and one unref'd timer rather than a timer each.
 *
 * @example
 * {@includeCode ./CircuitBreaker.test.ts#circuitBreaker}
 */
export class CircuitBreaker
  extends EventEmitter<CircuitBreakerEvents>
  implements HealthCheck, MetricsSource<CircuitBreakerStats>
{
  /** The breaker's name, from the options. */
  readonly name: string;
  readonly #options: ResolvedCircuitBreakerOptions;
  readonly #clock: Clock;
  readonly #window: CircuitBreakerWindow | undefined;
  readonly #timeoutMs: number;
  readonly #latency = new LatencyRecorder();
  readonly #what: string;
  #state: StateCode = CLOSED;
  #isolated = false;
  /** Clock time at which the breaker last opened. */
  #openedAt = 0;
  /** Probe calls in flight (half-open only). */
  #probes = 0;
  /** Bumped on every state change, so that late outcomes of earlier calls are told apart. */
  #generation = 0;
  #consecutive = 0;
  #untilSample = 1;
  // Every call has the same timeoutMs, so deadlines fall in start order: one queue and one
  // unref'd timer serve all timed calls, instead of a setTimeout/clearTimeout pair per call
  // (which cost more than the rest of the call).
  readonly #timed: TimedCall[] = [];
  #timedHead = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  /** Start time of the call the deadline timer was armed for. */
  #armedStart = 0;
  #calls = 0;
  #successes = 0;
  #failures = 0;
  #timeouts = 0;
  #aborts = 0;
  #rejections = 0;
  #opened = 0;

  // The closed-state fast path settles through these two, made once per breaker: no closure per call.
  readonly #onFastSuccess = (value: unknown): unknown => {
    this.#succeeded();
    return value;
  };
  readonly #onFastFailure = (error: unknown): never => {
    this.#failedUntimed(error);
    throw error;
  };

  /**
   * @param options - name, opening rules and recovery.
   * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option,
   * or when neither `failureRatio` nor `consecutiveFailures` is given.
   */
  constructor(options: CircuitBreakerOptions) {
    super();
    const o = resolveOptions(options);
    this.#options = o;
    this.name = o.name;
    this.#clock = o.clock;
    this.#timeoutMs = o.timeoutMs;
    this.#what = `CircuitBreaker "${o.name}" call`;
    this.#window = o.failureRatio === 0 ? undefined : new CircuitBreakerWindow(o.windowMs, o.clock.now());
  }

  /**
   * The current state. Reading it after `openDurationMs` in the open state moves the breaker to
   * half-open (and emits `state:changed`).
   */
  get state(): CircuitState {
    this.#refresh(this.#clock.now());
    return STATE_NAMES[this.#state] as CircuitState;
  }

  /**
   * Runs `fn` through the breaker.
   *
   * @typeParam T - what `fn` resolves to.
   * @param fn - the call; receives a signal that is aborted on timeout (with the `TimeoutError`)
   * or when `signal` aborts (with its reason). Pass it on to the I/O so abandoned work stops.
   * (A `fn` declaring no parameter gets a never-aborted signal: making one costs microseconds.)
   * @param signal - the caller's signal: an abort rejects at once with `signal.reason`, and the
   * call counts as neither success nor failure.
   * @returns what `fn` resolved to.
   * @throws a {@link CircuitOpenError} `ERR_LOADSTONE_CIRCUIT_OPEN` when open (or half-open with
   * every probe slot taken); {@link TimeoutError} `ERR_LOADSTONE_TIMEOUT` past `timeoutMs`;
   * `signal.reason` on abort; what `fn` threw, unchanged; {@link InvalidOptionError}
   * `ERR_LOADSTONE_INVALID_OPTION` when `fn` is not a function or `signal` not an `AbortSignal`.
   * All of these reject the promise; `execute` never throws synchronously.
   */
  execute<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (
      this.#state !== CLOSED ||
      signal !== undefined ||
      --this.#untilSample === 0 ||
      typeof fn !== 'function'
    ) {
      return this.#executeFull(fn, signal);
    }
    if (this.#timeoutMs !== 0) return this.#executeTimed(fn);
    // Fast path: closed, no signal, not sampled for latency (timed calls: the deadline queue).
    this.#calls++;
    let result: T | PromiseLike<T>;
    try {
      result = fn(NEVER_ABORTED);
    } catch (error) {
      this.#failedUntimed(error);
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(this.#onFastSuccess, this.#onFastFailure) as Promise<T>;
  }

  /**
   * Holds the breaker open, whatever happens, until {@link CircuitBreaker.reset}: for
   * maintenance, or when another signal says the dependency is down. Calls are refused with
   * `retryAfterMs: Infinity`.
   */
  isolate(): void {
    const now = this.#clock.now();
    this.#isolated = true;
    if (this.#state === OPEN) this.#openedAt = now;
    else this.#transition(OPEN, now, 'isolated');
  }

  /**
   * Closes the breaker and forgets its window and consecutive failures (ends an `isolate()` too).
   * Counters in `stats()` and latency are kept.
   */
  reset(): void {
    const now = this.#clock.now();
    this.#isolated = false;
    if (this.#state !== CLOSED) this.#transition(CLOSED, now, 'reset');
    else {
      this.#consecutive = 0;
      this.#window?.clear(now);
    }
  }

  /**
   * A snapshot of the breaker's state and counters.
   *
   * @returns a fresh plain object.
   */
  stats(): CircuitBreakerStats {
    const now = this.#clock.now();
    this.#refresh(now);
    const w = this.#window;
    let window: CircuitBreakerStats['window'] = null;
    if (w !== undefined) {
      const calls = w.calls(now);
      const failures = w.failures(now);
      window = { calls, failures, failureRatio: calls === 0 ? 0 : failures / calls };
    }
    return {
      name: this.name,
      state: STATE_NAMES[this.#state] as CircuitState,
      isolated: this.#isolated,
      calls: this.#calls,
      successes: this.#successes,
      failures: this.#failures,
      timeouts: this.#timeouts,
      aborts: this.#aborts,
      rejections: this.#rejections,
      opened: this.#opened,
      consecutiveFailures: this.#consecutive,
      window,
      latency: this.#latency.snapshot(),
    };
  }

  /**
   * The breaker as a health check: `healthy` when closed, `degraded` when half-open,
   * `critical` when open.
   *
   * @param signal - rejects with `signal.reason` if already aborted.
   * @returns the verdict, with the state and window in `details`.
   */
  async check(signal?: AbortSignal): Promise<HealthCheckResult> {
    if (signal?.aborted) throw abortReason(signal, `health check "${this.name}"`);
    const s = this.stats();
    const status = s.state === 'closed' ? 'healthy' : s.state === 'half-open' ? 'degraded' : 'critical';
    const details: Record<string, string | number | boolean> = {
      state: s.state,
      isolated: s.isolated,
      consecutiveFailures: s.consecutiveFailures,
    };
    if (s.window !== null) {
      details.windowCalls = s.window.calls;
      details.windowFailureRatio = s.window.failureRatio;
    }
    return { status, message: `circuit breaker "${this.name}" is ${s.state}`, details };
  }

  /** Everything but the fast path: admission in every state, signals, timeouts, latency samples. */
  async #executeFull<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    functionOption('fn', fn);
    if (signal !== undefined) {
      if (!(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'an AbortSignal', signal);
      if (signal.aborted) throw abortReason(signal, this.#what);
    }
    const clock = this.#clock;
    const start = clock.now();
    this.#refresh(start);
    let probe = false;
    if (this.#state === OPEN) {
      this.#rejections++;
      throw new CircuitOpenError(this.name, this.#retryAfterMs(start));
    }
    if (this.#state === HALF_OPEN) {
      if (this.#probes >= this.#options.halfOpenMaxProbes) {
        this.#rejections++;
        throw new CircuitOpenError(this.name, 0);
      }
      this.#probes++;
      probe = true;
    } else {
      this.#untilSample = LATENCY_SAMPLE_EVERY;
    }
    const generation = this.#generation;
    this.#calls++;

    let timeoutError: TimeoutError | undefined;
    let abortError: Error | undefined;
    let value: T;
    try {
      if (signal === undefined && this.#timeoutMs === 0) value = await fn(NEVER_ABORTED);
      else {
        value = await this.#race(
          fn,
          signal,
          (e) => (timeoutError = e),
          (e) => (abortError = e),
        );
      }
    } catch (error) {
      const end = clock.now();
      if (abortError !== undefined && error === abortError) {
        this.#aborts++;
        if (probe && generation === this.#generation) this.#probes--;
        throw error;
      }
      this.#latency.record(Math.max(0, end - start));
      const failed = error === timeoutError || this.#isFailure(error);
      if (error === timeoutError) this.#timeouts++;
      if (!failed) this.#settleSuccess(end, probe, generation);
      else this.#settleFailure(end, probe, generation);
      throw error;
    }
    const end = clock.now();
    this.#latency.record(Math.max(0, end - start));
    this.#settleSuccess(end, probe, generation);
    return value;
  }

  /** Runs `fn` against the timeout and the caller's signal; reports which of them fired. */
  #race<T>(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    signal: AbortSignal | undefined,
    onTimeout: (error: TimeoutError) => void,
    onAbort: (error: Error) => void,
  ): Promise<T> {
    // Node's AbortController costs microseconds to make: a `fn` that declares no parameter cannot
    // read the signal, so it gets none of its own.
    const controller = fn.length === 0 ? undefined : new AbortController();
    const timeoutMs = this.#timeoutMs;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const abort = (): void => {
        const error = abortReason(signal as AbortSignal, this.#what);
        cleanup();
        onAbort(error);
        controller?.abort(error);
        reject(error);
      };
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      };
      if (timeoutMs !== 0) {
        timer = setTimeout(() => {
          const error = new TimeoutError(this.#what, timeoutMs);
          cleanup();
          onTimeout(error);
          controller?.abort(error);
          reject(error);
        }, timeoutMs);
        // An in-flight call keeps the process alive through its own I/O, not through this timer.
        timer.unref();
      }
      signal?.addEventListener('abort', abort, { once: true });
      // A synchronous throw inside the executor rejects the promise, which is what we want.
      Promise.resolve(fn(controller === undefined ? NEVER_ABORTED : controller.signal)).then(
        (v) => {
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          cleanup();
          reject(e);
        },
      );
    });
  }

  /** Closed-state call under `timeoutMs`, no caller signal: timed out through the deadline queue. */
  #executeTimed<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    this.#calls++;
    // Node's AbortController costs microseconds to make: a `fn` that declares no parameter cannot
    // read the signal, so it gets none of its own.
    const controller = fn.length === 0 ? undefined : new AbortController();
    let result: T | PromiseLike<T>;
    try {
      result = fn(controller === undefined ? NEVER_ABORTED : controller.signal);
    } catch (error) {
      this.#failedUntimed(error);
      return Promise.reject(error);
    }
    const call: TimedCall = { startedAt: this.#clock.now(), settled: false, reject: NO_REJECT, controller };
    this.#timed.push(call);
    if (this.#deadlineTimer === undefined) this.#armDeadline(call, this.#timeoutMs);
    return new Promise<T>((resolve, reject) => {
      call.reject = reject;
      Promise.resolve(result).then(
        (value) => {
          if (call.settled) return; // timed out already: the late outcome moves nothing
          this.#dequeue(call);
          this.#succeeded();
          resolve(value);
        },
        (error: unknown) => {
          if (call.settled) return;
          this.#dequeue(call);
          this.#failedUntimed(error);
          reject(error);
        },
      );
    });
  }

  #armDeadline(call: TimedCall, delayMs: number): void {
    this.#armedStart = call.startedAt;
    this.#deadlineTimer = setTimeout(this.#onDeadline, delayMs);
    // An in-flight call keeps the process alive through its own I/O, not through this timer.
    this.#deadlineTimer.unref();
  }

  /** Marks a timed call settled and drops settled calls from the front of the queue. */
  #dequeue(call: TimedCall): void {
    call.settled = true;
    const timed = this.#timed;
    while (this.#timedHead < timed.length && (timed[this.#timedHead] as TimedCall).settled) this.#timedHead++;
    if (this.#timedHead === timed.length) {
      timed.length = 0;
      this.#timedHead = 0;
    } else if (this.#timedHead > 1024 && this.#timedHead * 2 > timed.length) {
      timed.splice(0, this.#timedHead);
      this.#timedHead = 0;
    }
  }

  /**
   * The deadline timer fired: `timeoutMs` has passed since the call it was armed for started.
   * Calls that started no later than that one have timed out; the timer is re-armed for the next.
   * Only differences between start times are read from the clock, so a fake clock that does not
   * move (with fake timers) still times calls out when the timer fires.
   */
  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined;
    const timed = this.#timed;
    while (this.#timedHead < timed.length) {
      const call = timed[this.#timedHead] as TimedCall;
      if (call.settled) {
        this.#timedHead++;
        continue;
      }
      const remainingMs = call.startedAt - this.#armedStart;
      if (remainingMs > 0) {
        this.#armDeadline(call, Math.min(remainingMs, this.#timeoutMs));
        return;
      }
      this.#timedHead++;
      call.settled = true;
      const error = new TimeoutError(this.#what, this.#timeoutMs);
      this.#timeouts++;
      this.#failures++;
      if (this.#state === CLOSED) this.#failedWhileClosed(this.#clock.now());
      call.controller?.abort(error);
      call.reject(error);
    }
    timed.length = 0;
    this.#timedHead = 0;
  };

  /** Fast-path success (no timestamp unless the window needs one). */
  #succeeded(): void {
    this.#successes++;
    if (this.#state !== CLOSED) return;
    this.#consecutive = 0;
    this.#window?.record(this.#clock.now(), false);
  }

  /** Fast-path failure (not timed). */
  #failedUntimed(error: unknown): void {
    if (!this.#isFailure(error)) {
      this.#succeeded();
      return;
    }
    this.#failures++;
    if (this.#state === CLOSED) this.#failedWhileClosed(this.#clock.now());
  }

  #settleSuccess(now: number, probe: boolean, generation: number): void {
    this.#successes++;
    if (generation !== this.#generation) return;
    if (probe) {
      this.#probes--;
      this.#transition(CLOSED, now, 'probe-succeeded');
    } else if (this.#state === CLOSED) {
      this.#consecutive = 0;
      this.#window?.record(now, false);
    }
  }

  #settleFailure(now: number, probe: boolean, generation: number): void {
    this.#failures++;
    if (generation !== this.#generation) return;
    if (probe) {
      this.#probes--;
      this.#transition(OPEN, now, 'probe-failed');
    } else if (this.#state === CLOSED) {
      this.#failedWhileClosed(now);
    }
  }

  /** Counts a failure in the closed state and opens the breaker if a rule is met. */
  #failedWhileClosed(now: number): void {
    const o = this.#options;
    this.#consecutive++;
    const w = this.#window;
    w?.record(now, true);
    if (o.consecutiveFailures !== 0 && this.#consecutive >= o.consecutiveFailures) {
      this.#transition(OPEN, now, 'consecutive-failures');
      return;
    }
    if (w !== undefined) {
      const calls = w.calls(now);
      if (calls >= o.minimumCalls && w.failures(now) / calls >= o.failureRatio) {
        this.#transition(OPEN, now, 'failure-ratio');
      }
    }
  }

  #isFailure(error: unknown): boolean {
    const isFailure = this.#options.isFailure;
    if (isFailure === undefined) return true;
    try {
      return Boolean(isFailure(error));
    } catch {
      return true;
    }
  }

  /** Open → half-open once `openDurationMs` has passed (not while isolated). */
  #refresh(now: number): void {
    if (this.#state === OPEN && !this.#isolated && now - this.#openedAt >= this.#options.openDurationMs) {
      this.#transition(HALF_OPEN, now, 'open-duration-elapsed');
    }
  }

  #retryAfterMs(now: number): number {
    if (this.#isolated) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.#openedAt + this.#options.openDurationMs - now);
  }

  #transition(to: StateCode, now: number, reason: CircuitStateChangeReason): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#probes = 0;
    if (to === OPEN) {
      this.#openedAt = now;
      this.#opened++;
    }
    if (to === CLOSED) {
      this.#consecutive = 0;
      this.#window?.clear(now);
    }
    if (this.listenerCount('state:changed') === 0) return;
    try {
      this.emit('state:changed', stateChanged(this.name, from, to, reason));
    } catch (error) {
      // A listener's bug must not leave the breaker half-changed or fail an unrelated call.
      process.emitWarning(
        `A 'state:changed' listener of circuit breaker "${this.name}" threw: ${String(error)}`,
        { code: 'LOADSTONE_WARN_BREAKER_LISTENER_THREW', detail: (error as Error)?.stack },
      );
    }
  }
}

function resolveOptions(options: CircuitBreakerOptions): ResolvedCircuitBreakerOptions {
  if (options === undefined) throw new InvalidOptionError('options', 'an object', options);
  const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
  rejectUnknownOptions(opts, KNOWN_OPTIONS, 'CircuitBreaker', RENAMED);
  const name = nonEmptyStringOption('options.name', opts.name);
  const hasRatio = opts.failureRatio !== undefined;
  if (!hasRatio && opts.consecutiveFailures === undefined) {
    throw new InvalidOptionError(
      'options.failureRatio',
      'a number (or `options.consecutiveFailures` set): a breaker needs a rule to open',
      undefined,
    );
  }
  if (!hasRatio) {
    for (const key of ['minimumCalls', 'windowMs'] as const) {
      if (opts[key] !== undefined) {
        throw new InvalidOptionError(
          `options.${key}`,
          'absent: it applies only with `options.failureRatio`',
          opts[key],
        );
      }
    }
  }
  const failureRatio = hasRatio ? numberOption('options.failureRatio', opts.failureRatio, 0, 1, true) : 0;
  const minimumCalls = integerOption('options.minimumCalls', opts.minimumCalls ?? 10, 1);
  const windowMs = numberOption('options.windowMs', opts.windowMs ?? 10_000, 1);
  const consecutiveFailures =
    opts.consecutiveFailures === undefined
      ? 0
      : integerOption('options.consecutiveFailures', opts.consecutiveFailures, 1);
  const openDurationMs = numberOption('options.openDurationMs', opts.openDurationMs ?? 10_000, 0);
  const halfOpenMaxProbes = integerOption('options.halfOpenMaxProbes', opts.halfOpenMaxProbes ?? 1, 1);
  const timeoutMs = numberOption('options.timeoutMs', opts.timeoutMs ?? 0, 0, MAX_TIMER_MS);
  const isFailure =
    opts.isFailure === undefined
      ? undefined
      : functionOption<(error: unknown) => boolean>('options.isFailure', opts.isFailure);
  const clock = (opts.clock ?? systemClock) as Clock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new InvalidOptionError('options.clock', 'a Clock (an object with a now() method)', opts.clock);
  }
  return Object.freeze({
    name,
    failureRatio,
    minimumCalls,
    windowMs,
    consecutiveFailures,
    openDurationMs,
    halfOpenMaxProbes,
    timeoutMs,
    isFailure,
    clock,
  });
}
