// A CircuitBreaker's options (internal), validated and resolved once into a frozen form.
import { type Clock, systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { CircuitBreakerOptions } from './CircuitBreakerOptions.js';

const KNOWN_OPTIONS = optionNames<CircuitBreakerOptions>()([
  'name',
  'failureRatio',
  'minimumCalls',
  'windowMs',
  'consecutiveFailures',
  'openDurationMs',
  'halfOpenMaxProbes',
  'timeoutMs',
  'isFailure',
  'clock',
]);
/** Option names of opossum and cockatiel, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = {
  timeout: 'timeoutMs',
  resetTimeout: 'openDurationMs',
  halfOpenAfter: 'openDurationMs',
  errorThresholdPercentage: 'failureRatio',
  volumeThreshold: 'minimumCalls',
  rollingCountTimeout: 'windowMs',
  errorFilter: 'isFailure',
};

export type ResolvedCircuitBreakerOptions = {
  readonly name: string;
  /** `0` when the failure-ratio rule is off. */
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly windowMs: number;
  /** `0` when the consecutive-failures rule is off. */
  readonly consecutiveFailures: number;
  readonly openDurationMs: number;
  readonly halfOpenMaxProbes: number;
  readonly timeoutMs: number;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
  readonly clock: Clock;
};

/**
 * Validates a CircuitBreaker's options and fills in the defaults.
 *
 * @throws an {@link InvalidOptionError} for a bad or unknown option, or without a rule to open.
 */
export function resolveCircuitBreakerOptions(options: CircuitBreakerOptions): ResolvedCircuitBreakerOptions {
  if (options === undefined) throw new InvalidOptionError('options', 'an object', options);
  const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
  checkOptionKeys(opts, KNOWN_OPTIONS, 'CircuitBreaker', RENAMED);
  const name = nonEmptyStringOption('options.name', opts.name);
  const hasRatio = opts.failureRatio !== undefined;
  if (!hasRatio && opts.consecutiveFailures === undefined) {
    throw new InvalidOptionError(
      'options.failureRatio',
      'a number (or `options.consecutiveFailures` set): a breaker needs a rule to open',
      undefined,
    );
  }
  if (!hasRatio) {
    for (const key of ['minimumCalls', 'windowMs'] as const) {
      if (opts[key] !== undefined) {
        throw new InvalidOptionError(
          `options.${key}`,
          'absent: it applies only with `options.failureRatio`',
          opts[key],
        );
      }
    }
  }
  const failureRatio = hasRatio ? numberOption('options.failureRatio', opts.failureRatio, 0, 1, true) : 0;
  const minimumCalls = integerOption('options.minimumCalls', opts.minimumCalls ?? 10, 1);
  const windowMs = numberOption('options.windowMs', opts.windowMs ?? 10_000, 1);
  const consecutiveFailures =
    opts.consecutiveFailures === undefined
      ? 0
      : integerOption('options.consecutiveFailures', opts.consecutiveFailures, 1);
  const openDurationMs = numberOption('options.openDurationMs', opts.openDurationMs ?? 10_000, 0);
  const halfOpenMaxProbes = integerOption('options.halfOpenMaxProbes', opts.halfOpenMaxProbes ?? 1, 1);
  const timeoutMs = numberOption('options.timeoutMs', opts.timeoutMs ?? 0, 0, MAX_TIMER_MS);
  const isFailure =
    opts.isFailure === undefined
      ? undefined
      : functionOption<(error: unknown) => boolean>('options.isFailure', opts.isFailure);
  const clock = clockOption(opts.clock, systemClock);
  return Object.freeze({
    name,
    failureRatio,
    minimumCalls,
    windowMs,
    consecutiveFailures,
    openDurationMs,
    halfOpenMaxProbes,
    timeoutMs,
    isFailure,
    clock,
  });
}
