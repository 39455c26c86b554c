import type { Clock, HealthCheck, PickCandidate, Picker } from '../core/index.js';
import type { CircuitBreakerOptions } from '../resilience/index.js';
import type { Backend, BackendCandidate, BackendInput } from './Backend.js';
import type { PeakEwmaPicker } from './PeakEwmaPicker.js';

/**
 * Passive outlier detection, as Envoy's `outlier_detection` does it: a backend whose requests
 * fail `consecutiveFailures` times in a row is ejected (not picked) for
 * `baseEjectionMs × its number of ejections`, capped at `maxEjectionMs`, then comes back on its own.
 */
export type OutlierDetectionOptions = {
  /**
   * Failures in a row that eject a backend. Minimum: 1.
   * @default 5
   */
  readonly consecutiveFailures?: number;
  /**
   * Ejection time of a first ejection, in ms; the n-th ejection lasts n times as long.
   * Minimum: 1.
   * @default 30_000
   */
  readonly baseEjectionMs?: number;
  /**
   * Longest ejection, in ms. Minimum: `baseEjectionMs`.
   * @default 300_000
   */
  readonly maxEjectionMs?: number;
  /**
   * Most backends that may be ejected at once, as a percentage of all backends, rounded down:
   * a backend is not ejected when that would exceed it (with 50 and 3 backends, at most 1).
   * `0` turns ejection off. Envoy's default is 10, which ejects nothing below 10 backends; a
   * client-side balancer usually has fewer, hence 50. From 0 to 100.
   * @default 50
   */
  readonly maxEjectionPercent?: number;
};

/**
 * What a backend's breaker takes under failure accrual: a {@link CircuitBreaker}'s options but
 * its name (the backend's id) and its clock (the balancer's).
 */
export type FailureAccrualBreakerOptions = CircuitBreakerOptions extends infer O
  ? O extends CircuitBreakerOptions
    ? Omit<O, 'name' | 'clock'>
    : never
  : never;

/**
 * Failure accrual, as Finagle's: each backend gets a {@link CircuitBreaker}; a backend whose
 * breaker is open is never picked, comes back half-open after `openDurationMs` for probe
 * requests (one at a time by default), and is picked again once a probe succeeds. Peak-EWMA
 * also charges each failure `failurePenaltyMs` of latency, so a backend that fails fast does
 * not look fastest.
 */
export type FailureAccrualOptions = {
  /**
   * Each backend's breaker: its rules (`failureRatio` over `windowMs` with `minimumCalls`,
   * and/or `consecutiveFailures`), `openDurationMs`, `halfOpenMaxProbes`. Only requests through
   * `run` or `acquire` count; `timeoutMs` and `isFailure` are the balancer's (`isFailure`
   * option), not the breaker's.
   * @default { failureRatio: 0.2, minimumCalls: 20, windowMs: 30_000, consecutiveFailures: 5, openDurationMs: 5_000 }
   */
  readonly breaker?: FailureAccrualBreakerOptions;
  /**
   * Latency charged to a failed request in its backend's peak-EWMA estimate, in ms (when the
   * request took less). `0` charges failures their real latency. Minimum: 0.
   * @default 100
   */
  readonly failurePenaltyMs?: number;
};

/**
 * Active health checks: each backend's {@link HealthCheck} runs every `intervalMs`; a backend
 * whose check fails `unhealthyThreshold` times in a row goes down, and one that is down comes
 * back after `healthyThreshold` passes in a row. `healthy` and `degraded` pass; `critical`, a
 * rejection and a timeout fail.
 */
export type ActiveHealthCheckOptions<T> = {
  /**
   * Makes the check of a backend, once when it is added (e.g. `(b) => b.target` when targets are
   * pools that implement {@link HealthCheck}, or an HTTP probe of `b.target`).
   */
  readonly check: (backend: Backend<T>) => HealthCheck;
  /**
   * Time between the start of two rounds of checks, in ms. The first round runs at once.
   * Minimum: 1.
   * @default 10_000
   */
  readonly intervalMs?: number;
  /**
   * How long one check may take before it counts as failed (its signal is aborted), in ms.
   * Minimum: 1.
   * @default 5_000
   */
  readonly timeoutMs?: number;
  /**
   * Failed checks in a row that take a backend down. Minimum: 1.
   * @default 2
   */
  readonly unhealthyThreshold?: number;
  /**
   * Passed checks in a row that bring a backend that is down back up. Minimum: 1.
   * @default 2
   */
  readonly healthyThreshold?: number;
};

/** Options of {@link LoadBalancer}. */
export type LoadBalancerOptions<T> = {
  /** The backends to start with; may be empty (add more with `add`). Ids must be unique. */
  readonly backends: readonly BackendInput<T>[];
  /**
   * How to choose among the backends that are up: any {@link Picker}, built-in or your own. A
   * plain `Picker` (typed for {@link PickCandidate}s) works too: it is handed the balancer's
   * candidates and must return one of them.
   * @default a {@link PeakEwmaPicker} (peak-EWMA latency × in-flight, power of two choices)
   */
  readonly strategy?: Picker<BackendCandidate<T>> | Picker;
  /**
   * Passive outlier detection; `false` turns it off.
   * @default {} (on, with the defaults of {@link OutlierDetectionOptions})
   */
  readonly outlierDetection?: OutlierDetectionOptions | false;
  /**
   * Failure accrual: a circuit breaker per backend; `true` for the defaults of
   * {@link FailureAccrualOptions}. An open backend is never picked; when every backend is open,
   * picks fail fast with `NoTargetError`.
   * @default false
   */
  readonly failureAccrual?: boolean | FailureAccrualOptions;
  /**
   * Active health checks; the balancer then owns a timer (unref'd) until `close()`.
   * @default undefined (no active checks)
   */
  readonly healthCheck?: ActiveHealthCheckOptions<T>;
  /**
   * Decay time (τ) of each backend's peak-EWMA latency, in ms, as in Finagle: a sample `t` ms
   * after the previous one weighs `1 − e^(−t/τ)`; a sample above the estimate replaces it; and
   * the estimate decays toward 0 while no samples come, so a backend that was slow is tried
   * again. Minimum: 1.
   * @default 10_000
   */
  readonly ewmaDecayMs?: number;
  /**
   * Decides whether an error thrown by `run`'s callback counts as the backend's failure (for
   * stats and outlier detection); return `false` for errors that are the caller's, e.g. a 404.
   * An abort through `ctx.signal` is never the backend's failure.
   * @default every error counts
   */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * How long `close()` waits for in-flight `run` calls before it destroys the balancer (they
   * reject with `ClosedError`, `cause` a `TimeoutError`) and resolves, in ms. `0` waits without
   * bound. A hung upstream call must not hang a shutdown. Minimum: 0, maximum: 2,147,483,647.
   * @default 30_000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Source of time for latencies, ejections and EWMA decay. Inject `FakeClock` in tests.
   * @default systemClock
   */
  readonly clock?: Clock;
};
