/**
 * The parameters of one limit, as a {@link RateLimitStore} receives them: the
 * {@link RateLimiter} resolves its options into this once, and passes the same frozen object
 * with every call.
 */
export type RateLimitRule = GcraRule | SlidingWindowRule;

/** What every rule carries besides its algorithm's parameters. */
export type RateLimitRuleBase = {
  /**
   * The limiter's `keyPrefix`: the namespace of the keys it passes (they come without it). A store
   * keeps each prefix's keys apart; the Redis store stores `{<keyPrefix><key>}:…`.
   */
  readonly keyPrefix: string;
  /**
   * Set by `SlowDown`: every call of a key must be counted in one place, so a decision's
   * `remaining` is the whole key's. A store that splits keys into per-process shares
   * (`ClusterRateLimitStore`) decides such a rule's keys in one process instead. Memory and Redis
   * stores count in one place anyway.
   */
  readonly exact?: true;
};

/** A GCRA limit (generic cell rate algorithm, as redis-cell and throttled implement it). */
export type GcraRule = RateLimitRuleBase & {
  /** Discriminant. */
  readonly algorithm: 'gcra';
  /** Time one unit of cost takes to drip away: `periodMs / limit`, in ms. */
  readonly emissionIntervalMs: number;
  /** Most cost accepted at once from an empty state (redis-cell's `max_burst + 1`). */
  readonly burst: number;
  /** Delay variation tolerance: `burst × emissionIntervalMs`, in ms. */
  readonly toleranceMs: number;
  /**
   * Slack for floating-point error in time comparisons, in ms: `min(0.0001, emissionIntervalMs / 100)`.
   * Without it, 3 per second would sometimes allow only 2 at once, because 1000 / 3 is not exact.
   */
  readonly epsilonMs: number;
};

/** A sliding-window-counter limit: two fixed windows, the previous one weighted (as Cloudflare describes). */
export type SlidingWindowRule = RateLimitRuleBase & {
  /** Discriminant. */
  readonly algorithm: 'sliding-window';
  /** Most cost accepted within one window. */
  readonly limit: number;
  /** Window length in ms; windows start at multiples of it on the store's clock. */
  readonly periodMs: number;
};

/** What a {@link RateLimitStore} decides for one call. All durations are in ms from now. */
export type RateLimitDecision = {
  /** Whether the cost was accepted (and recorded). */
  readonly allowed: boolean;
  /** Cost that would still be accepted right now, after this decision. An integer >= 0. */
  readonly remaining: number;
  /** Time until the key is back to its initial (empty) state. */
  readonly resetMs: number;
  /**
   * When denied, time until the same cost would be accepted; `Infinity` when it never can (a cost
   * above the burst or limit). `0` when allowed.
   */
  readonly retryAfterMs: number;
};

/**
 * Where a {@link RateLimiter} keeps its per-key state and makes its decisions. A store must
 * decide and record atomically, so that concurrent callers (other processes, for a shared store)
 * never both spend the same capacity. Two ship with loadstone: {@link MemoryRateLimitStore} (one
 * process) and {@link RedisRateLimitStore} (many processes, one Redis or Redis Cluster).
 *
 * A store that fails (throws, rejects or is slower than the limiter's `storeTimeoutMs`) makes
 * the limiter answer according to its `onStoreError` option.
 *
 * @example
 * {@includeCode ./RateLimiter.test.ts#customStore}
 */
export interface RateLimitStore {
  /**
   * Decides one call and records its cost when allowed.
   *
   * Positional arguments on purpose: this runs once per decision, on the hot path.
   *
   * @param key - the caller's key, without the limiter's prefix (that is `rule.keyPrefix`;
   * keeping them apart spares the memory store a string concatenation per call).
   * @param rule - the limit's parameters and key prefix; the same object for every call of one
   * limiter.
   * @param cost - an integer >= 0; `0` only reads the state.
   * @param nowMs - the limiter's clock; a shared store may use its own time instead (the Redis
   * store uses the server's `TIME`, so processes with skewed clocks agree).
   * @returns the decision, synchronously or as a promise.
   */
  consume(
    key: string,
    rule: RateLimitRule,
    cost: number,
    nowMs: number,
  ): RateLimitDecision | PromiseLike<RateLimitDecision>;
}
