/**
 * The answer of {@link RateLimiter.limit}. Durations are whole milliseconds, rounded up, so
 * waiting `retryAfterMs` is always enough.
 */
export type RateLimitResult = {
  /** Whether the call may proceed; its cost has been recorded if so. */
  readonly allowed: boolean;
  /** Cost that would still be accepted right now, after this call. An integer >= 0. */
  readonly remaining: number;
  /** Time until the key is back to its initial state (`remaining === limit`), in ms. */
  readonly resetMs: number;
  /**
   * When denied: time until the same cost would be accepted, in ms; `Infinity` when it never
   * can (the cost exceeds `limit`). `0` when allowed.
   */
  readonly retryAfterMs: number;
  /**
   * Most cost accepted at once from an idle key: the GCRA `burst`, or the sliding window's
   * `limit`. This is what the `RateLimit-Limit` header carries.
   */
  readonly limit: number;
  /**
   * `true` when the store failed or timed out and the limiter answered by its `onStoreError`
   * policy instead of a real decision; `remaining` and `resetMs` then say nothing about the key.
   */
  readonly degraded: boolean;
};
