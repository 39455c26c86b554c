import type { PickCandidate, Picker } from '../core/index.js';

/** A backend as given to {@link LoadBalancer}: in `options.backends` or to `add`. */
export type BackendInput<T> = {
  /** Unique, non-empty id, e.g. `api-1` or `10.0.0.7:8080`; what `markDown`, `remove` and stats use. */
  readonly id: string;
  /**
   * Relative capacity: weighted strategies send a weight-2 backend twice the share of a weight-1
   * one, load-aware ones divide its load by it. A finite number > 0.
   * @default 1
   */
  readonly weight?: number;
  /** What you balance over: a URL, a client, a pool. Handed back by `pick` and to `run`'s callback. */
  readonly target: T;
  /**
   * Affinity groups the backend belongs to, e.g. `['premium']`: requests with `ctx.group` set go
   * to the members of that group while any is up.
   * @default []
   */
  readonly groups?: readonly string[];
};

/** A backend as the balancer hands it out: frozen, with its defaults filled in. */
export type Backend<T> = {
  /** Its id. */
  readonly id: string;
  /** Its weight, > 0. */
  readonly weight: number;
  /** What you balance over. */
  readonly target: T;
  /** Its affinity groups. */
  readonly groups: readonly string[];
};

/**
 * Whether a backend is picked: `up`; `down` (by `markDown` or failed active health checks) or
 * `ejected` (by passive outlier detection until its ejection time is over, or by failure accrual
 * while its breaker is open or a probe runs) are not.
 */
export type BackendState = 'up' | 'down' | 'ejected';

/**
 * What a strategy ({@link Picker}) sees of a backend that is up: the backend, plus its load.
 * `inFlight` and `latencyMs` are read live, when the strategy reads them.
 */
export type BackendCandidate<T> = Backend<T> & PickCandidate;
