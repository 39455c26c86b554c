// Sliding-window counter, as Cloudflare describes it ("How we built rate limiting capable of
// scaling to millions of domains", 2017): count per fixed window, and estimate the rolling
// window as `previous × (1 − elapsed / period) + current`, i.e. assume the previous window's
// requests were spread evenly. The Lua twin in RedisRateLimitStoreScripts.ts must stay
// line-for-line equivalent.
import type { RateLimitResult } from './RateLimitResult.js';
import { type RateLimitState, roundUpMs, SLIDING_WINDOW_KIND } from './RateLimitState.js';
import type { SlidingWindowRule } from './RateLimitStore.js';

/** Slack for floating-point error when comparing the (fractional) estimate with the limit. */
const SLACK = 1e-9;

/**
 * Decides one call against `state` at `nowMs` and, when allowed with a cost, records it.
 * Returns the limiter's final result (durations rounded up to whole ms).
 */
export function slidingWindowStep(
  state: RateLimitState,
  rule: SlidingWindowRule,
  cost: number,
  nowMs: number,
): RateLimitResult {
  const period = rule.periodMs;
  const limit = rule.limit;
  const window = Math.floor(nowMs / period);
  let current = 0;
  let previous = 0;
  if (state.kind === SLIDING_WINDOW_KIND) {
    if (state.window === window) {
      current = state.current;
      previous = state.previous;
    } else if (state.window === window - 1) {
      previous = state.current;
    }
  }
  const elapsed = nowMs - window * period;
  const weight = 1 - elapsed / period;
  const estimate = previous * weight + current;
  const allowed = cost <= limit && estimate + cost <= limit + SLACK;
  let retryAfter = 0;
  if (allowed) {
    if (cost > 0) {
      current += cost;
      state.kind = SLIDING_WINDOW_KIND;
      state.window = window;
      state.current = current;
      state.previous = previous;
      state.expiresAtMs = (window + 2) * period;
    }
  } else if (cost > limit) {
    retryAfter = Number.POSITIVE_INFINITY;
  } else {
    const room = limit - cost; // the estimate must fall to this
    if (current <= room) {
      // Within this window, as the previous window's weight decays (previous > 0 here).
      retryAfter = Math.max(0, period * (1 - (room - current) / previous) - elapsed);
    } else {
      // In the next window, as this window's count (then the previous one) decays.
      retryAfter = period - elapsed + period * Math.max(0, 1 - room / current);
    }
  }
  const remaining = Math.max(0, Math.floor(limit - (previous * weight + current) + SLACK));
  const reset = current > 0 ? 2 * period - elapsed : previous > 0 ? period - elapsed : 0;
  return {
    allowed,
    remaining,
    resetMs: roundUpMs(reset),
    retryAfterMs: roundUpMs(retryAfter),
    limit,
    degraded: false,
  };
}
