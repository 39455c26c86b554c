import type { Backend } from './Backend.js';

/** How a request on a leased backend ended: `cancelled` says nothing about the backend. */
export type LeaseResult = 'success' | 'failure' | 'cancelled';

/**
 * A backend chosen by {@link LoadBalancer.acquire} and counted as in flight until `release`:
 * for requests that do not fit in one `run` callback (streams, callbacks, a simulation).
 */
export type BackendLease<T> = {
  /** The chosen backend. */
  readonly backend: Backend<T>;
  /**
   * Ends the request: the backend's in-flight count drops, and its latency (since `acquire`)
   * and outcome are recorded. Only the first call counts; later ones do nothing.
   *
   * @param result - how it ended.
   * @default 'success'
   */
  release(result?: LeaseResult): void;
};
