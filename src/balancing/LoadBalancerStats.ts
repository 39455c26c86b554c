import type { LatencySnapshot } from '../core/index.js';
import type { BackendState } from './Backend.js';

/** One backend in {@link LoadBalancerStats}. */
export type BackendStats = {
  /** The backend's id. */
  readonly id: string;
  /** Its weight. */
  readonly weight: number;
  /** Whether it is picked now. */
  readonly state: BackendState;
  /** Requests started on it and not finished. */
  readonly inFlight: number;
  /** Requests started on it (by `run` or `acquire`) since it was added. */
  readonly requests: number;
  /** Requests that failed (cancelled ones are not counted). */
  readonly failures: number;
  /** Failures since its last success: outlier detection ejects at `consecutiveFailures`. */
  readonly consecutiveFailures: number;
  /** How many times outlier detection ejected it. */
  readonly ejections: number;
  /** When its current ejection ends, in ms of the balancer's clock; `null` when not ejected. */
  readonly ejectedUntilMs: number | null;
  /** Its peak-EWMA latency now, in ms (decayed to now); `null` before the first sample. */
  readonly ewmaMs: number | null;
  /** Latency of its finished requests (successes and failures) since it was added. */
  readonly latency: LatencySnapshot;
};

/** A snapshot of a {@link LoadBalancer}: plain data, safe to serve as JSON. */
export type LoadBalancerStats = {
  /** Every backend, in the order they were added. */
  readonly backends: readonly BackendStats[];
  /** Sum of the backends' in-flight requests. */
  readonly inFlight: number;
  /** Requests started in total (removed backends included). */
  readonly requests: number;
  /** Requests that failed in total (removed backends included). */
  readonly failures: number;
  /** Picks that found no backend up (each threw `NoTargetError`). */
  readonly noTarget: number;
};
