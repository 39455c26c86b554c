/**
 * One call a {@link CircuitBreaker} admitted through `tryAcquire`, which its caller runs and
 * settles itself. Settle it exactly once: later settlements do nothing.
 */
export type CircuitPermit = {
  /** `true` when the call is a half-open probe: its outcome closes or reopens the breaker. */
  readonly probe: boolean;
  /** The call succeeded. */
  success(): void;
  /** The call failed (the breaker's `isFailure` is not asked: the caller has decided). */
  failure(): void;
  /** The call was abandoned and says nothing about the dependency: a probe's slot is free again. */
  release(): void;
};
