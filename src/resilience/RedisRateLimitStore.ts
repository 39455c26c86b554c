import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { optionsObject } from '../core/internal/validate.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from './RateLimitStore.js';
import { gcraScript, type LuaScript, slidingWindowScript } from './RedisRateLimitStoreScripts.js';

/**
 * The part of a Redis client the store uses: `EVALSHA` and `EVAL` returning promises. ioredis's
 * `Redis` and `Cluster` both fit; so does anything with the same two methods.
 */
export type RedisScriptClient = {
  /** Runs a cached script by its SHA1: `EVALSHA sha numkeys key… arg…`. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** Runs a script from source: `EVAL script numkeys key… arg…`. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
};

/** Options of {@link RedisRateLimitStore}. */
export type RedisRateLimitStoreOptions = {
  /**
   * Your ioredis `Redis` or `Cluster` client (or any {@link RedisScriptClient}). The store
   * neither connects nor closes it. For fast failure while Redis is down, create it with
   * `enableOfflineQueue: false`; otherwise commands queue until it returns, and the limiter's
   * `storeTimeoutMs` is what bounds a call.
   */
  readonly client: RedisScriptClient;
};

/**
 * A {@link RateLimitStore} in Redis, so that every process using the same Redis (or Redis
 * Cluster) enforces one limit per key.
 *
 * - **Atomic**: each decision is one Lua script (`EVALSHA`, falling back to `EVAL` when the
 *   server answers `NOSCRIPT`, e.g. after a restart), so concurrent callers never spend the same
 *   capacity twice.
 * - **One clock**: the script reads the server's `TIME`, so processes whose clocks disagree
 *   still share one limit (the limiter's `clock` option is not used).
 * - **Cluster-safe keys**: a limit's key is `{<keyPrefix><key>}:gcra` (or `:sw`); the hash tag
 *   keeps all of one limit's keys in one slot.
 * - **Expiring**: every write sets a TTL (`PX`) of the time until the key is back to empty, so
 *   idle keys disappear on their own.
 *
 * @example
 * {@includeCode ./RedisRateLimitStore.test.ts#redisStore}
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisScriptClient;

  /**
   * @param options - the client.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) when `client` lacks
   * `evalsha` or `eval`.
   */
  constructor(options: RedisRateLimitStoreOptions) {
    const opts = optionsObject('options', options);
    const client = (opts as Partial<RedisRateLimitStoreOptions>).client;
    if (
      typeof client !== 'object' ||
      client === null ||
      typeof client.evalsha !== 'function' ||
      typeof client.eval !== 'function'
    ) {
      throw new InvalidOptionError('options.client', 'a Redis client with `evalsha` and `eval`', client);
    }
    this.#client = client;
  }

  /**
   * Decides one call in Redis and records its cost when allowed; see
   * {@link RateLimitStore.consume}.
   *
   * @param key - the caller's key; the stored key is `{<keyPrefix><key>}:gcra` or `…:sw`.
   * @param rule - the limit.
   * @param cost - an integer >= 0.
   * @param _nowMs - ignored: the script uses the server's `TIME`.
   * @returns the decision; rejects with the client's error when Redis fails.
   */
  consume(key: string, rule: RateLimitRule, cost: number, _nowMs: number): Promise<RateLimitDecision> {
    if (rule.algorithm === 'gcra') {
      return this.#run(
        gcraScript,
        `{${rule.keyPrefix}${key}}:gcra`,
        rule.emissionIntervalMs,
        rule.toleranceMs,
        rule.epsilonMs,
        cost,
      );
    }
    return this.#run(slidingWindowScript, `{${rule.keyPrefix}${key}}:sw`, rule.limit, rule.periodMs, cost, 0);
  }

  async #run(
    script: LuaScript,
    key: string,
    a: number,
    b: number,
    c: number,
    d: number,
  ): Promise<RateLimitDecision> {
    let reply: unknown;
    try {
      reply = await this.#client.evalsha(script.sha, 1, key, a, b, c, d);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      reply = await this.#client.eval(script.source, 1, key, a, b, c, d);
    }
    return parseReply(reply);
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function parseReply(reply: unknown): RateLimitDecision {
  if (!Array.isArray(reply) || reply.length !== 4) {
    throw new TypeError(`unexpected rate-limit script reply: ${JSON.stringify(reply)}`);
  }
  const retry = Number(reply[3]);
  return {
    allowed: reply[0] === 1,
    remaining: Number(reply[1]),
    resetMs: Number(reply[2]),
    retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
  };
}
