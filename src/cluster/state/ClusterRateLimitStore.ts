import { optionsObject, rejectUnknownOptions } from '../../core/internal/validate.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../../resilience/index.js';
import type { ClusterStateOptions } from './ClusterStateOptions.js';
import { type PrimaryLink, primaryLink } from './PrimaryLink.js';
import { type EncodedDecision, RL_CONSUME, RL_RULE } from './RateLimitService.js';

const OPTIONS = new Set(['host']);
/** Rule → its id in this process; ids are per process, as the primary keeps rules per process. */
const ruleIds = new WeakMap<RateLimitRule, number>();
let nextRuleId = 0;

/**
 * A {@link RateLimitStore} for the whole machine with no Redis: the cluster primary makes every
 * decision, on one table and one clock, so `limit: 100` means 100 for the server, not 100 per
 * worker. The calls a worker makes in one event-loop turn travel to the primary as one IPC
 * message and come back as one.
 *
 * Use it in each worker with no options (and in the primary with `{ host:
 * supervisor.clusterState }`); every worker and limiter with the same `keyPrefix` shares the
 * same keys. When the primary cannot be reached (its IPC channel closed, or no answer within
 * 5 s), the call fails and the limiter answers by its `onStoreError` policy (`degraded: true`),
 * after at most its `storeTimeoutMs`. The primary keeps at most 100,000 keys, dropping the
 * oldest first, as {@link MemoryRateLimitStore} does. For many machines use
 * {@link RedisRateLimitStore}.
 *
 * @example
 * {@includeCode ./ClusterRateLimitStore.test.ts#clusterLimiter}
 */
export class ClusterRateLimitStore implements RateLimitStore {
  readonly #link: PrimaryLink;

  /**
   * @param options - `host`, in the primary only.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown option, a
   *   missing `host` in the primary, or a `host` in a worker.
   */
  constructor(options?: ClusterStateOptions) {
    const opts = optionsObject('options', options);
    rejectUnknownOptions(opts, OPTIONS, 'ClusterRateLimitStore');
    this.#link = primaryLink('ClusterRateLimitStore', opts.host);
  }

  /**
   * Decides one call in the primary; see {@link RateLimitStore.consume}.
   *
   * @param key - the caller's key (its namespace is `rule.keyPrefix`), at most 4,096 characters.
   * @param rule - the limit.
   * @param cost - an integer >= 0.
   * @param _nowMs - ignored: the primary decides on its own clock, so workers agree.
   * @returns the decision: a promise in a worker, synchronously in the primary.
   */
  consume(
    key: string,
    rule: RateLimitRule,
    cost: number,
    _nowMs: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    let id = ruleIds.get(rule);
    if (id === undefined) {
      id = nextRuleId++;
      ruleIds.set(rule, id);
      // IPC keeps order: the primary knows the rule before the first decision that names it. A
      // failed declaration fails those decisions, which then say why.
      const declared = this.#link.call(RL_RULE, [id, rule]);
      if (declared instanceof Promise) declared.catch(() => ruleIds.delete(rule));
    }
    const answer = this.#link.call(RL_CONSUME, [id, key, cost]);
    return answer instanceof Promise ? answer.then(decode) : decode(answer);
  }
}

function decode(answer: unknown): RateLimitDecision {
  const [allowed, remaining, resetMs, retryAfterMs] = answer as EncodedDecision;
  return {
    allowed: allowed === 1,
    remaining,
    resetMs,
    retryAfterMs: retryAfterMs < 0 ? Number.POSITIVE_INFINITY : retryAfterMs,
  };
}
