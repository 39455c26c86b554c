// A PriorityTaskQueue's options (internal): the constructor's, resolved once into a frozen
// form, and the per-call ones of `add`, validated on each call.
import type { Clock } from '../core/Clock.js';
import { systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import { warnUnbounded } from '../core/internal/warnUnbounded.js';
import type { LoadSignal } from '../core/LoadSignal.js';
import type {
  AddOptions,
  AgingOptions,
  Priority,
  PriorityTaskQueueOptions,
  RateCapOptions,
  ShedOptions,
  Task,
  TaskRetryOptions,
} from './PriorityTaskQueueOptions.js';

const OPTIONS = optionNames<PriorityTaskQueueOptions>()([
  'concurrency',
  'maxQueued',
  'closeTimeoutMs',
  'priorities',
  'defaultPriority',
  'retry',
  'timeoutMs',
  'loadSignal',
  'shed',
  'rate',
  'aging',
  'paused',
  'clock',
]);
const ADD_OPTIONS = optionNames<AddOptions>()(['priority', 'signal', 'retry', 'timeoutMs', 'id']);
const RETRY_OPTIONS = optionNames<TaskRetryOptions>()([
  'attempts',
  'baseDelayMs',
  'maxDelayMs',
  'jitter',
  'retryIf',
  'onRetry',
  'random',
]);
const SHED_OPTIONS = optionNames<ShedOptions>()(['minPriority', 'action', 'degradedConcurrency']);
const RATE_OPTIONS = optionNames<RateCapOptions>()(['limit', 'intervalMs']);
const AGING_OPTIONS = optionNames<AgingOptions>()(['intervalMs']);

/** The default bound on waiting tasks: about 20 MB of them (a few hundred bytes each). */
export const DEFAULT_MAX_QUEUED = 100_000;

/**
 * A bound on how much may wait: `fallback` when absent, an integer from `min`, or `Infinity`
 * (which calls `onUnbounded`, for its warning).
 */
export function boundOption(
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  onUnbounded: () => void,
): number {
  if (value === undefined) return fallback;
  if (value === Number.POSITIVE_INFINITY) {
    onUnbounded();
    return value;
  }
  return integerOption(path, value, min);
}

const DEFAULT_PRIORITIES: readonly string[] = Object.freeze(['critical', 'high', 'medium', 'low']);

/** The options of a PriorityTaskQueue, validated and with their defaults. */
export type ResolvedPriorityTaskQueueOptions = {
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly closeTimeoutMs: number;
  readonly levels: ReadonlyMap<string, number>;
  readonly defaultRank: number;
  readonly defaultPriority: Priority;
  readonly retry: TaskRetryOptions | undefined;
  readonly timeoutMs: number;
  readonly loadSignal: LoadSignal | undefined;
  readonly shedRank: number;
  readonly shedAction: 'reject' | 'defer';
  readonly degradedConcurrency: number | undefined;
  readonly rateLimit: number;
  readonly rateIntervalMs: number;
  readonly agingIntervalMs: number;
  readonly clock: Clock;
};

/** A concurrency: an integer >= 1, or `Infinity`. */
export function concurrencyOption(path: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return integerOption(path, value, 1);
}

/**
 * Validates `add`'s arguments and returns the task's rank (its priority as a number).
 *
 * @throws an {@link InvalidOptionError} for a bad argument.
 */
export function addRank(
  o: ResolvedPriorityTaskQueueOptions,
  fn: Task<unknown>,
  options?: AddOptions,
): number {
  functionOption('fn', fn);
  if (options === undefined || options.priority === undefined) {
    if (options !== undefined) validateAddOptions(options);
    return o.defaultRank;
  }
  validateAddOptions(options);
  return priorityRank(o, 'options.priority', options.priority);
}

function priorityRank(o: ResolvedPriorityTaskQueueOptions, path: string, priority: Priority): number {
  if (typeof priority === 'number') {
    if (!Number.isFinite(priority))
      throw new InvalidOptionError(path, 'a level name or a finite number', priority);
    return priority;
  }
  const rank = o.levels.get(priority);
  if (rank === undefined) {
    throw new InvalidOptionError(
      path,
      `one of ${[...o.levels.keys()].map((l) => `"${l}"`).join(', ')} or a finite number`,
      priority,
    );
  }
  return rank;
}

function validateRetry(path: string, value: unknown): TaskRetryOptions {
  const opts = optionsObject(path, value as TaskRetryOptions);
  if ('signal' in opts) {
    throw new InvalidOptionError(
      `${path}.signal`,
      'absent: pass the signal to `add`',
      (opts as Record<string, unknown>).signal,
    );
  }
  checkOptionKeys(opts, RETRY_OPTIONS, 'a task retry', {}, path);
  if (opts.attempts !== undefined) integerOption(`${path}.attempts`, opts.attempts, 1, 1000);
  if (opts.baseDelayMs !== undefined) timerMsOption(`${path}.baseDelayMs`, opts.baseDelayMs);
  if (opts.maxDelayMs !== undefined) timerMsOption(`${path}.maxDelayMs`, opts.maxDelayMs);
  if (opts.retryIf !== undefined) functionOption(`${path}.retryIf`, opts.retryIf);
  if (opts.onRetry !== undefined) functionOption(`${path}.onRetry`, opts.onRetry);
  return opts;
}

function validateAddOptions(options: AddOptions): void {
  optionsObject('options', options);
  // The shared check (which builds its error) only on a miss: this loop runs on every add.
  for (const name in options) {
    if (!ADD_OPTIONS.has(name)) checkOptionKeys(options, ADD_OPTIONS, 'PriorityTaskQueue.add');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidOptionError('options.signal', 'an AbortSignal', options.signal);
  }
  if (options.retry !== undefined && options.retry !== false) validateRetry('options.retry', options.retry);
  if (options.timeoutMs !== undefined) timerMsOption('options.timeoutMs', options.timeoutMs);
  if (options.id !== undefined) nonEmptyStringOption('options.id', options.id);
}

/**
 * Validates a PriorityTaskQueue's options and fills in the defaults.
 *
 * @throws an {@link InvalidOptionError} for a bad option.
 */
export function resolvePriorityTaskQueueOptions(
  options: PriorityTaskQueueOptions | undefined,
): ResolvedPriorityTaskQueueOptions {
  const opts = optionsObject('options', options) as PriorityTaskQueueOptions;
  checkOptionKeys(opts, OPTIONS, 'PriorityTaskQueue');
  const concurrency = concurrencyOption('options.concurrency', opts.concurrency ?? 1);
  const maxQueued = boundOption('options.maxQueued', opts.maxQueued, DEFAULT_MAX_QUEUED, 0, () =>
    warnUnbounded(
      'LOADSTONE_WARN_QUEUE_UNBOUNDED',
      'PriorityTaskQueue with maxQueued: Infinity: tasks can pile up without limit when they are added faster than they run',
    ),
  );
  const closeTimeoutMs = integerOption(
    'options.closeTimeoutMs',
    opts.closeTimeoutMs ?? 30_000,
    0,
    MAX_TIMER_MS,
  );
  const names = opts.priorities ?? DEFAULT_PRIORITIES;
  if (!Array.isArray(names) || names.length === 0) {
    throw new InvalidOptionError('options.priorities', 'a non-empty array of distinct level names', names);
  }
  const levels = new Map<string, number>();
  names.forEach((name, i) => {
    nonEmptyStringOption(`options.priorities[${i}]`, name);
    if (levels.has(name)) {
      throw new InvalidOptionError(`options.priorities[${i}]`, 'a level name not used before', name);
    }
    levels.set(name, names.length - 1 - i);
  });
  const rankOf = (path: string, value: unknown): number => {
    if (typeof value === 'number') return numberOption(path, value);
    const level = oneOfOption(path, value, [...levels.keys()]);
    return levels.get(level) as number;
  };
  const defaultRank =
    opts.defaultPriority === undefined ? 0 : rankOf('options.defaultPriority', opts.defaultPriority);
  const retryOptions = opts.retry === undefined ? undefined : validateRetry('options.retry', opts.retry);
  const timeoutMs = timerMsOption('options.timeoutMs', opts.timeoutMs ?? 0);
  const loadSignal = opts.loadSignal;
  if (loadSignal !== undefined) {
    if (typeof (loadSignal as Partial<LoadSignal> | null)?.subscribe !== 'function') {
      throw new InvalidOptionError('options.loadSignal', 'a LoadSignal', loadSignal);
    }
  }
  const shed = optionsObject('options.shed', opts.shed);
  checkOptionKeys(shed, SHED_OPTIONS, 'shed', {}, 'options.shed');
  const shedRank =
    shed.minPriority === undefined ? names.length - 1 : rankOf('options.shed.minPriority', shed.minPriority);
  const shedAction = oneOfOption('options.shed.action', shed.action ?? 'reject', [
    'reject',
    'defer',
  ] as const);
  const degradedConcurrency =
    shed.degradedConcurrency === undefined
      ? undefined
      : concurrencyOption('options.shed.degradedConcurrency', shed.degradedConcurrency);
  let rateLimit = 0;
  let rateIntervalMs = 0;
  if (opts.rate !== undefined) {
    const rate = optionsObject('options.rate', opts.rate);
    checkOptionKeys(rate, RATE_OPTIONS, 'rate', {}, 'options.rate');
    rateLimit = integerOption('options.rate.limit', rate.limit, 1);
    rateIntervalMs = timerMsOption('options.rate.intervalMs', rate.intervalMs, 1);
  }
  let agingIntervalMs = 0;
  if (opts.aging !== undefined) {
    const aging = optionsObject('options.aging', opts.aging);
    checkOptionKeys(aging, AGING_OPTIONS, 'aging', {}, 'options.aging');
    agingIntervalMs = timerMsOption('options.aging.intervalMs', aging.intervalMs, 1);
  }
  return {
    concurrency,
    maxQueued,
    closeTimeoutMs,
    levels,
    defaultRank,
    defaultPriority: opts.defaultPriority ?? (names[names.length - 1] as string),
    retry: retryOptions,
    timeoutMs,
    loadSignal,
    shedRank,
    shedAction,
    degradedConcurrency,
    rateLimit,
    rateIntervalMs,
    agingIntervalMs,
    clock: clockOption(opts.clock, systemClock),
  };
}
