// Backoff policies from the AWS Architecture Blog, "Exponential Backoff And Jitter" (Marc Brooker,
// 2015): pure functions of the retry number (or the previous delay) and a random source, so they
// can be property-tested and reused by anything that waits between attempts.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { integerOption, numberOption, oneOfOption } from '../core/internal/validate.js';

/**
 * How a backoff delay is randomised, as the AWS Architecture Blog defines it:
 * - `'none'`: `min(maxDelayMs, baseDelayMs · 2^retryIndex)`, no randomness ("exponential").
 * - `'full'`: uniform in `[0, min(maxDelayMs, baseDelayMs · 2^retryIndex)]` ("full jitter").
 * - `'decorrelated'`: `min(maxDelayMs, uniform in [baseDelayMs, previousDelayMs · 3])`
 *   ("decorrelated jitter"), starting from `previousDelayMs = baseDelayMs`.
 */
export type Jitter = 'none' | 'full' | 'decorrelated';

/** Every {@link Jitter}, for validation and iteration. */
export const jitters: readonly Jitter[] = Object.freeze(['none', 'full', 'decorrelated'] as const);

import type { RandomSource } from '../core/RandomSource.js';

export type { RandomSource };

/** Argument of {@link exponentialDelay} and {@link fullJitterDelay}. */
export type ExponentialDelayOptions = {
  /** Retries already made before this wait: `0` before the first retry. Minimum: 0. */
  readonly retryIndex: number;
  /** The delay scale in ms: the first retry waits up to this long. Minimum: 0. */
  readonly baseDelayMs: number;
  /** The cap in ms: no delay exceeds it. Minimum: `baseDelayMs`. */
  readonly maxDelayMs: number;
};

/** Argument of {@link decorrelatedJitterDelay}. */
export type DecorrelatedDelayOptions = {
  /** The delay returned for the previous retry, or `baseDelayMs` before the first. Minimum: `baseDelayMs`. */
  readonly previousDelayMs: number;
  /** The smallest delay in ms. Minimum: 0. */
  readonly baseDelayMs: number;
  /** The cap in ms: no delay exceeds it. Minimum: `baseDelayMs`. */
  readonly maxDelayMs: number;
};

/**
 * Exponential backoff without jitter: `min(maxDelayMs, baseDelayMs · 2^retryIndex)`.
 *
 * @param options - the retry index, base and cap.
 * @returns the delay in ms.
 * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
 *
 * @example
 * {@includeCode ./backoff.test.ts#exponentialDelay}
 */
export function exponentialDelay(options: ExponentialDelayOptions): number {
  const { retryIndex, baseDelayMs, maxDelayMs } = checkExponential(options);
  return ceiling(retryIndex, baseDelayMs, maxDelayMs);
}

/**
 * "Full jitter": uniform in `[0, min(maxDelayMs, baseDelayMs · 2^retryIndex)]`. The blog's
 * recommended default: it spreads competing clients the most for the least total work.
 *
 * @param options - the retry index, base and cap.
 * @param random - uniform in `[0, 1)`.
 * @returns the delay in ms.
 * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, or when
 * `random()` returns something outside `[0, 1)`.
 *
 * @example
 * {@includeCode ./backoff.test.ts#fullJitterDelay}
 */
export function fullJitterDelay(
  options: ExponentialDelayOptions,
  random: RandomSource = Math.random,
): number {
  const { retryIndex, baseDelayMs, maxDelayMs } = checkExponential(options);
  return draw(random) * ceiling(retryIndex, baseDelayMs, maxDelayMs);
}

/**
 * "Decorrelated jitter": `min(maxDelayMs, uniform in [baseDelayMs, previousDelayMs · 3])`. Each
 * delay depends on the previous one rather than on the retry number, so it is always in
 * `[baseDelayMs, min(maxDelayMs, previousDelayMs · 3)]`.
 *
 * @param options - the previous delay, base and cap.
 * @param random - uniform in `[0, 1)`.
 * @returns the delay in ms.
 * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, or when
 * `random()` returns something outside `[0, 1)`.
 *
 * @example
 * {@includeCode ./backoff.test.ts#decorrelatedJitterDelay}
 */
export function decorrelatedJitterDelay(
  options: DecorrelatedDelayOptions,
  random: RandomSource = Math.random,
): number {
  const baseDelayMs = numberOption('options.baseDelayMs', options.baseDelayMs, 0);
  const maxDelayMs = numberOption('options.maxDelayMs', options.maxDelayMs, baseDelayMs);
  const previous = numberOption('options.previousDelayMs', options.previousDelayMs, baseDelayMs);
  const upper = previous * 3;
  return Math.min(maxDelayMs, baseDelayMs + draw(random) * (upper - baseDelayMs));
}

/**
 * The delay before retry number `retryIndex` (0 for the first) under a {@link Jitter}: what
 * `retry` uses. `previousDelayMs` matters only to `'decorrelated'`.
 *
 * @param jitter - the policy.
 * @param options - retry index, previous delay (for `'decorrelated'`), base and cap.
 * @param random - uniform in `[0, 1)`.
 * @returns the delay in ms.
 * @throws a {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
 *
 * @example
 * {@includeCode ./backoff.test.ts#backoffDelay}
 */
export function backoffDelay(
  jitter: Jitter,
  options: ExponentialDelayOptions & { readonly previousDelayMs?: number },
  random: RandomSource = Math.random,
): number {
  switch (oneOfOption('jitter', jitter, jitters)) {
    case 'none':
      return exponentialDelay(options);
    case 'full':
      return fullJitterDelay(options, random);
    case 'decorrelated':
      return decorrelatedJitterDelay(
        {
          previousDelayMs: options.previousDelayMs ?? options.baseDelayMs,
          baseDelayMs: options.baseDelayMs,
          maxDelayMs: options.maxDelayMs,
        },
        random,
      );
  }
}

function checkExponential(options: ExponentialDelayOptions): ExponentialDelayOptions {
  const retryIndex = integerOption('options.retryIndex', options.retryIndex, 0);
  const baseDelayMs = numberOption('options.baseDelayMs', options.baseDelayMs, 0);
  const maxDelayMs = numberOption('options.maxDelayMs', options.maxDelayMs, baseDelayMs);
  return { retryIndex, baseDelayMs, maxDelayMs };
}

/** `min(cap, base · 2^n)`; `2 ** n` overflows to `Infinity` for large n, which the cap absorbs. */
function ceiling(retryIndex: number, baseDelayMs: number, maxDelayMs: number): number {
  return baseDelayMs === 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** retryIndex);
}

function draw(random: RandomSource): number {
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r < 1))
    throw new InvalidOptionError('random()', 'a number in [0, 1)', r);
  return r;
}
