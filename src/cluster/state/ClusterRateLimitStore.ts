import { checkOptionKeys, optionNames, optionsObject } from '../../core/internal/validate.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../../resilience/index.js';
import type { ClusterStateOptions } from './ClusterStateOptions.js';
import { type PrimaryLink, primaryLink } from './PrimaryLink.js';
import { RateLimitClient } from './RateLimitClient.js';

const OPTIONS = optionNames<ClusterStateOptions>()(['host']);
/** One client per link: rule ids and shares are per process (and per host, in the primary). */
const clients = new WeakMap<PrimaryLink, RateLimitClient>();

/**
 * A {@link RateLimitStore} for the whole machine with no Redis: `limit: 100` means 100 for the
 * server, not 100 per worker, and most calls are decided without leaving their worker.
 *
 * Each worker holds a *share* of every key (`1 / shares` of its burst or limit, see
 * {@link ClusterStateHost}) and decides calls on it alone, synchronously. When a worker's share
 * refuses a call, the primary recalls the key's other shares, adds up the cost they hold and from
 * then on decides that key itself, on one table and one clock, until the key is back to empty;
 * so a key at its limit is decided exactly (100 of 600 requests over two workers: 100), never
 * more than one store would allow. The calls a worker sends in one event-loop turn travel as one
 * IPC message. While a key is decided on a share, `remaining` counts that share only.
 *
 * Use it in each worker with no options (and in the primary with `{ host:
 * supervisor.clusterState }`, where every call is the primary's). Limiters with the same rule
 * (`keyPrefix` and limit) share their keys; a different rule on the same prefix counts apart.
 * When the primary cannot be reached (its IPC channel closed, or no answer within 5 s), a call
 * that needs it fails and the limiter answers by its `onStoreError` policy (`degraded: true`),
 * after at most its `storeTimeoutMs`. A worker that dies holding a share: its share counts as
 * full until it has drained (one period). Memory: each process keeps at most 100,000 keys,
 * dropping the oldest first (as {@link MemoryRateLimitStore} does: a dropped key starts again
 * from a fresh limit). A worker holding shares keeps its IPC channel open to answer recalls: end
 * it with `process.exit()` or `cluster.worker.disconnect()`, as `ClusterSupervisor`'s workers
 * do. For many machines use {@link RedisRateLimitStore}.
 *
 * @example
 * {@includeCode ./ClusterRateLimitStore.test.ts#clusterLimiter}
 */
export class ClusterRateLimitStore implements RateLimitStore {
  readonly #client: RateLimitClient;

  /**
   * @param options - `host`, in the primary only.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown option, a
   *   missing `host` in the primary, or a `host` in a worker.
   */
  constructor(options?: ClusterStateOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ClusterRateLimitStore');
    const link = primaryLink('ClusterRateLimitStore', opts.host);
    let client = clients.get(link);
    if (client === undefined) {
      client = new RateLimitClient(link);
      clients.set(link, client);
    }
    this.#client = client;
  }

  /**
   * Decides one call: on this worker's share when it can, else in the primary; see
   * {@link RateLimitStore.consume}.
   *
   * @param key - the caller's key (its namespace is `rule.keyPrefix`), at most 4,096 characters.
   * @param rule - the limit.
   * @param cost - an integer >= 0.
   * @param nowMs - the limiter's clock, for decisions on this worker's share; the primary decides
   *   on its own clock.
   * @returns the decision: synchronously on a share or in the primary, else a promise.
   */
  consume(
    key: string,
    rule: RateLimitRule,
    cost: number,
    nowMs: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    return this.#client.consume(key, rule, cost, nowMs);
  }
}
