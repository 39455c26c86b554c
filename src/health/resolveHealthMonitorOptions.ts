// Validation of HealthMonitor's options, resolved once in the constructor. validCheck is shared
// with addCheck, which takes the same kind of check after construction.
import { type Clock, systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthCheck } from '../core/HealthCheck.js';
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
import type { HealthMonitorOptions } from './HealthMonitorOptions.js';
import type { HealthSampler } from './HealthSample.js';
import { type ResolvedThresholds, resolveThresholds } from './thresholds.js';

const KNOWN_OPTIONS = optionNames<HealthMonitorOptions>()([
  'name',
  'intervalMs',
  'thresholds',
  'hysteresis',
  'checks',
  'checkTimeoutMs',
  'sampler',
  'clock',
]);
/** Option names of @fastify/under-pressure, toobusy-js and overload-protection, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = {
  sampleInterval: 'intervalMs',
  interval: 'intervalMs',
  maxEventLoopDelay: 'thresholds.eventLoopDelayMs',
  maxLag: 'thresholds.eventLoopDelayMs',
  maxEventLoopUtilization: 'thresholds.eventLoopUtilization',
  maxHeapUsedBytes: 'thresholds.heapUsedRatio',
  maxRssBytes: 'thresholds.rssMb',
  healthCheck: 'checks',
  healthCheckInterval: 'intervalMs',
};

/** The options with defaults filled in, frozen. */
export type ResolvedHealthMonitorOptions = {
  readonly name: string;
  readonly intervalMs: number;
  readonly thresholds: ResolvedThresholds;
  readonly enterAfter: number;
  readonly recoverAfter: number;
  readonly margin: number;
  readonly checks: readonly HealthCheck[];
  readonly checkTimeoutMs: number;
  readonly clock: Clock;
};

/**
 * Validates the options and fills in the defaults. The sampler stays apart: `undefined` means the
 * monitor makes (and owns) a ProcessSampler.
 */
export function resolveHealthMonitorOptions(options: HealthMonitorOptions | undefined): {
  resolved: ResolvedHealthMonitorOptions;
  sampler: HealthSampler | undefined;
} {
  const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
  checkOptionKeys(opts, KNOWN_OPTIONS, 'HealthMonitor', RENAMED);
  const name = nonEmptyStringOption('options.name', opts.name ?? 'health');
  const intervalMs = integerOption('options.intervalMs', opts.intervalMs ?? 1000, 1, MAX_TIMER_MS);
  const thresholds = resolveThresholds(opts.thresholds as HealthMonitorOptions['thresholds']);
  const h = optionsObject(
    'options.hysteresis',
    opts.hysteresis as HealthMonitorOptions['hysteresis'],
  ) as Partial<Record<string, unknown>>;
  for (const key of Object.keys(h)) {
    if (key !== 'enterAfter' && key !== 'recoverAfter' && key !== 'margin') {
      throw new InvalidOptionError(
        `options.hysteresis.${key}`,
        'absent: the hysteresis options are `enterAfter`, `recoverAfter` and `margin`',
        h[key],
      );
    }
  }
  const enterAfter = integerOption('options.hysteresis.enterAfter', h.enterAfter ?? 1, 1);
  const recoverAfter = integerOption('options.hysteresis.recoverAfter', h.recoverAfter ?? 3, 1);
  const margin = numberOption('options.hysteresis.margin', h.margin ?? 0.1, 0, 1);
  if (margin === 1)
    throw new InvalidOptionError('options.hysteresis.margin', 'a finite number >= 0 and < 1', margin);
  const checks = resolveChecks(opts.checks);
  const checkTimeoutMs = integerOption(
    'options.checkTimeoutMs',
    opts.checkTimeoutMs ?? 1000,
    1,
    MAX_TIMER_MS,
  );
  let sampler: HealthSampler | undefined;
  if (opts.sampler !== undefined) {
    functionOption('options.sampler.sample', (opts.sampler as Partial<HealthSampler> | null)?.sample);
    sampler = opts.sampler as HealthSampler;
  }
  const clock = clockOption(opts.clock, systemClock);
  return {
    resolved: Object.freeze({
      name,
      intervalMs,
      thresholds,
      enterAfter,
      recoverAfter,
      margin,
      checks,
      checkTimeoutMs,
      clock,
    }),
    sampler,
  };
}

function resolveChecks(value: unknown): readonly HealthCheck[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new InvalidOptionError('options.checks', 'an array of HealthCheck', value);
  const names = new Set<string>();
  for (const [i, check] of value.entries()) {
    const { name } = validCheck(`options.checks[${i}]`, check);
    if (names.has(name)) {
      throw new InvalidOptionError(`options.checks[${i}].name`, 'a name no other check has', name);
    }
    names.add(name);
  }
  return Object.freeze([...(value as HealthCheck[])]);
}

/** Checks that `check` is a HealthCheck: a non-empty `name` and a `check()` function. */
export function validCheck(path: string, check: unknown): HealthCheck {
  if (typeof check !== 'object' || check === null) {
    throw new InvalidOptionError(path, 'a HealthCheck (`name` and `check()`)', check);
  }
  nonEmptyStringOption(`${path}.name`, (check as Partial<HealthCheck>).name);
  functionOption(`${path}.check`, (check as Partial<HealthCheck>).check);
  return check as HealthCheck;
}
