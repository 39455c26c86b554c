import { randomUUID } from 'node:crypto';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { CacheLock } from './CacheLock.js';
import type { RedisLockClient } from './RedisClient.js';

/** Options of {@link RedisLock}. */
export type RedisLockOptions = {
  /** Your ioredis `Redis` or `Cluster` client. */
  readonly client: RedisLockClient;
  /** Prefix of the lock keys. @default 'loadstone:cache:lock:' */
  readonly prefix?: string;
};

// Deletes the lock only if it still holds our token (a plain DEL could free someone else's).
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const OPTIONS = optionNames<RedisLockOptions>()(['client', 'prefix']);

/**
 * A {@link CacheLock} on Redis: `SET key token PX ttl NX` to take it, a compare-and-delete
 * script to release it. Single-instance Redis semantics (not Redlock): if Redis loses the key
 * (failover, restart), two processes may load at once, which costs a duplicate load, never a
 * wrong value.
 *
 * @example
 * {@includeCode ../../test/integration/cache-redis.test.ts#lock}
 */
export class RedisLock implements CacheLock {
  readonly #client: RedisLockClient;
  readonly #prefix: string;

  /**
   * @param options - client and key prefix.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: RedisLockOptions) {
    const opts = optionsObject('options', options) as Partial<RedisLockOptions>;
    checkOptionKeys(opts, OPTIONS, 'RedisLock');
    const client = opts.client; // never null: the option check refuses null values
    if (typeof client !== 'object' || typeof client.set !== 'function' || typeof client.eval !== 'function') {
      throw new InvalidOptionError('options.client', 'an ioredis Redis or Cluster client', client);
    }
    this.#client = client;
    this.#prefix =
      opts.prefix === undefined
        ? 'loadstone:cache:lock:'
        : nonEmptyStringOption('options.prefix', opts.prefix);
  }

  /** {@inheritDoc CacheLock.acquire} */
  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await this.#client.set(
      this.#prefix + key,
      token,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
      'NX',
    );
    return reply === 'OK' ? token : undefined;
  }

  /** {@inheritDoc CacheLock.release} */
  async release(key: string, token: string): Promise<void> {
    await this.#client.eval(RELEASE, 1, this.#prefix + key, token);
  }
}
