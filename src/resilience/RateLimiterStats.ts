/** A snapshot of a {@link RateLimiter}: plain data, counters since construction. */
export type RateLimiterStats = {
  /** The algorithm: `'gcra'` or `'sliding-window'`. */
  readonly algorithm: 'gcra' | 'sliding-window';
  /** `limit()` calls answered "allowed" by the store. */
  readonly allowed: number;
  /** `limit()` calls answered "denied" by the store (what becomes a 429). */
  readonly denied: number;
  /**
   * `limit()` calls the store failed or timed out on, answered by the `onStoreError` policy
   * instead (allowed when failing open, denied when failing closed).
   */
  readonly degraded: number;
  /** Calls waiting on an asynchronous store now. */
  readonly pending: number;
};
