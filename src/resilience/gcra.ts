// GCRA (generic cell rate algorithm), step for step as redis-cell (brandur/redis-cell,
// `redis-cell-impl/src/lib.rs` `rate_limit`) and throttled (throttled/throttled, `rate.go`
// `GCRARateLimiter.RateLimit`) compute it, in floating-point milliseconds instead of integer
// nanoseconds. The Lua twin in RedisRateLimitStoreScripts.ts must stay line-for-line equivalent.
//
// Names follow the references: T is the emission interval (time one unit of cost drips away),
// τ the delay variation tolerance (`burst × T`: how far ahead of now the TAT may run), TAT the
// theoretical arrival time of the next unit if traffic were spaced exactly T apart.
import type { RateLimitResult } from './RateLimitResult.js';
import { GCRA_KIND, type RateLimitState, roundUpMs } from './RateLimitState.js';
import type { GcraRule } from './RateLimitStore.js';

/**
 * Decides one call against `state` at `nowMs` and, when allowed with a cost, records it.
 * Returns the limiter's final result (durations rounded up to whole ms), so the memory store's
 * decisions need no second object.
 */
export function gcraStep(
  state: RateLimitState,
  rule: GcraRule,
  cost: number,
  nowMs: number,
): RateLimitResult {
  const interval = rule.emissionIntervalMs;
  const tolerance = rule.toleranceMs;
  const epsilon = rule.epsilonMs;
  // A TAT in the past means the bucket is empty: start from now (the references do this with
  // `if now > tat { now + increment }`, and a missing key reads as `tat = now`).
  const tat = state.kind === GCRA_KIND && state.tatMs > nowMs ? state.tatMs : nowMs;
  const increment = cost * interval;
  const newTat = tat + increment;
  // Allowed when the new TAT is at most τ ahead of now: `now - (newTat - τ) >= 0`.
  const diff = nowMs - (newTat - tolerance);
  let allowed: boolean;
  let ttl: number;
  let retryAfter: number;
  if (diff < -epsilon) {
    allowed = false;
    ttl = tat - nowMs;
    // A cost above the burst can never pass: the references report retry_after = -1.
    retryAfter = increment <= tolerance + epsilon ? -diff : Number.POSITIVE_INFINITY;
  } else {
    allowed = true;
    ttl = newTat - nowMs;
    retryAfter = 0;
    if (cost > 0) {
      state.kind = GCRA_KIND;
      state.tatMs = newTat;
      state.expiresAtMs = newTat;
    }
  }
  // remaining = ⌊(τ − ttl) / T⌋, 0 when τ − ttl <= −T (redis-cell truncates toward zero).
  const next = tolerance - ttl;
  const remaining = next > -interval ? Math.max(0, Math.floor((next + epsilon) / interval)) : 0;
  return {
    allowed,
    remaining,
    resetMs: roundUpMs(ttl),
    retryAfterMs: roundUpMs(retryAfter),
    limit: rule.burst,
    degraded: false,
  };
}
