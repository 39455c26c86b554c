import { type Clock, systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import type { LimitOptions, RateLimiterOptions } from './RateLimiterOptions.js';
import type { RateLimiterStats } from './RateLimiterStats.js';
import type { RateLimitResult } from './RateLimitResult.js';
import { roundUpMs, storesReturningResults } from './RateLimitState.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from './RateLimitStore.js';

/** The resolved, validated form of {@link RateLimiterOptions}. */
type ResolvedRateLimiterOptions = {
  readonly rule: RateLimitRule;
  readonly store: RateLimitStore;
  readonly clock: Clock;
  readonly failOpen: boolean;
  readonly storeTimeoutMs: number;
  readonly periodMs: number;
  readonly max: number;
  /** The store's decisions are complete results (the stores of this module). */
  readonly trusted: boolean;
  readonly onDegraded: ((error: unknown, key: string) => void) | undefined;
};

/** A call waiting on an asynchronous store, in the limiter's in-flight list. */
type Waiting = {
  /** When it times out, on `performance.now()`. */
  readonly deadline: number;
  readonly key: string;
  readonly resolve: (result: RateLimitResult) => void;
  /** Answered (by the store or by the timeout). */
  done: boolean;
  next: Waiting | undefined;
};

const ALGORITHMS = ['gcra', 'sliding-window'] as const;

/**
 * Module-internal option: build the rule with `exact: true` (see `RateLimitRuleBase.exact`).
 * `SlowDown` sets it; it is not part of the public options.
 */
export const EXACT_COUNT = Symbol('exactCount');
const FAILURE_MODES = ['fail-open', 'fail-closed'] as const;

/**
 * Per-key rate limiting with GCRA or a sliding-window counter, over a pluggable
 * {@link RateLimitStore}: in memory for one process, or in Redis to enforce one limit across
 * many.
 *
 * GCRA reproduces redis-cell's and throttled's published test tables exactly (see
 * `gcra.test.ts`). A call's `cost` above the burst (GCRA) or limit (sliding window) is always
 * denied with `retryAfterMs: Infinity`, as in those references, rather than thrown: it reaches
 * the caller as a 429 without a `Retry-After`, not as a 500.
 *
 * When the store fails or is slow, `onStoreError` decides (fail open by default) and the result
 * says `degraded: true`; `limit()` never rejects for a store failure, and the next call tries the
 * store again, so the limiter recovers by itself when the store does.
 *
 * @example
 * {@includeCode ./RateLimiter.test.ts#rateLimiter}
 *
 * @example
 * {@includeCode ./RateLimiter.test.ts#slidingWindow}
 */
export class RateLimiter implements MetricsSource<RateLimiterStats> {
  readonly #o: ResolvedRateLimiterOptions;
  // Calls waiting on an asynchronous store, oldest first (they share one timeout, so deadlines
  // are in order), and the one timer that times them out.
  #head: Waiting | undefined;
  #tail: Waiting | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerFor: Waiting | undefined;
  #pending = 0;
  #allowed = 0;
  #denied = 0;
  #degradedCount = 0;

  /**
   * @param options - the algorithm, rate, store and failure policy.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options: RateLimiterOptions) {
    this.#o = resolveOptions(options);
  }

  /** The period in milliseconds (the window a rate-limit header's policy names). */
  get periodMs(): number {
    return this.#o.periodMs;
  }

  /** The algorithm: `'gcra'` or `'sliding-window'`. */
  get algorithm(): RateLimitRule['algorithm'] {
    return this.#o.rule.algorithm;
  }

  /**
   * Takes a snapshot of the limiter's counters (what `loadstone/prometheus` exports).
   *
   * @returns a fresh {@link RateLimiterStats}.
   */
  stats(): RateLimiterStats {
    return {
      algorithm: this.#o.rule.algorithm,
      allowed: this.#allowed,
      denied: this.#denied,
      degraded: this.#degradedCount,
      pending: this.#pending,
    };
  }

  /**
   * Decides whether `key` may spend `cost` now, and records it if so.
   *
   * @param key - whose limit: a user id, an API key, an IP address. A non-empty string.
   * @param options - the `cost` of this call.
   * @returns the decision; with a failing store, a `degraded` one by the `onStoreError` policy.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`), as a rejection, for an
   * empty key or a cost that is not an integer >= 0.
   */
  limit(key: string, options?: LimitOptions): Promise<RateLimitResult> {
    let cost = 1;
    if (options !== undefined || typeof key !== 'string' || key.length === 0) {
      try {
        nonEmptyStringOption('key', key);
        const given = optionsObject('options', options);
        // The shared check only on a miss: a loop of its own stays fast at this call site.
        for (const name in given)
          if (name !== 'cost') checkOptionKeys(given, LIMIT_OPTIONS, 'RateLimiter.limit');
        if (given.cost !== undefined) cost = integerOption('options.cost', given.cost, 0);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const o = this.#o;
    let decision: RateLimitDecision | PromiseLike<RateLimitDecision>;
    try {
      decision = o.store.consume(key, o.rule, cost, o.clock.now());
    } catch (error) {
      return Promise.resolve(this.#degraded(error, key));
    }
    if (typeof (decision as Partial<PromiseLike<unknown>>).then === 'function') {
      return this.#settle(decision as PromiseLike<RateLimitDecision>, key);
    }
    return Promise.resolve(this.#result(decision as RateLimitDecision));
  }

  #settle(pending: PromiseLike<RateLimitDecision>, key: string): Promise<RateLimitResult> {
    const timeoutMs = this.#o.storeTimeoutMs;
    this.#pending++;
    if (timeoutMs === 0) {
      return Promise.resolve(pending).then(
        (decision) => {
          this.#pending--;
          return this.#result(decision);
        },
        (error: unknown) => {
          this.#pending--;
          return this.#degraded(error, key);
        },
      );
    }
    return new Promise<RateLimitResult>((resolve) => {
      const call: Waiting = {
        deadline: performance.now() + timeoutMs,
        key,
        resolve,
        done: false,
        next: undefined,
      };
      // One shared timer for all the calls in flight, instead of a setTimeout per call.
      if (this.#tail === undefined) this.#head = call;
      else this.#tail.next = call;
      this.#tail = call;
      if (this.#timer === undefined) this.#arm(call, timeoutMs);
      pending.then(
        (decision) => {
          if (call.done) return;
          call.done = true;
          this.#pending--;
          this.#dropSettled();
          resolve(this.#result(decision));
        },
        (error: unknown) => {
          // After a timeout the late failure is already accounted for: swallow it here, so it is
          // never an unhandled rejection.
          if (call.done) return;
          call.done = true;
          this.#pending--;
          this.#dropSettled();
          resolve(this.#degraded(error, key));
        },
      );
    });
  }

  /** Drops the answered calls at the head of the in-flight list (calls mostly settle in order). */
  #dropSettled(): void {
    let head = this.#head;
    while (head?.done === true) head = head.next;
    this.#head = head;
    if (head === undefined) this.#tail = undefined;
  }

  /** Arms the shared timer for `call`, the oldest call in flight, due in `delayMs`. */
  #arm(call: Waiting, delayMs: number): void {
    this.#timerFor = call;
    this.#timer = setTimeout(this.#onTimer, delayMs);
    this.#timer.unref();
  }

  /** Times out every call past its deadline, then re-arms for the oldest one left. */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const timeoutMs = this.#o.storeTimeoutMs;
    const now = performance.now();
    const due = this.#timerFor;
    this.#timerFor = undefined;
    let call = this.#head;
    while (call !== undefined && (call.done || call === due || call.deadline <= now)) {
      if (!call.done) {
        // The timer was armed for `due` exactly: it is late whatever the clock reads.
        call.done = true;
        this.#pending--;
        call.resolve(this.#degraded(new TimeoutError('rate-limit store call', timeoutMs), call.key));
      }
      call = call.next;
    }
    this.#head = call;
    if (call === undefined) this.#tail = undefined;
    else this.#arm(call, Math.max(1, Math.ceil(call.deadline - now)));
  };

  #result(d: RateLimitDecision): RateLimitResult {
    if (d.allowed) this.#allowed++;
    else this.#denied++;
    if (this.#o.trusted) return d as RateLimitResult;
    return {
      allowed: d.allowed,
      remaining: d.remaining,
      resetMs: roundUpMs(d.resetMs),
      retryAfterMs: roundUpMs(d.retryAfterMs),
      limit: this.#o.max,
      degraded: false,
    };
  }

  #degraded(error: unknown, key: string): RateLimitResult {
    this.#degradedCount++;
    const o = this.#o;
    if (o.onDegraded !== undefined) {
      try {
        o.onDegraded(error, key);
      } catch (hookError) {
        process.emitWarning(`RateLimiter onDegraded hook threw: ${String(hookError)}`, {
          code: 'LOADSTONE_WARN_RATE_LIMIT_HOOK_THREW',
        });
      }
    }
    if (o.failOpen) {
      return { allowed: true, remaining: o.max, resetMs: 0, retryAfterMs: 0, limit: o.max, degraded: true };
    }
    const retryAfterMs = Math.ceil(Math.min(o.periodMs, 1000));
    return {
      allowed: false,
      remaining: 0,
      resetMs: retryAfterMs,
      retryAfterMs,
      limit: o.max,
      degraded: true,
    };
  }
}

const OPTIONS = optionNames<RateLimiterOptions>()([
  'limit',
  'periodMs',
  'store',
  'keyPrefix',
  'clock',
  'onStoreError',
  'storeTimeoutMs',
  'onDegraded',
  'algorithm',
  'burst',
]);
const LIMIT_OPTIONS = optionNames<LimitOptions>()(['cost']);
/**
 * The longest period: a year. Past it the decisions' float arithmetic loses the precision that a
 * first call of an idle key needs (a period of 1e15 ms refused it).
 */
const MAX_PERIOD_MS = 365 * 24 * 3_600_000;

function resolveOptions(options: RateLimiterOptions): ResolvedRateLimiterOptions {
  const opts = optionsObject('options', options) as Partial<RateLimiterOptions>;
  checkOptionKeys(opts, OPTIONS, 'RateLimiter', {
    windowMs: 'periodMs',
    max: 'limit',
    points: 'limit',
    duration: 'periodMs',
  });
  const algorithm = oneOfOption('options.algorithm', opts.algorithm ?? 'gcra', ALGORITHMS);
  const keyPrefix =
    opts.keyPrefix === undefined ? 'loadstone:rl:' : stringOption('options.keyPrefix', opts.keyPrefix);
  const limit = integerOption('options.limit', opts.limit, 1);
  const periodMs = numberOption('options.periodMs', opts.periodMs, 0, MAX_PERIOD_MS, true);
  const exact = (opts as { [EXACT_COUNT]?: boolean })[EXACT_COUNT] === true ? ({ exact: true } as const) : {};
  let rule: RateLimitRule;
  let max: number;
  if (algorithm === 'gcra') {
    const burst = integerOption('options.burst', opts.burst ?? limit, 1);
    const emissionIntervalMs = periodMs / limit;
    rule = Object.freeze({
      algorithm,
      keyPrefix,
      ...exact,
      emissionIntervalMs,
      burst,
      toleranceMs: burst * emissionIntervalMs,
      epsilonMs: Math.min(1e-4, emissionIntervalMs / 100),
    });
    max = burst;
  } else {
    if (opts.burst !== undefined) {
      throw new InvalidOptionError(
        'options.burst',
        "undefined with `algorithm: 'sliding-window'`",
        opts.burst,
      );
    }
    rule = Object.freeze({ algorithm, keyPrefix, ...exact, limit, periodMs });
    max = limit;
  }
  let store: RateLimitStore;
  if (opts.store === undefined) {
    store = new MemoryRateLimitStore();
  } else {
    store = opts.store;
    if (typeof store !== 'object' || store === null || typeof store.consume !== 'function') {
      throw new InvalidOptionError('options.store', 'a RateLimitStore (an object with `consume`)', store);
    }
  }
  const clock = clockOption(opts.clock, systemClock);
  return Object.freeze({
    rule,
    store,
    clock,
    failOpen:
      oneOfOption('options.onStoreError', opts.onStoreError ?? 'fail-open', FAILURE_MODES) === 'fail-open',
    storeTimeoutMs: timerMsOption('options.storeTimeoutMs', opts.storeTimeoutMs ?? 1000),
    periodMs,
    max,
    trusted: storesReturningResults.has(store),
    onDegraded:
      opts.onDegraded === undefined
        ? undefined
        : functionOption<(error: unknown, key: string) => void>('options.onDegraded', opts.onDegraded),
  });
}

/** A string, possibly empty (an empty key prefix is legal). */
function stringOption(path: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidOptionError(path, 'a string', value);
  return value;
}
