import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { abortReason } from '../core/internal/abort.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  oneOfOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import { backoffDelay, type Jitter, jitters, type RandomSource } from './backoff.js';
import type { RetryContext, RetryEvent, RetryOptions } from './RetryOptions.js';

/** Passed to attempts when the caller gave no signal. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

const KNOWN_OPTIONS = optionNames<RetryOptions>()([
  'attempts',
  'baseDelayMs',
  'maxDelayMs',
  'jitter',
  'retryIf',
  'onRetry',
  'signal',
  'random',
]);
/** Options of other libraries people reach for by habit, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = { maxAttempts: 'attempts', retries: 'attempts' };

type ResolvedRetryOptions = {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
  readonly retryIf: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly random: RandomSource;
};

/**
 * Calls `fn` until it succeeds, up to `attempts` times, waiting an exponential, jittered
 * backoff between attempts (see {@link RetryOptions.jitter}).
 *
 * The final failure rejects with the last attempt's error, unchanged (nothing is wrapped or
 * added to it). To know how many attempts a call took, read `attempt` inside `fn` or count
 * `onRetry` calls.
 *
 * Composes with a circuit breaker either way round: `retry(() => breaker.execute(call))`
 * retries through the breaker (use `retryIf` to skip `CircuitOpenError`), and
 * `breaker.execute(() => retry(call))` counts a whole retried sequence as one call.
 *
 * @typeParam T - what `fn` resolves to.
 * @param fn - the work; receives the attempt number and the signal to pass on.
 * @param options - attempts, backoff, predicate, hook and signal.
 * @returns what the first successful attempt resolved to.
 * @throws the last attempt's error when every attempt failed or `retryIf` refused it;
 * `signal.reason` on abort; {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad
 * option. All of these reject the promise; `retry` never throws synchronously.
 *
 * @example
 * {@includeCode ./retry.test.ts#retry}
 */
export async function retry<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  functionOption('fn', fn);
  const o = resolveRetryOptions(options);
  const signal = o.signal;
  let previousDelayMs = o.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal, 'retry');
    try {
      return await runAttempt(fn, attempt, signal);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, 'retry');
      if (attempt >= o.attempts || (o.retryIf !== undefined && !o.retryIf(error, attempt))) throw error;
      const delayMs = backoffDelay(
        o.jitter,
        { retryIndex: attempt - 1, previousDelayMs, baseDelayMs: o.baseDelayMs, maxDelayMs: o.maxDelayMs },
        o.random,
      );
      previousDelayMs = delayMs;
      o.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, signal);
    }
  }
}

/** Runs one attempt; with a signal, an abort rejects at once (the attempt's outcome is then ignored). */
function runAttempt<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  attempt: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) {
    try {
      return Promise.resolve(fn({ attempt, signal: NEVER_ABORTED }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise<T>((resolve, reject) => {
    // `retry` turns whatever an aborted attempt rejects with into the abort's own error.
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal.removeEventListener('abort', onAbort);
    let result: T | PromiseLike<T>;
    try {
      result = fn({ attempt, signal });
    } catch (error) {
      // Rejects like an asynchronous failure, and leaves no listener on the caller's signal.
      settle();
      reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/** Waits `ms`; an abort clears the timer and rejects at once with the abort reason. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal, 'retry'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  const opts = optionsObject('options', options) as RetryOptions;
  checkOptionKeys(opts, KNOWN_OPTIONS, 'retry', RENAMED);
  const attempts = integerOption('options.attempts', opts.attempts ?? 3, 1, 1000);
  const baseDelayMs = timerMsOption('options.baseDelayMs', opts.baseDelayMs ?? 100);
  const maxDelayMs = timerMsOption(
    'options.maxDelayMs',
    opts.maxDelayMs ?? Math.max(10_000, baseDelayMs),
    baseDelayMs,
  );
  const jitter = oneOfOption('options.jitter', opts.jitter ?? 'full', jitters);
  const retryIf =
    opts.retryIf === undefined
      ? undefined
      : functionOption<(error: unknown, attempt: number) => boolean>('options.retryIf', opts.retryIf);
  const onRetry =
    opts.onRetry === undefined
      ? undefined
      : functionOption<(event: RetryEvent) => void>('options.onRetry', opts.onRetry);
  const random =
    opts.random === undefined ? Math.random : functionOption<RandomSource>('options.random', opts.random);
  const signal = opts.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
  }
  return Object.freeze({ attempts, baseDelayMs, maxDelayMs, jitter, retryIf, onRetry, signal, random });
}
