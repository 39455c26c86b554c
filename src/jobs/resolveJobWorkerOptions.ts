import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  implementationOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { LoadSignal } from '../core/LoadSignal.js';
import type { RateLimiter } from '../resilience/index.js';
import type { JobHandler, JobRateOptions, JobWorkerOptions } from './JobWorkerOptions.js';
import { coreOf, type QueueCore } from './QueueCore.js';

/** @internal */
export type ResolvedJobWorkerOptions<D, R> = {
  readonly core: QueueCore;
  readonly handler: JobHandler<D, R>;
  readonly concurrency: number;
  readonly visibilityTimeoutMs: number;
  readonly timeoutMs: number | undefined;
  readonly pollIntervalMs: number;
  readonly loadSignal: LoadSignal | undefined;
  readonly rate: { readonly limiter: RateLimiter; readonly key: string } | undefined;
  readonly closeTimeoutMs: number;
  readonly sweepLimit: number;
};

const RATE_OPTIONS = optionNames<JobRateOptions>()(['limiter', 'key']);
const KNOWN = optionNames<JobWorkerOptions<unknown, unknown>>()([
  'queue',
  'handler',
  'concurrency',
  'visibilityTimeoutMs',
  'timeoutMs',
  'pollIntervalMs',
  'loadSignal',
  'rate',
  'closeTimeoutMs',
  'sweepLimit',
]);

/** @internal */
export function resolveJobWorkerOptions<D, R>(
  options: JobWorkerOptions<D, R>,
): ResolvedJobWorkerOptions<D, R> {
  const opts = optionsObject('options', options) as JobWorkerOptions<D, R>;
  checkOptionKeys(opts, KNOWN, 'JobWorker', { lockDuration: 'visibilityTimeoutMs' });
  const core = coreOf(opts.queue);
  if (core === undefined) throw new InvalidOptionError('options.queue', 'a JobQueue', opts.queue);
  let rate: ResolvedJobWorkerOptions<D, R>['rate'];
  if (opts.rate !== undefined) {
    const given = optionsObject('options.rate', opts.rate);
    checkOptionKeys(given, RATE_OPTIONS, 'the rate options', {}, 'options.rate');
    rate = {
      limiter: implementationOption<RateLimiter>(
        'options.rate.limiter',
        given.limiter,
        ['limit'],
        'a RateLimiter',
      ),
      key:
        given.key === undefined
          ? `jobs:${core.options.name}`
          : nonEmptyStringOption('options.rate.key', given.key),
    };
  }
  return Object.freeze({
    core,
    handler: functionOption<JobHandler<D, R>>('options.handler', opts.handler),
    concurrency: integerOption('options.concurrency', opts.concurrency ?? 1, 1, 10_000),
    visibilityTimeoutMs: integerOption(
      'options.visibilityTimeoutMs',
      opts.visibilityTimeoutMs ?? 5_000,
      1_000,
      MAX_TIMER_MS,
    ),
    timeoutMs:
      opts.timeoutMs === undefined
        ? undefined
        : integerOption('options.timeoutMs', opts.timeoutMs, 1, MAX_TIMER_MS),
    pollIntervalMs: integerOption('options.pollIntervalMs', opts.pollIntervalMs ?? 1_000, 1, MAX_TIMER_MS),
    loadSignal:
      opts.loadSignal === undefined
        ? undefined
        : implementationOption<LoadSignal>(
            'options.loadSignal',
            opts.loadSignal,
            ['subscribe'],
            'a LoadSignal',
          ),
    rate,
    closeTimeoutMs: integerOption('options.closeTimeoutMs', opts.closeTimeoutMs ?? 30_000, 0, MAX_TIMER_MS),
    sweepLimit: integerOption('options.sweepLimit', opts.sweepLimit ?? 100, 1, 100_000),
  });
}
