import { CapacityExceededError } from '../../core/errors/CapacityExceededError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { MemoryRateLimitStore, type RateLimitRule } from '../../resilience/index.js';
import type { StateService } from './StateService.js';

/** `[ruleId, rule]` → `null`: the rule the caller's later `rl.consume` calls name by id. @internal */
export const RL_RULE = 'rl.rule';
/**
 * `[ruleId, key, cost]` → `[allowed (0|1), remaining, resetMs, retryAfterMs (-1: never)]`.
 * @internal
 */
export const RL_CONSUME = 'rl.consume';
/** Longest key, in UTF-16 code units. @internal */
export const MAX_RATE_LIMIT_KEY_LENGTH = 4_096;
/** Most rules one process may declare (one per limiter it builds). @internal */
export const MAX_RULES_PER_PROCESS = 1_000;

/** A decision as it crosses IPC: JSON has no `Infinity`. @internal */
export type EncodedDecision = readonly [
  allowed: 0 | 1,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
];

/**
 * The rate-limit decisions of every process of the machine, made in the primary on one
 * {@link MemoryRateLimitStore} and on the primary's clock, so workers with their own clocks
 * agree. @internal
 */
export class RateLimitService implements StateService {
  readonly ops = [RL_RULE, RL_CONSUME] as const;
  readonly #store = new MemoryRateLimitStore();
  /** Owner → rule id → rule. Ids are the owner's; a Map, since ids come from the owner. */
  readonly #rules = new Map<number, Map<number, RateLimitRule>>();

  /** Keys held. */
  get size(): number {
    return this.#store.size;
  }

  call(owner: number, op: string, args: readonly unknown[]): unknown {
    if (op === RL_RULE) {
      this.#declare(owner, args[0], args[1]);
      return null;
    }
    const rule = this.#rules.get(owner)?.get(args[0] as number);
    if (rule === undefined)
      throw new InvalidOptionError('ruleId', 'a rule declared by this process', args[0]);
    const key = args[1];
    if (typeof key !== 'string' || key.length > MAX_RATE_LIMIT_KEY_LENGTH) {
      throw new InvalidOptionError('key', `a string of at most ${MAX_RATE_LIMIT_KEY_LENGTH} characters`, key);
    }
    const cost = args[2];
    if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 0) {
      throw new InvalidOptionError('cost', 'an integer >= 0', cost);
    }
    const d = this.#store.consume(key, rule, cost, performance.now());
    const never = d.retryAfterMs === Number.POSITIVE_INFINITY;
    return [d.allowed ? 1 : 0, d.remaining, d.resetMs, never ? -1 : d.retryAfterMs] satisfies EncodedDecision;
  }

  ownerGone(owner: number): void {
    this.#rules.delete(owner);
  }

  #declare(owner: number, id: unknown, value: unknown): void {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new InvalidOptionError('ruleId', 'an integer >= 0', id);
    }
    let rules = this.#rules.get(owner);
    if (rules === undefined) {
      rules = new Map();
      this.#rules.set(owner, rules);
    }
    if (!rules.has(id as number) && rules.size >= MAX_RULES_PER_PROCESS) {
      throw new CapacityExceededError('rate-limit rules of one process', MAX_RULES_PER_PROCESS);
    }
    rules.set(id as number, checkRule(value));
  }
}

/** A rule as `RateLimiter` builds it, rebuilt from what a worker sent; throws if it is not one. */
function checkRule(value: unknown): RateLimitRule {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const keyPrefix = r.keyPrefix;
  if (typeof keyPrefix !== 'string' || keyPrefix.length > MAX_RATE_LIMIT_KEY_LENGTH) {
    throw new InvalidOptionError('rule.keyPrefix', 'a string', keyPrefix);
  }
  if (r.algorithm === 'gcra') {
    const emissionIntervalMs = positive('rule.emissionIntervalMs', r.emissionIntervalMs);
    const burst = positive('rule.burst', r.burst);
    return Object.freeze({
      algorithm: 'gcra',
      keyPrefix,
      emissionIntervalMs,
      burst,
      toleranceMs: positive('rule.toleranceMs', r.toleranceMs),
      epsilonMs: Math.min(1e-4, emissionIntervalMs / 100),
    });
  }
  if (r.algorithm === 'sliding-window') {
    return Object.freeze({
      algorithm: 'sliding-window',
      keyPrefix,
      limit: positive('rule.limit', r.limit),
      periodMs: positive('rule.periodMs', r.periodMs),
    });
  }
  throw new InvalidOptionError('rule.algorithm', "'gcra' or 'sliding-window'", r.algorithm);
}

function positive(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(path, 'a finite number > 0', value);
  }
  return value;
}
