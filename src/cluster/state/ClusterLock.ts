import type { CacheLock } from '../../cache/index.js';
import { checkOptionKeys, optionNames, optionsObject } from '../../core/internal/validate.js';
import type { ClusterStateOptions } from './ClusterStateOptions.js';
import { LOCK_ACQUIRE, LOCK_RELEASE } from './LockService.js';
import { type PrimaryLink, primaryLink } from './PrimaryLink.js';

const OPTIONS = optionNames<ClusterStateOptions>()(['host']);

/**
 * A {@link CacheLock} for the whole machine with no Redis, held by the cluster primary: give it
 * to a `TieredCache` (`lock: new ClusterLock()`) in every worker, and a missing key's loader
 * runs once per machine instead of once per worker.
 *
 * A lock whose holder exits is released at once (the primary sees the exit); one whose holder
 * hangs expires after its TTL. When the primary cannot be reached (its IPC channel closed, or no
 * answer within 5 s), `acquire` rejects and the cache loads without the lock, as it does when
 * Redis fails under a {@link RedisLock}. For many machines use {@link RedisLock}.
 *
 * @example
 * {@includeCode ./ClusterLock.test.ts#clusterLock}
 */
export class ClusterLock implements CacheLock {
  readonly #link: PrimaryLink;

  /**
   * @param options - `host`, in the primary only.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown option, a
   *   missing `host` in the primary, or a `host` in a worker.
   */
  constructor(options?: ClusterStateOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ClusterLock');
    this.#link = primaryLink('ClusterLock', opts.host);
  }

  /** {@inheritDoc CacheLock.acquire} */
  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = await this.#link.call(LOCK_ACQUIRE, [key, ttlMs]);
    return typeof token === 'string' ? token : undefined;
  }

  /** {@inheritDoc CacheLock.release} */
  async release(key: string, token: string): Promise<void> {
    await this.#link.call(LOCK_RELEASE, [key, token]);
  }
}
