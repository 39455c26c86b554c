// Internal: what the balancer keeps per backend. Strategies never see this object, only its
// `candidate`, whose load fields are read-only getters.
import type { Clock, HealthCheck } from '../core/index.js';
import { LatencyRecorder } from '../core/index.js';
import type { Backend, BackendCandidate, BackendState } from './Backend.js';
import type { BackendStats } from './LoadBalancerStats.js';

/** @internal */
export class BackendEntry<T> {
  readonly backend: Backend<T>;
  readonly candidate: BackendCandidate<T>;
  readonly latency = new LatencyRecorder();
  readonly #clock: Clock;
  readonly #tauMs: number;
  inFlight = 0;
  requests = 0;
  failures = 0;
  consecutiveFailures = 0;
  ejections = 0;
  /** Clock time at which the current ejection ends; `undefined` when not ejected. */
  ejectedUntil: number | undefined;
  /** Out of the picks by failure accrual: its breaker is open, or a probe runs. */
  accrualBlocked = false;
  /** Taken down by `markDown`. */
  adminDown = false;
  /** Taken down by failed active checks. */
  checkDown = false;
  checkFailures = 0;
  checkPasses = 0;
  healthCheck: HealthCheck | undefined;
  // Peak-EWMA state, as Finagle's PeakEwma: cost in ms, time of the last update.
  #cost = 0;
  #stamp = 0;
  #sampled = false;

  constructor(backend: Backend<T>, clock: Clock, tauMs: number) {
    this.backend = backend;
    this.#clock = clock;
    this.#tauMs = tauMs;
    const entry = this;
    this.candidate = Object.freeze({
      id: backend.id,
      weight: backend.weight,
      target: backend.target,
      groups: backend.groups,
      get inFlight(): number {
        return entry.inFlight;
      },
      get latencyMs(): number | undefined {
        return entry.ewma();
      },
    });
  }

  get state(): BackendState {
    if (this.adminDown || this.checkDown) return 'down';
    return this.ejectedUntil === undefined && !this.accrualBlocked ? 'up' : 'ejected';
  }

  /** The estimate decayed to now (Finagle reads it by observing a 0 ms sample), or `undefined`. */
  ewma(): number | undefined {
    if (!this.#sampled) return undefined;
    this.observe(0);
    return this.#cost;
  }

  /** One latency sample: a peak replaces the estimate, anything else is blended in by elapsed time. */
  observe(rttMs: number): void {
    const now = this.#clock.now();
    const elapsed = Math.max(now - this.#stamp, 0);
    const w = Math.exp(-elapsed / this.#tauMs);
    this.#cost = rttMs > this.#cost ? rttMs : this.#cost * w + rttMs * (1 - w);
    this.#stamp = now;
  }

  /**
   * One finished request: its latency for the stats, and `costMs` (a failure's penalty, at least
   * the latency) for the peak EWMA.
   */
  record(rttMs: number, costMs = rttMs): void {
    this.observe(costMs);
    this.#sampled = true;
    this.latency.record(rttMs);
  }

  stats(): BackendStats {
    return {
      id: this.backend.id,
      weight: this.backend.weight,
      state: this.state,
      inFlight: this.inFlight,
      requests: this.requests,
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      ejections: this.ejections,
      ejectedUntilMs: this.ejectedUntil ?? null,
      ewmaMs: this.ewma() ?? null,
      latency: this.latency.snapshot(),
    };
  }
}
