import type { RateLimiterBaseOptions } from './RateLimiterOptions.js';

/**
 * Options of {@link SlowDown}. Store, prefix, clock and failure policy work as for a
 * {@link RateLimiter}.
 */
export type SlowDownOptions = Omit<RateLimiterBaseOptions, 'limit'> & {
  /**
   * Calls per `periodMs` that go through at once; each call past them waits `delayStepMs` more
   * than the one before. `0` delays from the first call. An integer >= 0.
   */
  readonly delayAfter: number;
  /**
   * How much longer each call past `delayAfter` waits than the one before, in ms: the first
   * extra call waits `delayStepMs`, the second twice that, and so on (express-slow-down's
   * default `delayMs`, `(used - delayAfter) * 1000`). A finite number > 0.
   * @default 1000
   */
  readonly delayStepMs?: number;
  /**
   * The longest wait, in ms: calls past the point where the delay reaches it all wait this long.
   * express-slow-down has no cap by default; a request held much longer than this usually meets
   * a proxy's or a client's timeout first. A finite number > 0, at most 2,147,483,647.
   * @default 30000
   */
  readonly maxDelayMs?: number;
  /**
   * Prepended to every key, so a slow-down and a limiter sharing a store keep separate counts.
   * @default 'loadstone:sd:'
   */
  readonly keyPrefix?: string;
};

/** What {@link SlowDown} decided for one call. */
export type SlowDownResult = {
  /** How long the call should wait before it goes on, in ms; `0` for a call within `delayAfter`. */
  readonly delayMs: number;
  /** Calls (cost) counted against the key in the sliding window, this one included. */
  readonly used: number;
  /** The slow-down's `delayAfter`. */
  readonly delayAfter: number;
  /** Calls left before delays start. */
  readonly remaining: number;
  /** Time until the key's count is back to zero, in ms (rounded up). */
  readonly resetMs: number;
  /** Decided by the `onStoreError` policy because the store failed or timed out. */
  readonly degraded: boolean;
};

/** A snapshot of a {@link SlowDown}: plain data, counters since construction. */
export type SlowDownStats = {
  /** Calls decided with no delay. */
  readonly undelayed: number;
  /** Calls decided with a delay. */
  readonly delayed: number;
  /** Calls whose wait was cut short by their `signal` (a client that went away). */
  readonly abandoned: number;
  /** Calls decided by the `onStoreError` policy because the store failed or timed out. */
  readonly degraded: number;
  /** Calls waiting out their delay now. */
  readonly waiting: number;
};

/** Per-call options of {@link SlowDown.check}. */
export type SlowDownCheckOptions = {
  /**
   * What this call counts for: an integer >= 0; `0` only reads the count.
   * @default 1
   */
  readonly cost?: number;
};

/** Per-call options of {@link SlowDown.wait}. */
export type SlowDownWaitOptions = SlowDownCheckOptions & {
  /** Ends the wait at once, rejecting with the signal's reason (a client that disconnected). */
  readonly signal?: AbortSignal;
};
