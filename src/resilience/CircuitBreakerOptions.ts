import type { Clock } from '../core/Clock.js';
import type { LatencySnapshot } from '../core/LatencyRecorder.js';

/**
 * A circuit breaker's state: `closed` (calls run, outcomes are counted), `open` (calls are
 * refused with `CircuitOpenError`) or `half-open` (a limited number of probe calls run; the
 * first to succeed closes the breaker, the first to fail opens it again).
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options every {@link CircuitBreakerOptions} has, whichever rule opens the breaker. */
export type CircuitBreakerCommonOptions = {
  /** Names the breaker in errors, events, stats and health reports, e.g. `payments-api`. */
  readonly name: string;
  /**
   * How long the breaker stays open before it lets probe calls through, in ms. The move to
   * half-open is lazy (no timer): it happens at the first `execute`, `state` read, `stats()`
   * or `check()` after this time. `0` means the very next call is a probe. Minimum: 0.
   * @default 10_000
   */
  readonly openDurationMs?: number;
  /**
   * How many probe calls may run at once while half-open; more are refused with
   * `CircuitOpenError` (`retryAfterMs` 0). Minimum: 1.
   * @default 1
   */
  readonly halfOpenMaxProbes?: number;
  /**
   * Time limit of each call, in ms: past it, the call rejects with `TimeoutError`, its signal is
   * aborted, and it counts as a failure. `0` means no limit (and no timer per call).
   * Minimum: 0, maximum: 2,147,483,647.
   * @default 0
   */
  readonly timeoutMs?: number;
  /**
   * Whether an error counts as a failure of the dependency. An error it refuses (say, a 404 or a
   * validation error) still rejects the call unchanged, but counts as a success: the dependency
   * answered. If it throws, the error counts as a failure. Timeouts always count as failures and
   * caller aborts never do; neither is passed to it.
   * @default every error is a failure
   */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * The time source of the window, the open duration and the latency figures; inject
   * `FakeClock` from `loadstone/testing` in tests.
   * @default systemClock (`performance.now()`)
   */
  readonly clock?: Clock;
};

/** The rolling-window rule: open when the share of failures over a recent window is too high. */
export type FailureRatioRule = {
  /**
   * Open when, over the window, at least this share of calls failed (with at least
   * `minimumCalls` calls in it). From 0 (exclusive) to 1: `0.5` opens at 50 % failures.
   */
  readonly failureRatio: number;
  /**
   * The fewest calls in the window for `failureRatio` to apply, so that two failures out of
   * three calls at a quiet time do not open the breaker. Minimum: 1.
   * @default 10
   */
  readonly minimumCalls?: number;
  /**
   * Length of the rolling window, in ms. It is kept as 10 buckets of `windowMs / 10`, so an
   * outcome leaves the window between `0.9 · windowMs` and `windowMs` after it was recorded.
   * Minimum: 1.
   * @default 10_000
   */
  readonly windowMs?: number;
  /** Also open after this many failures in a row (see {@link ConsecutiveFailuresRule}). */
  readonly consecutiveFailures?: number;
};

/**
 * The consecutive-failures rule alone: open after this many failures in a row, with no window
 * (a closed breaker then reads no clock on successful calls).
 */
export type ConsecutiveFailuresRule = {
  /** Open after this many failures in a row; any success resets the count. Minimum: 1. */
  readonly consecutiveFailures: number;
  /** Not set: this rule has no window (set it to use {@link FailureRatioRule} as well). */
  readonly failureRatio?: undefined;
  /** Not set: applies only with `failureRatio`. */
  readonly minimumCalls?: undefined;
  /** Not set: applies only with `failureRatio`. */
  readonly windowMs?: undefined;
};

/**
 * Options of `CircuitBreaker`: a name, at least one rule that opens it (`failureRatio` over a
 * rolling window, `consecutiveFailures`, or both), and how it recovers.
 */
export type CircuitBreakerOptions = CircuitBreakerCommonOptions &
  (FailureRatioRule | ConsecutiveFailuresRule);

/** Why a breaker changed state, in a {@link CircuitStateChangedEvent}. */
export type CircuitStateChangeReason =
  | 'failure-ratio'
  | 'consecutive-failures'
  | 'open-duration-elapsed'
  | 'probe-succeeded'
  | 'probe-failed'
  | 'isolated'
  | 'reset';

/** Payload of the `state:changed` event. */
export type CircuitStateChangedEvent = {
  /** The breaker's name. */
  readonly name: string;
  /** The state left. */
  readonly from: CircuitState;
  /** The state entered. */
  readonly to: CircuitState;
  /** What caused the change. */
  readonly reason: CircuitStateChangeReason;
};

/** The events of a `CircuitBreaker`, each with one plain-object payload. */
export type CircuitBreakerEvents = {
  /** The breaker opened, went half-open or closed. */
  'state:changed': [event: CircuitStateChangedEvent];
};

/** The rolling window's figures in {@link CircuitBreakerStats}. */
export type CircuitBreakerWindowStats = {
  /** Calls that completed within the window (successes and failures; aborts are not counted). */
  readonly calls: number;
  /** Of which failures. */
  readonly failures: number;
  /** `failures / calls`, or `0` when the window is empty. */
  readonly failureRatio: number;
};

/** A snapshot of a `CircuitBreaker`: plain data, counters since construction. */
export type CircuitBreakerStats = {
  /** The breaker's name. */
  readonly name: string;
  /** The current state. */
  readonly state: CircuitState;
  /** Whether `isolate()` holds the breaker open. */
  readonly isolated: boolean;
  /** Calls that were let through (`fn` was called). */
  readonly calls: number;
  /** Calls that succeeded, or failed with an error `isFailure` refused. */
  readonly successes: number;
  /** Calls that failed, timeouts included. */
  readonly failures: number;
  /** Calls that exceeded `timeoutMs` (also counted in `failures`). */
  readonly timeouts: number;
  /** Calls the caller aborted (neither success nor failure). */
  readonly aborts: number;
  /** Calls refused with `CircuitOpenError`. */
  readonly rejections: number;
  /** Times the breaker opened (tripped, a failed probe, or `isolate()`): the figure to alert on. */
  readonly opened: number;
  /** Failures since the last success (reset when the breaker closes). */
  readonly consecutiveFailures: number;
  /** The rolling window, or `null` without the `failureRatio` rule. */
  readonly window: CircuitBreakerWindowStats | null;
  /**
   * Latency of the calls that ran, since construction (aborted calls excluded). Sampled: a
   * closed breaker times one in 16 of its calls without a `signal` (with or without
   * `timeoutMs`), because recording costs more than the rest of such a call; calls with a
   * signal, and every call while open or half-open, are timed.
   */
  readonly latency: LatencySnapshot;
};
