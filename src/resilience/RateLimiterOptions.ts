import type { Clock } from '../core/Clock.js';
import type { TimeoutError } from '../core/errors/TimeoutError.js';
import type { RateLimitStore } from './RateLimitStore.js';

/** Options every {@link RateLimiter} takes, whatever its algorithm. */
export type RateLimiterBaseOptions = {
  /**
   * Sustained rate: at most `limit` units of cost per `periodMs`. An integer. Minimum: 1.
   */
  readonly limit: number;
  /** The period of `limit`, in ms. A finite number > 0. */
  readonly periodMs: number;
  /**
   * Where state lives and decisions are made: a {@link MemoryRateLimitStore} (one process), a
   * {@link RedisRateLimitStore} (shared), or your own {@link RateLimitStore}.
   * @default a new MemoryRateLimitStore() owned by this limiter
   */
  readonly store?: RateLimitStore;
  /**
   * Prepended to every key, so limiters sharing a store (or a Redis) keep separate state.
   * @default 'loadstone:rl:'
   */
  readonly keyPrefix?: string;
  /**
   * Time source for stores that use the caller's time (the memory store). The Redis store uses
   * the Redis server's clock instead.
   * @default systemClock (performance.now())
   */
  readonly clock?: Clock;
  /**
   * What to answer when the store throws, rejects or exceeds `storeTimeoutMs`. `'fail-open'`
   * allows the call (your service stays up without its limiter), `'fail-closed'` denies it (the
   * limiter protects something that must not be overrun). Either way the result has
   * `degraded: true`, and the limit call itself never rejects for a store failure.
   * @default 'fail-open'
   */
  readonly onStoreError?: 'fail-open' | 'fail-closed';
  /**
   * Longest wait for an asynchronous store's decision, in ms; past it, `onStoreError` applies
   * (the store's late answer is ignored). `0` means no timeout, not an instant one.
   * @default 1000
   */
  readonly storeTimeoutMs?: number;
  /**
   * Called on each degraded decision with the store's error (a {@link TimeoutError} for a
   * timeout) and the caller's key, e.g. to log or count. It must not throw; if it does, the
   * error is reported with `process.emitWarning`.
   * @default undefined
   */
  readonly onDegraded?: (error: unknown, key: string) => void;
};

/**
 * A GCRA limiter: a sustained rate of `limit` per `periodMs` with bursts of up to `burst` at
 * once. Behaves as redis-cell's `CL.THROTTLE key (burst − 1) limit (periodMs / 1000)` and
 * throttled's `RateQuota{MaxRate: PerDuration(limit, period), MaxBurst: burst − 1}`.
 */
export type GcraRateLimiterOptions = RateLimiterBaseOptions & {
  /** GCRA (the default). */
  readonly algorithm?: 'gcra';
  /**
   * Most cost accepted at once from an idle key (the bucket size). It is the result's `limit`.
   * Note: redis-cell and throttled call `burst − 1` their `max_burst` / `MaxBurst`. An integer.
   * Minimum: 1.
   * @default limit (a full period's worth at once)
   */
  readonly burst?: number;
};

/**
 * A sliding-window-counter limiter: at most about `limit` per any `periodMs`, estimated from
 * two fixed windows (see the guide for its accuracy).
 */
export type SlidingWindowRateLimiterOptions = RateLimiterBaseOptions & {
  /** The sliding-window counter. */
  readonly algorithm: 'sliding-window';
  /** Not used by this algorithm; rejected if given. */
  readonly burst?: never;
};

/** Options of {@link RateLimiter}: one algorithm's options. */
export type RateLimiterOptions = GcraRateLimiterOptions | SlidingWindowRateLimiterOptions;

/** Per-call options of {@link RateLimiter.limit}. */
export type LimitOptions = {
  /**
   * What this call spends (e.g. 1 per request, or a payload's size in KiB). An integer >= 0;
   * `0` only reads the state. A cost above the burst (GCRA) or limit (sliding window) is always
   * denied, with `retryAfterMs: Infinity`.
   * @default 1
   */
  readonly cost?: number;
};
