import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { abortReason } from '../core/internal/abort.js';
import {
  checkOptionKeys,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { EXACT_COUNT, RateLimiter } from './RateLimiter.js';
import type { RateLimiterBaseOptions, RateLimiterOptions } from './RateLimiterOptions.js';
import type {
  SlowDownCheckOptions,
  SlowDownOptions,
  SlowDownResult,
  SlowDownStats,
  SlowDownWaitOptions,
} from './SlowDownOptions.js';

const OPTIONS = optionNames<SlowDownOptions>()([
  'delayAfter',
  'periodMs',
  'delayStepMs',
  'maxDelayMs',
  'store',
  'keyPrefix',
  'clock',
  'onStoreError',
  'storeTimeoutMs',
  'onDegraded',
]);
const WAIT_OPTIONS = optionNames<SlowDownWaitOptions>()(['cost', 'signal']);

/**
 * Slows a key down instead of refusing it: the first `delayAfter` calls in any `periodMs` go
 * through at once, and each one past them waits `delayStepMs` longer than the one before, up to
 * `maxDelayMs` (express-slow-down's behaviour). Put it in front of a {@link RateLimiter} with a
 * higher limit to slow a burst down before refusing it.
 *
 * Calls are counted in a sliding window in any {@link RateLimitStore}: memory for one process,
 * {@link RedisRateLimitStore} across machines, `ClusterRateLimitStore` across the workers of one
 * machine. The count stops at the call whose delay reaches `maxDelayMs`; later calls wait that
 * long without being counted. A call that gives up while it waits (its `signal` aborts, as the
 * HTTP handler does when the client disconnects) stops waiting at once; its count is kept, as in
 * express-slow-down, so a client cannot wipe its delay by hanging up and calling again.
 *
 * @example
 * {@includeCode ./SlowDown.test.ts#slowDown}
 */
export class SlowDown implements MetricsSource<SlowDownStats> {
  /** Calls per period that go through without a delay (the `delayAfter` option). */
  readonly delayAfter: number;
  readonly #counter: RateLimiter;
  readonly #stepMs: number;
  readonly #maxDelayMs: number;
  /** The count at which the delay reaches `maxDelayMs`: the sliding window's limit. */
  readonly #countLimit: number;
  #undelayed = 0;
  #delayed = 0;
  #abandoned = 0;
  #degraded = 0;
  #waiting = 0;

  /**
   * @param options - the free calls per period, the step and cap of the delay, and the store.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options: SlowDownOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'SlowDown');
    this.delayAfter = integerOption('options.delayAfter', opts.delayAfter, 0, MAX_COUNT);
    this.#stepMs = numberOption('options.delayStepMs', opts.delayStepMs ?? 1000, 0, MAX_TIMER_MS, true);
    this.#maxDelayMs = numberOption('options.maxDelayMs', opts.maxDelayMs ?? 30_000, 0, MAX_TIMER_MS, true);
    // Counting stops where the delay reaches the cap: past it, the store refuses, and a refusal
    // is a call at the cap.
    this.#countLimit = Math.max(1, this.delayAfter + Math.ceil(this.#maxDelayMs / this.#stepMs));
    if (this.#countLimit > Number.MAX_SAFE_INTEGER) {
      throw new InvalidOptionError(
        'options.delayStepMs',
        `a step with delayAfter + maxDelayMs / delayStepMs <= ${Number.MAX_SAFE_INTEGER}`,
        this.#stepMs,
      );
    }
    const { delayAfter: _a, delayStepMs: _s, maxDelayMs: _m, ...limiterOptions } = opts;
    this.#counter = new RateLimiter({
      ...(limiterOptions as Omit<RateLimiterBaseOptions, 'limit'>),
      algorithm: 'sliding-window',
      keyPrefix: opts.keyPrefix ?? 'loadstone:sd:',
      limit: this.#countLimit,
      // The delay is computed from the key's whole count, which per-worker shares would not give.
      [EXACT_COUNT]: true,
    } as RateLimiterOptions);
  }

  /**
   * Counts one call of `key` and says how long it should wait, without waiting.
   *
   * @param key - whose count: a user id, an API key, an IP address. A non-empty string.
   * @param options - the call's `cost`.
   * @returns the decision; with a failing store, the `onStoreError` policy's (failing open: no
   * delay; failing closed: `maxDelayMs`), marked `degraded`.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`), as a rejection, for an
   * empty key or a bad cost.
   */
  async check(key: string, options?: SlowDownCheckOptions): Promise<SlowDownResult> {
    const counted = await this.#counter.limit(key, options);
    const limit = this.#countLimit;
    // `remaining` is ⌊limit − count⌋, so the count rounded up is `limit − remaining`. A degraded
    // allow reports the whole limit remaining: no delay.
    const used = counted.allowed ? limit - counted.remaining : limit;
    const delayMs = Math.min(this.#maxDelayMs, Math.max(0, used - this.delayAfter) * this.#stepMs);
    if (counted.degraded) this.#degraded++;
    if (delayMs > 0) this.#delayed++;
    else this.#undelayed++;
    return {
      delayMs,
      used,
      delayAfter: this.delayAfter,
      remaining: Math.max(0, this.delayAfter - used),
      resetMs: counted.resetMs,
      degraded: counted.degraded,
    };
  }

  /**
   * Counts one call of `key` and resolves once its delay has passed. When `signal` aborts
   * meanwhile, the timer is cleared at once and the promise rejects with the signal's reason.
   *
   * @param key - whose count. A non-empty string.
   * @param options - the call's `cost` and a `signal` to give up waiting.
   * @returns the decision, once waited out.
   * @throws (as rejections) an {@link InvalidOptionError} for bad arguments; the signal's reason
   * (an `AbortedError` when it is not an `Error`) on abort.
   */
  async wait(key: string, options?: SlowDownWaitOptions): Promise<SlowDownResult> {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, WAIT_OPTIONS, 'SlowDown.wait');
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    }
    if (signal?.aborted) throw abortReason(signal, 'SlowDown wait');
    const result = await this.check(key, opts.cost === undefined ? undefined : { cost: opts.cost });
    if (result.delayMs === 0) return result;
    this.#waiting++;
    return new Promise<SlowDownResult>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.#waiting--;
        this.#abandoned++;
        reject(abortReason(signal as AbortSignal, 'SlowDown wait'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#waiting--;
        resolve(result);
      }, result.delayMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Takes a snapshot of the counters.
   *
   * @returns a fresh {@link SlowDownStats}.
   */
  stats(): SlowDownStats {
    return {
      undelayed: this.#undelayed,
      delayed: this.#delayed,
      abandoned: this.#abandoned,
      degraded: this.#degraded,
      waiting: this.#waiting,
    };
  }
}

/** Most free calls per period. */
const MAX_COUNT = 2 ** 40;
