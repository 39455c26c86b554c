import type { Jitter, RandomSource } from './backoff.js';

/** What the function given to `retry` receives on each attempt. */
export type RetryContext = {
  /** The attempt number, from 1 (the first call) to `attempts`. */
  readonly attempt: number;
  /**
   * The caller's `signal` (a never-aborted one when none was given). Pass it on to the work so
   * that an abort stops the attempt in flight; `retry` has already rejected by then.
   */
  readonly signal: AbortSignal;
};

/** What `onRetry` receives: the failure and the wait before the next attempt. */
export type RetryEvent = {
  /** The error the attempt failed with, as thrown. */
  readonly error: unknown;
  /** The number of the attempt that failed, from 1. */
  readonly attempt: number;
  /** How long `retry` waits before attempt `attempt + 1`, in ms. */
  readonly delayMs: number;
};

/** Options of `retry`. */
export type RetryOptions = {
  /**
   * Total attempts, the first call included: `3` means one call and at most two retries.
   * Minimum: 1 (no retry), maximum: 1,000.
   * @default 3
   */
  readonly attempts?: number;
  /**
   * The delay scale in ms: the first retry waits up to this long, and each later one up to
   * twice the previous cap (see `jitter`). Minimum: 0.
   * @default 100
   */
  readonly baseDelayMs?: number;
  /**
   * The longest wait between two attempts, in ms. Minimum: `baseDelayMs`.
   * @default 10_000, or `baseDelayMs` when that is larger
   */
  readonly maxDelayMs?: number;
  /**
   * How the delays are randomised (AWS Architecture Blog, "Exponential Backoff And Jitter"):
   * `'full'` waits uniform in `[0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))]`,
   * `'decorrelated'` waits `min(maxDelayMs, uniform in [baseDelayMs, 3 · previous wait])`,
   * `'none'` waits exactly `min(maxDelayMs, baseDelayMs · 2^(attempt-1))`.
   * @default 'full'
   */
  readonly jitter?: Jitter;
  /**
   * Whether an error is worth another attempt. Errors it refuses reject at once, unchanged. If
   * it throws, `retry` rejects with what it threw.
   * @default every error is retried
   */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /**
   * Called after a failed attempt that will be retried, before the wait (for logs and metrics;
   * it is also how to count attempts). If it throws, `retry` rejects with what it threw.
   */
  readonly onRetry?: (event: RetryEvent) => void;
  /**
   * Stops retrying: an abort rejects at once with `signal.reason`, whether an attempt is running
   * (the attempt is told through its own `signal`) or `retry` is waiting (the timer is cleared).
   */
  readonly signal?: AbortSignal;
  /**
   * The random source of the jitter, uniform in `[0, 1)`; inject a seeded one in tests.
   * @default Math.random
   */
  readonly random?: RandomSource;
};
