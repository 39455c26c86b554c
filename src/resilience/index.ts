/**
 * Circuit breaker, retry with backoff, rate limiter.
 *
 * @module loadstone/resilience
 */
export type {
  DecorrelatedDelayOptions,
  ExponentialDelayOptions,
  Jitter,
  RandomSource,
} from './backoff.js';
export {
  backoffDelay,
  decorrelatedJitterDelay,
  exponentialDelay,
  fullJitterDelay,
  jitters,
} from './backoff.js';
export { CircuitBreaker } from './CircuitBreaker.js';
export type {
  CircuitBreakerCommonOptions,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitBreakerWindowStats,
  CircuitState,
  CircuitStateChangedEvent,
  CircuitStateChangeReason,
  ConsecutiveFailuresRule,
  FailureRatioRule,
} from './CircuitBreakerOptions.js';
export type { CircuitPermit } from './CircuitPermit.js';
// RateLimiter
export type { MemoryRateLimitStoreOptions } from './MemoryRateLimitStore.js';
export { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
export { RateLimiter } from './RateLimiter.js';
export type {
  GcraRateLimiterOptions,
  LimitOptions,
  RateLimiterBaseOptions,
  RateLimiterOptions,
  SlidingWindowRateLimiterOptions,
} from './RateLimiterOptions.js';
export type { RateLimiterStats } from './RateLimiterStats.js';
export type { RateLimitResult } from './RateLimitResult.js';
export type {
  GcraRule,
  RateLimitDecision,
  RateLimitRule,
  RateLimitRuleBase,
  RateLimitStore,
  SlidingWindowRule,
} from './RateLimitStore.js';
export type { RedisRateLimitStoreOptions, RedisScriptClient } from './RedisRateLimitStore.js';
export { RedisRateLimitStore } from './RedisRateLimitStore.js';
export type { RetryContext, RetryEvent, RetryOptions } from './RetryOptions.js';
export type { NextFunction, RateLimitHandlerOptions } from './rateLimitHandler.js';
export { rateLimitHandler } from './rateLimitHandler.js';
export type {
  RateLimitHeaderFormat,
  RateLimitHeaderOptions,
  RateLimitHeaderWriter,
} from './rateLimitHeaders.js';
export { rateLimitHeaders } from './rateLimitHeaders.js';
export { retry } from './retry.js';
export { SlowDown } from './SlowDown.js';
export type {
  SlowDownCheckOptions,
  SlowDownOptions,
  SlowDownResult,
  SlowDownStats,
  SlowDownWaitOptions,
} from './SlowDownOptions.js';
