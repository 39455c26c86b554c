import { EventEmitter } from 'node:events';
import type { Clock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { abortReason } from '../core/internal/abort.js';
import { functionOption } from '../core/internal/validate.js';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type {
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
} from './CircuitBreakerOptions.js';
import { CircuitCounters } from './CircuitCounters.js';
import { CircuitDeadlineQueue } from './CircuitDeadlineQueue.js';
import type { CircuitPermit } from './CircuitPermit.js';
import { CircuitStateMachine, CLOSED } from './CircuitStateMachine.js';
import { CircuitTripPolicy } from './CircuitTripPolicy.js';
import { NEVER_ABORTED, raceCall } from './raceCall.js';
import { resolveCircuitBreakerOptions } from './resolveCircuitBreakerOptions.js';

/** A closed breaker times one plain call in this many (see CircuitBreakerStats.latency). */
const LATENCY_SAMPLE_EVERY = 16;

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
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #latency = new LatencyRecorder();
  readonly #counters = new CircuitCounters();
  readonly #policy: CircuitTripPolicy;
  readonly #machine: CircuitStateMachine;
  readonly #deadlines: CircuitDeadlineQueue;
  readonly #what: string;
  #untilSample = 1;

  // The closed-state fast path settles through these two, made once per breaker: no closure per call.
  readonly #onFastSuccess = (value: unknown): unknown => {
    this.#machine.succeeded();
    return value;
  };
  readonly #onFastFailure = (error: unknown): never => {
    this.#machine.failedUntimed(error);
    throw error;
  };

  /**
   * @param options - name, opening rules and recovery.
   * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option,
   * or when neither `failureRatio` nor `consecutiveFailures` is given.
   */
  constructor(options: CircuitBreakerOptions) {
    super();
    const o = resolveCircuitBreakerOptions(options);
    this.name = o.name;
    this.#clock = o.clock;
    this.#timeoutMs = o.timeoutMs;
    this.#what = `CircuitBreaker "${o.name}" call`;
    this.#policy = new CircuitTripPolicy(o);
    this.#machine = new CircuitStateMachine(o, this.#policy, this.#counters, this);
    this.#deadlines = new CircuitDeadlineQueue(o.timeoutMs, this.#what, o.clock, this.#machine);
  }

  /**
   * The current state. Reading it after `openDurationMs` in the open state moves the breaker to
   * half-open (and emits `state:changed`).
   */
  get state(): CircuitState {
    this.#machine.refresh(this.#clock.now());
    return this.#machine.stateName;
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
      this.#machine.state !== CLOSED ||
      signal !== undefined ||
      --this.#untilSample === 0 ||
      typeof fn !== 'function'
    ) {
      return this.#executeFull(fn, signal);
    }
    if (this.#timeoutMs !== 0) return this.#executeTimed(fn);
    // Fast path: closed, no signal, not sampled for latency (timed calls: the deadline queue).
    this.#counters.calls++;
    let result: T | PromiseLike<T>;
    try {
      result = fn(NEVER_ABORTED);
    } catch (error) {
      this.#machine.failedUntimed(error);
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(this.#onFastSuccess, this.#onFastFailure) as Promise<T>;
  }

  /**
   * Admits one call that the caller runs and settles itself (a balancer's request, a stream), as
   * Resilience4j's `tryAcquirePermission`: the same admission as {@link CircuitBreaker.execute},
   * without a promise or an exception on the refusing path.
   *
   * @returns a permit to settle exactly once; `undefined` when open, or half-open with every
   *   probe slot taken (counted in `stats().rejections`).
   *
   * @example
   * {@includeCode ./CircuitBreaker.permit.test.ts#tryAcquire}
   */
  tryAcquire(): CircuitPermit | undefined {
    const clock = this.#clock;
    const machine = this.#machine;
    const start = clock.now();
    let probe: boolean;
    try {
      probe = machine.admit(start);
    } catch {
      return undefined; // open: admit counted the rejection
    }
    const generation = machine.generation;
    this.#counters.calls++;
    let settled = false;
    const settle = (): number | undefined => {
      if (settled) return undefined;
      settled = true;
      const end = clock.now();
      this.#latency.record(Math.max(0, end - start));
      return end;
    };
    return {
      probe,
      success: () => {
        const end = settle();
        if (end !== undefined) machine.settleSuccess(end, probe, generation);
      },
      failure: () => {
        const end = settle();
        if (end !== undefined) machine.settleFailure(end, probe, generation);
      },
      release: () => {
        if (settled) return;
        settled = true;
        this.#counters.aborts++;
        if (probe) machine.releaseProbe(generation);
      },
    };
  }

  /**
   * Holds the breaker open, whatever happens, until {@link CircuitBreaker.reset}: for
   * maintenance, or when another signal says the dependency is down. Calls are refused with
   * `retryAfterMs: Infinity`.
   */
  isolate(): void {
    this.#machine.isolate(this.#clock.now());
  }

  /**
   * Closes the breaker and forgets its window and consecutive failures (ends an `isolate()` too).
   * Counters in `stats()` and latency are kept.
   */
  reset(): void {
    this.#machine.reset(this.#clock.now());
  }

  /**
   * A snapshot of the breaker's state and counters.
   *
   * @returns a fresh plain object.
   */
  stats(): CircuitBreakerStats {
    const now = this.#clock.now();
    const machine = this.#machine;
    machine.refresh(now);
    const window = this.#policy.windowStats(now);
    const counters = this.#counters;
    return {
      name: this.name,
      state: machine.stateName,
      isolated: machine.isolated,
      calls: counters.calls,
      successes: counters.successes,
      failures: counters.failures,
      timeouts: counters.timeouts,
      aborts: counters.aborts,
      rejections: counters.rejections,
      opened: counters.opened,
      consecutiveFailures: this.#policy.consecutive,
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
    const machine = this.#machine;
    const start = clock.now();
    const probe = machine.admit(start);
    if (!probe) this.#untilSample = LATENCY_SAMPLE_EVERY;
    const generation = machine.generation;
    this.#counters.calls++;

    let timeoutError: TimeoutError | undefined;
    let abortError: Error | undefined;
    let value: T;
    try {
      if (signal === undefined && this.#timeoutMs === 0) value = await fn(NEVER_ABORTED);
      else {
        value = await raceCall(
          fn,
          signal,
          this.#timeoutMs,
          this.#what,
          (e) => (timeoutError = e),
          (e) => (abortError = e),
        );
      }
    } catch (error) {
      const end = clock.now();
      if (abortError !== undefined && error === abortError) {
        this.#counters.aborts++;
        // Stryker disable next-line ConditionalExpression: a non-probe was admitted while closed, where the probe count is unread until a state change resets it
        if (probe) machine.releaseProbe(generation);
        throw error;
      }
      this.#latency.record(Math.max(0, end - start));
      const failed = error === timeoutError || this.#policy.isFailure(error);
      if (error === timeoutError) this.#counters.timeouts++;
      if (!failed) machine.settleSuccess(end, probe, generation);
      else machine.settleFailure(end, probe, generation);
      throw error;
    }
    const end = clock.now();
    this.#latency.record(Math.max(0, end - start));
    machine.settleSuccess(end, probe, generation);
    return value;
  }

  /** Closed-state call under `timeoutMs`, no caller signal: timed out through the deadline queue. */
  #executeTimed<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    this.#counters.calls++;
    // Node's AbortController costs microseconds to make: a `fn` that declares no parameter cannot
    // read the signal, so it gets none of its own.
    const controller = fn.length === 0 ? undefined : new AbortController();
    let result: T | PromiseLike<T>;
    try {
      result = fn(controller === undefined ? NEVER_ABORTED : controller.signal);
    } catch (error) {
      this.#machine.failedUntimed(error);
      return Promise.reject(error);
    }
    const deadlines = this.#deadlines;
    const call = deadlines.track(controller);
    return new Promise<T>((resolve, reject) => {
      call.reject = reject;
      Promise.resolve(result).then(
        (value) => {
          if (call.settled) return; // timed out already: the late outcome moves nothing
          deadlines.settle(call);
          this.#machine.succeeded();
          resolve(value);
        },
        (error: unknown) => {
          if (call.settled) return;
          deadlines.settle(call);
          this.#machine.failedUntimed(error);
          reject(error);
        },
      );
    });
  }
}
