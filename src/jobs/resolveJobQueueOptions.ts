// JobQueue's options, checked once and frozen, and the per-job options resolved against them.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  implementationOption,
  integerOption,
  MAX_TIMER_MS,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { jitters } from '../resilience/index.js';
import type {
  AddJobOptions,
  JobBackoffOptions,
  JobQueueOptions,
  KeepCompletedOptions,
} from './JobQueueOptions.js';
import type { JobBackoff, JobStore } from './JobStore.js';
import { MemoryJobStore } from './MemoryJobStore.js';

/** @internal */
export type ResolvedJobQueueOptions = {
  readonly name: string;
  readonly store: JobStore;
  readonly ownsStore: boolean;
  readonly partitions: number;
  readonly priorities: readonly string[];
  readonly defaultPriority: string;
  readonly agingIntervalMs: number;
  readonly attempts: number;
  readonly backoff: JobBackoff;
  readonly keepCompleted: number;
  readonly keepCompletedMs: number;
};

/** A job's options once resolved against its queue's. @internal */
export type ResolvedAddOptions = {
  readonly id: string | undefined;
  readonly key: string | undefined;
  readonly priority: string;
  readonly delayMs: number;
  readonly attempts: number;
  readonly backoff: JobBackoff;
};

const QUEUE_OPTIONS = optionNames<JobQueueOptions>()([
  'name',
  'store',
  'partitions',
  'priorities',
  'defaultPriority',
  'agingIntervalMs',
  'attempts',
  'backoff',
  'keepCompleted',
]);
const ADD_OPTIONS = optionNames<AddJobOptions>()(['id', 'priority', 'delayMs', 'attempts', 'backoff', 'key']);
const BACKOFF_OPTIONS = optionNames<JobBackoffOptions>()(['jitter', 'baseDelayMs', 'maxDelayMs']);
const KEEP_OPTIONS = optionNames<KeepCompletedOptions>()(['count', 'ageMs']);
const DEFAULT_PRIORITIES = Object.freeze(['critical', 'high', 'medium', 'low']);
const DEFAULT_BACKOFF: JobBackoff = Object.freeze({
  jitter: 'full',
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
});
const STORE_METHODS = ['add', 'take', 'extend', 'counts', 'getJob', 'retryDead', 'waitForWork', 'close'];
const MAX_NAME_LENGTH = 256;
const MAX_ID_LENGTH = 1_024;

/** @internal */
export function resolveJobQueueOptions(options: JobQueueOptions): ResolvedJobQueueOptions {
  const opts = optionsObject('options', options) as JobQueueOptions;
  checkOptionKeys(opts, QUEUE_OPTIONS, 'JobQueue');
  const name = stringOption('options.name', opts.name, MAX_NAME_LENGTH);
  const priorities = resolvePriorities(opts.priorities);
  const defaultPriority =
    opts.defaultPriority === undefined
      ? priorities.includes('medium')
        ? 'medium'
        : (priorities.at(-1) as string)
      : oneOfOption('options.defaultPriority', opts.defaultPriority, priorities);
  const keep = optionsObject('options.keepCompleted', opts.keepCompleted);
  checkOptionKeys(keep, KEEP_OPTIONS, 'keepCompleted', {}, 'options.keepCompleted');
  return Object.freeze({
    name,
    store:
      opts.store === undefined
        ? new MemoryJobStore()
        : implementationOption<JobStore>('options.store', opts.store, STORE_METHODS, 'a JobStore'),
    ownsStore: opts.store === undefined,
    partitions: integerOption('options.partitions', opts.partitions ?? 1, 1, 1_024),
    priorities,
    defaultPriority,
    agingIntervalMs: integerOption(
      'options.agingIntervalMs',
      opts.agingIntervalMs ?? 60_000,
      1,
      MAX_TIMER_MS,
    ),
    attempts: integerOption('options.attempts', opts.attempts ?? 3, 1, 1_000),
    backoff: resolveBackoff('options.backoff', opts.backoff, DEFAULT_BACKOFF),
    keepCompleted: integerOption('options.keepCompleted.count', keep.count ?? 1_000, 0),
    keepCompletedMs: integerOption('options.keepCompleted.ageMs', keep.ageMs ?? 86_400_000, 0),
  });
}

/** @internal */
export function resolveAddOptions(
  path: string,
  options: AddJobOptions | undefined,
  queue: ResolvedJobQueueOptions,
): ResolvedAddOptions {
  const opts = optionsObject(path, options) as AddJobOptions;
  checkOptionKeys(opts, ADD_OPTIONS, 'JobQueue.add', {}, path);
  return {
    id: opts.id === undefined ? undefined : stringOption(`${path}.id`, opts.id, MAX_ID_LENGTH),
    key: opts.key === undefined ? undefined : stringOption(`${path}.key`, opts.key, MAX_ID_LENGTH),
    priority:
      opts.priority === undefined
        ? queue.defaultPriority
        : oneOfOption(`${path}.priority`, opts.priority, queue.priorities),
    delayMs: integerOption(`${path}.delayMs`, opts.delayMs ?? 0, 0, MAX_TIMER_MS),
    attempts: integerOption(`${path}.attempts`, opts.attempts ?? queue.attempts, 1, 1_000),
    backoff:
      opts.backoff === undefined
        ? queue.backoff
        : resolveBackoff(`${path}.backoff`, opts.backoff, queue.backoff),
  };
}

function resolveBackoff(
  path: string,
  value: JobBackoffOptions | undefined,
  defaults: JobBackoff,
): JobBackoff {
  const opts = optionsObject(path, value) as JobBackoffOptions;
  checkOptionKeys(opts, BACKOFF_OPTIONS, 'the backoff options', {}, path);
  const baseDelayMs = integerOption(
    `${path}.baseDelayMs`,
    opts.baseDelayMs ?? defaults.baseDelayMs,
    0,
    MAX_TIMER_MS,
  );
  const maxDelayMs = integerOption(
    `${path}.maxDelayMs`,
    opts.maxDelayMs ?? Math.max(defaults.maxDelayMs, baseDelayMs),
    baseDelayMs,
    MAX_TIMER_MS,
  );
  return Object.freeze({
    jitter: oneOfOption(`${path}.jitter`, opts.jitter ?? defaults.jitter, jitters),
    baseDelayMs,
    maxDelayMs,
  });
}

function resolvePriorities(value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_PRIORITIES;
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionError('options.priorities', 'a non-empty array of distinct level names', value);
  }
  for (const [i, level] of value.entries()) stringOption(`options.priorities[${i}]`, level, MAX_NAME_LENGTH);
  if (new Set(value).size !== value.length) {
    throw new InvalidOptionError('options.priorities', 'distinct level names', value);
  }
  return Object.freeze([...value]);
}

function stringOption(path: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidOptionError(path, `a string of 1 to ${maxLength} characters`, value);
  }
  return value;
}
