// Internal: the mutable per-key state the pure algorithm steps read and update. One shape for
// both algorithms keeps the memory store's map monomorphic. Not exported from the module index.

/** Which algorithm wrote a state (a key reused by another algorithm reads as empty). */
export const GCRA_KIND = 1;
/** See {@link GCRA_KIND}. */
export const SLIDING_WINDOW_KIND = 2;

/** Per-key state, mutated in place by `gcraStep` and `slidingWindowStep`. */
export type RateLimitState = {
  /** {@link GCRA_KIND} or {@link SLIDING_WINDOW_KIND}; `0` for a fresh state. */
  kind: number;
  /** GCRA: the theoretical arrival time (TAT), in ms on the store's clock; `-Infinity` when empty. */
  tatMs: number;
  /** Sliding window: index of the current fixed window (`floor(now / periodMs)`); `NaN` when empty. */
  window: number;
  /** Sliding window: cost counted in the current window. */
  current: number;
  /** Sliding window: cost counted in the previous window. */
  previous: number;
  /** When the state is back to empty and can be dropped, in ms on the store's clock. */
  expiresAtMs: number;
};

/** A fresh, empty state. */
export function emptyRateLimitState(): RateLimitState {
  return {
    kind: 0,
    tatMs: Number.NEGATIVE_INFINITY,
    window: Number.NaN,
    current: 0,
    previous: 0,
    expiresAtMs: 0,
  };
}

/** Empties `state` in place (as {@link emptyRateLimitState} would build it) and returns it. */
export function resetRateLimitState(state: RateLimitState): RateLimitState {
  state.kind = 0;
  state.tatMs = Number.NEGATIVE_INFINITY;
  state.window = Number.NaN;
  state.current = 0;
  state.previous = 0;
  state.expiresAtMs = 0;
  return state;
}

/** Rounding slack: 1000.0000001 ms (float noise) reports as 1000, not 1001. */
const ROUND_SLACK_MS = 1e-6;

/** Rounds a duration up to whole ms, ignoring float noise; `Infinity` stays. */
export function roundUpMs(ms: number): number {
  return ms <= ROUND_SLACK_MS ? 0 : Math.ceil(ms - ROUND_SLACK_MS);
}

/**
 * The stores of this module whose decisions already are complete, rounded `RateLimitResult`s: the
 * limiter hands those out as they are, saving an object per call.
 */
export const storesReturningResults = new WeakSet<object>();
