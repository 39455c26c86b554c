// The rules of ClusterRateLimitStore as both sides see them: the primary rebuilds a worker's rule
// from what it sent (never trusting it), and both sides derive a worker's share of it the same way.
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import type { RateLimitRule } from '../../resilience/index.js';

/** Longest key or key prefix, in UTF-16 code units. @internal */
export const MAX_RATE_LIMIT_KEY_LENGTH = 4_096;

/** A rule as `RateLimiter` builds it, rebuilt from what a worker sent; throws if it is not one. @internal */
export function checkRule(value: unknown): RateLimitRule {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const keyPrefix = r.keyPrefix;
  if (typeof keyPrefix !== 'string' || keyPrefix.length > MAX_RATE_LIMIT_KEY_LENGTH) {
    throw new InvalidOptionError('rule.keyPrefix', 'a string', keyPrefix);
  }
  if (r.algorithm === 'gcra') {
    const emissionIntervalMs = positive('rule.emissionIntervalMs', r.emissionIntervalMs);
    const burst = positive('rule.burst', r.burst);
    const rule = gcraRule(keyPrefix, emissionIntervalMs, burst, positive('rule.toleranceMs', r.toleranceMs));
    return r.exact === true ? Object.freeze({ ...rule, exact: true }) : rule;
  }
  if (r.algorithm === 'sliding-window') {
    return Object.freeze({
      algorithm: 'sliding-window',
      keyPrefix,
      ...(r.exact === true ? { exact: true as const } : {}),
      limit: positive('rule.limit', r.limit),
      periodMs: positive('rule.periodMs', r.periodMs),
    });
  }
  throw new InvalidOptionError('rule.algorithm', "'gcra' or 'sliding-window'", r.algorithm);
}

/**
 * What identifies a rule's keys across processes: limiters with the same signature count each key
 * together; a different rule on the same prefix counts apart. @internal
 */
export function ruleSignature(rule: RateLimitRule): string {
  const exact = rule.exact === true;
  return rule.algorithm === 'gcra'
    ? JSON.stringify(['gcra', rule.keyPrefix, rule.emissionIntervalMs, rule.burst, rule.toleranceMs, exact])
    : JSON.stringify(['sliding-window', rule.keyPrefix, rule.limit, rule.periodMs, exact]);
}

/**
 * The rule a worker decides its share of every key with: `fraction` of the burst (GCRA, at
 * `fraction` of the rate, so the same tolerance) or of the limit (sliding window), under its own
 * `keyPrefix`. The shares of all workers add up to the rule. @internal
 */
export function shareRule(rule: RateLimitRule, fraction: number, keyPrefix: string): RateLimitRule {
  if (rule.algorithm === 'gcra') {
    const interval = rule.emissionIntervalMs / fraction;
    return gcraRule(keyPrefix, interval, rule.burst * fraction, rule.toleranceMs);
  }
  return Object.freeze({ ...rule, keyPrefix, limit: rule.limit * fraction });
}

/** The most cost one share of `rule` holds: its burst or limit. @internal */
export function shareUnits(rule: RateLimitRule, fraction: number): number {
  return (rule.algorithm === 'gcra' ? rule.burst : rule.limit) * fraction;
}

/**
 * How long until a key's cost under `rule` is gone, however much it held: a full GCRA bucket
 * drains in its tolerance; a sliding window forgets a count two windows later. @internal
 */
export function drainMs(rule: RateLimitRule): number {
  return rule.algorithm === 'gcra' ? rule.toleranceMs : 2 * rule.periodMs;
}

function gcraRule(keyPrefix: string, emissionIntervalMs: number, burst: number, toleranceMs: number) {
  return Object.freeze({
    algorithm: 'gcra',
    keyPrefix,
    emissionIntervalMs,
    burst,
    toleranceMs,
    epsilonMs: Math.min(1e-4, emissionIntervalMs / 100),
  } as const);
}

function positive(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(path, 'a finite number > 0', value);
  }
  return value;
}
