/**
 * A source of time for everything time-based (timeouts, idle eviction, latency stamps): the
 * `clock` option. In tests, inject `FakeClock` from `loadstone/testing` instead of sleeping.
 *
 * @example
 * {@includeCode ./Clock.test.ts#clock}
 */
export interface Clock {
  /**
   * Current time in milliseconds, fractional. Monotonic: never goes backwards, and only the
   * difference between two readings means anything (the origin is arbitrary, not the epoch).
   *
   * @returns the current time in ms.
   */
  now(): number;
}

/**
 * The default {@link Clock}: `performance.now()`, monotonic and sub-millisecond, unaffected by
 * wall-clock adjustments.
 *
 * @example
 * {@includeCode ./Clock.test.ts#systemClock}
 */
export const systemClock: Clock = Object.freeze({ now: () => performance.now() });
