import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { isNoScript } from '../core/internal/luaScript.js';
import { checkOptionKeys, optionNames, optionsObject } from '../core/internal/validate.js';
import type { RateLimitResult } from './RateLimitResult.js';
import { storesReturningResults } from './RateLimitState.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from './RateLimitStore.js';
import { decideScript } from './RedisRateLimitStoreScripts.js';

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

const OPTIONS = optionNames<RedisRateLimitStoreOptions>()(['client']);

/**
 * A {@link RateLimitStore} in Redis, so that every process using the same Redis (or Redis
 * Cluster) enforces one limit per key.
 *
 * - **Atomic**: decisions are made by one Lua script (`EVALSHA`, falling back to `EVAL` when the
 *   server answers `NOSCRIPT`, e.g. after a restart), so concurrent callers never spend the same
 *   capacity twice.
 * - **Batched**: with an ioredis `Redis` client (not a `Cluster`, whose keys in one script would
 *   have to share a slot), the decisions asked for in the same tick go to Redis as one script
 *   call that makes them one after another, in the order they were asked for, each exactly as it
 *   would have been made alone. Under load this saves Redis and the client most of their
 *   per-command work; a lone decision is sent as before, with no added delay.
 * - **Cheap inside Redis**: one `TIME` per script call, and per decision one key read and at
 *   most one write (`SET … PX`), none for a refusal or a cost-0 read; about 3 µs of Redis time
 *   per decision at 50 in flight, less than rate-limiter-flexible's (docs/benchmarks.md).
 * - **One clock**: the script reads the server's `TIME`, so processes whose clocks disagree
 *   still share one limit (the limiter's `clock` option is not used).
 * - **Cluster-safe keys**: a limit's key is `{<keyPrefix><key>}:gcra:f64` (or `:sw:f64`, the state
 *   being raw float64s); the hash tag keeps all of one limit's keys in one slot.
 * - **Expiring**: every write sets a TTL (`PX`) of the time until the key is back to empty, so
 *   idle keys disappear on their own.
 *
 * @example
 * {@includeCode ./RedisRateLimitStore.test.ts#redisStore}
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisScriptClient;
  /** Whether decisions of one tick may share a script call: only for a single-node client. */
  readonly #batching: boolean;
  /** Decisions waiting for this tick's flush (only while batching). */
  #queue: Queued[] = [];
  readonly #flush = (): void => {
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += MAX_BATCH) {
      this.#decide(queue.slice(i, i + MAX_BATCH));
    }
  };
  // The last rule seen and its script arguments as strings (ioredis would stringify the numbers
  // on every call): one limiter per store is the common case; other rules are in `#argsByRule`.
  #lastRule: RateLimitRule | undefined;
  #lastArgs: RuleArgs | undefined;
  readonly #argsByRule = new WeakMap<RateLimitRule, RuleArgs>();

  /**
   * @param options - the client.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) when `client` lacks
   * `evalsha` or `eval`.
   */
  constructor(options: RedisRateLimitStoreOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'RedisRateLimitStore');
    const client = (opts as Partial<RedisRateLimitStoreOptions>).client;
    // `null` never gets here: the option check refuses null values.
    if (
      typeof client !== 'object' ||
      typeof client.evalsha !== 'function' ||
      typeof client.eval !== 'function'
    ) {
      throw new InvalidOptionError('options.client', 'a Redis client with `evalsha` and `eval`', client);
    }
    this.#client = client;
    // ioredis sets `isCluster` on both of its clients: `false` is a single node. Anything else
    // (a Cluster, another client) gets one script call per decision.
    this.#batching = (client as { isCluster?: unknown }).isCluster === false;
    storesReturningResults.add(this);
  }

  /**
   * Decides one call in Redis and records its cost when allowed; see
   * {@link RateLimitStore.consume}.
   *
   * @param key - the caller's key; the stored key is `{<keyPrefix><key>}:gcra:f64` or `…:sw:f64`.
   * @param rule - the limit.
   * @param cost - an integer >= 0.
   * @param _nowMs - ignored: the script uses the server's `TIME`.
   * @returns the decision; rejects with the client's error when Redis fails.
   */
  consume(key: string, rule: RateLimitRule, cost: number, _nowMs: number): Promise<RateLimitDecision> {
    return new Promise<RateLimitResult>((resolve, reject) => {
      const queued: Queued = { key, rule, cost, resolve, reject };
      if (!this.#batching) this.#decide([queued]);
      else if (this.#queue.push(queued) === 1) queueMicrotask(this.#flush);
    });
  }

  #args(rule: RateLimitRule): RuleArgs {
    // Stryker disable next-line ConditionalExpression: a fast path; the map below holds the same arguments
    if (rule === this.#lastRule) return this.#lastArgs as RuleArgs;
    let args = this.#argsByRule.get(rule);
    if (args === undefined) {
      args =
        rule.algorithm === 'gcra'
          ? {
              rule: ['g', String(rule.emissionIntervalMs), String(rule.toleranceMs), String(rule.epsilonMs)],
              suffix: '}:gcra:f64',
              max: rule.burst,
            }
          : {
              // Stryker disable next-line StringLiteral: the script tells 'g' from anything else, and reads no fourth argument here
              rule: ['s', String(rule.limit), String(rule.periodMs), ''],
              suffix: '}:sw:f64',
              max: rule.limit,
            };
      this.#argsByRule.set(rule, args);
    }
    this.#lastRule = rule;
    this.#lastArgs = args;
    return args;
  }

  /**
   * Decides `batch` in order in one script call: its keys, then each decision's rule index and
   * cost, then each distinct rule's arguments once.
   */
  #decide(batch: readonly Queued[]): void {
    const n = batch.length;
    const keys: string[] = [];
    const args: (string | number)[] = [];
    const rules: RuleArgs[] = [];
    const maxes: number[] = [];
    for (const q of batch) {
      const ruleArgs = this.#args(q.rule);
      let index = rules.indexOf(ruleArgs);
      if (index === -1) index = rules.push(ruleArgs) - 1;
      keys.push(`{${q.rule.keyPrefix}${q.key}${ruleArgs.suffix}`);
      args.push(index + 1, q.cost);
      maxes.push(ruleArgs.max);
    }
    for (const ruleArgs of rules) args.push(...ruleArgs.rule);
    const client = this.#client;
    let sent: Promise<unknown>;
    try {
      sent = client.evalsha(decideScript.sha, n, ...keys, ...args);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent
      .then(undefined, (error: unknown) => {
        if (!isNoScript(error)) throw error;
        return client.eval(decideScript.source, n, ...keys, ...args);
      })
      .then((reply) => {
        if (!Array.isArray(reply) || reply.length !== n * 4) {
          throw new TypeError(`unexpected rate-limit script reply: ${JSON.stringify(reply)}`);
        }
        batch.forEach((q, i) => {
          const k = i * 4;
          if (reply[k] === -1) q.reject(new Error(String(reply[k + 1])));
          else
            q.resolve(result(reply[k] === 1, reply[k + 1], reply[k + 2], reply[k + 3], maxes[i] as number));
        });
      })
      .then(undefined, (error: unknown) => {
        for (const q of batch) q.reject(error);
      });
  }
}

/** The rule's script arguments, formatted once. */
type RuleArgs = {
  /** Its 4 script arguments: `g`, interval, tolerance, epsilon or `s`, limit, period, ''. */
  readonly rule: readonly string[];
  /** Closes the hash tag and names the algorithm: `}:gcra:f64` or `}:sw:f64`. */
  readonly suffix: string;
  /** The result's `limit`. */
  readonly max: number;
};

/** A decision waiting for its tick's batch. */
type Queued = {
  readonly key: string;
  readonly rule: RateLimitRule;
  readonly cost: number;
  readonly resolve: (result: RateLimitResult) => void;
  readonly reject: (error: unknown) => void;
};

/** Most decisions per script call (each is 1 key and 2 arguments). */
const MAX_BATCH = 512;

/** The limiter's result from one decision's reply values (whole ms; a retry of -1: never). */
function result(
  allowed: boolean,
  remaining: unknown,
  resetMs: unknown,
  retryMs: unknown,
  max: number,
): RateLimitResult {
  return {
    allowed,
    remaining: remaining as number,
    resetMs: resetMs as number,
    retryAfterMs: (retryMs as number) < 0 ? Number.POSITIVE_INFINITY : (retryMs as number),
    limit: max,
    degraded: false,
  };
}
