// Validation and defaults of ConnectionPool options and factories. Internal.
import { type Clock, systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  booleanOption,
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type {
  AdaptiveSizingOptions,
  ConnectionPoolOptions,
  CreatePolicy,
  PoolFactory,
} from './ConnectionPoolOptions.js';

const KNOWN_OPTIONS = optionNames<ConnectionPoolOptions>()([
  'min',
  'max',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'maxWaiters',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'leakDetectionMs',
  'validateOnBorrow',
  'idleValidationIntervalMs',
  'maintenanceIntervalMs',
  'adaptive',
  'degradedAfterTimeouts',
  'createPolicy',
  'clock',
]);
/** Option names of generic-pool and tarn, and what to use instead. */
const RENAMED: Readonly<Record<string, string>> = {
  acquireTimeoutMillis: 'acquireTimeoutMs',
  createTimeoutMillis: 'createTimeoutMs',
  idleTimeoutMillis: 'idleTimeoutMs',
  maxWaitingClients: 'maxWaiters',
  testOnBorrow: 'validateOnBorrow',
  evictionRunIntervalMillis: 'maintenanceIntervalMs',
  reapIntervalMillis: 'maintenanceIntervalMs',
};
const ADAPTIVE_OPTIONS = optionNames<AdaptiveSizingOptions>()([
  'ceiling',
  'floor',
  'step',
  'highWatermark',
  'lowWatermark',
  'intervalMs',
  'growAfter',
  'shrinkAfter',
]);

/** `AdaptiveSizingOptions` with defaults applied, frozen. */
export type ResolvedAdaptive = {
  readonly ceiling: number;
  readonly floor: number;
  readonly step: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly intervalMs: number;
  readonly growAfter: number;
  readonly shrinkAfter: number;
};

/** `ConnectionPoolOptions` with defaults applied, frozen. */
export type ResolvedConnectionPoolOptions = {
  readonly min: number;
  readonly max: number;
  readonly acquireTimeoutMs: number;
  readonly createTimeoutMs: number;
  readonly maxWaiters: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
  readonly leakDetectionMs: number;
  readonly validateOnBorrow: boolean;
  readonly idleValidationIntervalMs: number;
  readonly maintenanceIntervalMs: number;
  readonly adaptive: ResolvedAdaptive | undefined;
  readonly degradedAfterTimeouts: number;
  readonly createPolicy: CreatePolicy | undefined;
  readonly clock: Clock;
};

const FACTORY_OPTIONS = optionNames<PoolFactory<unknown>>()(['create', 'destroy', 'validate']);

/** Checks a factory: `create` is required, `destroy` and `validate` optional. */
export function resolveFactory<T>(factory: PoolFactory<T>): PoolFactory<T> {
  if (factory === undefined) throw new InvalidOptionError('factory', 'an object', factory);
  const f = optionsObject('factory', factory) as PoolFactory<T>;
  checkOptionKeys(f, FACTORY_OPTIONS, 'a pool factory', {}, 'factory');
  functionOption('factory.create', f.create);
  if (f.destroy !== undefined) functionOption('factory.destroy', f.destroy);
  if (f.validate !== undefined) functionOption('factory.validate', f.validate);
  return f;
}

/** Validates `options` and applies the defaults (those documented on `ConnectionPoolOptions`). */
export function resolveOptions(options: ConnectionPoolOptions | undefined): ResolvedConnectionPoolOptions {
  const opts = optionsObject('options', options) as Partial<Record<string, unknown>>;
  checkOptionKeys(opts, KNOWN_OPTIONS, 'ConnectionPoolManager.register', RENAMED);
  const max = integerOption('options.max', opts.max ?? 10, 1);
  const min = integerOption('options.min', opts.min ?? 0, 0, max);
  const ms = (key: string, fallback: number, lowest = 0): number =>
    numberOption(`options.${key}`, opts[key] ?? fallback, lowest, MAX_TIMER_MS);
  const validateOnBorrow = booleanOption('options.validateOnBorrow', opts.validateOnBorrow ?? true);
  const createPolicy = opts.createPolicy as CreatePolicy | undefined;
  if (
    createPolicy !== undefined &&
    (typeof createPolicy !== 'object' || createPolicy === null || typeof createPolicy.execute !== 'function')
  ) {
    throw new InvalidOptionError(
      'options.createPolicy',
      'an object with an execute(fn, signal) method',
      createPolicy,
    );
  }
  const clock = clockOption(opts.clock, systemClock);
  return Object.freeze({
    min,
    max,
    acquireTimeoutMs: ms('acquireTimeoutMs', 0),
    createTimeoutMs: ms('createTimeoutMs', 30_000),
    maxWaiters: integerOption('options.maxWaiters', opts.maxWaiters ?? 0, 0),
    idleTimeoutMs: ms('idleTimeoutMs', 30_000),
    maxLifetimeMs: ms('maxLifetimeMs', 0),
    leakDetectionMs: ms('leakDetectionMs', 0),
    validateOnBorrow,
    idleValidationIntervalMs: ms('idleValidationIntervalMs', 0),
    maintenanceIntervalMs: ms('maintenanceIntervalMs', 1_000, 1),
    adaptive: resolveAdaptive(opts.adaptive, min, max),
    degradedAfterTimeouts: integerOption('options.degradedAfterTimeouts', opts.degradedAfterTimeouts ?? 3, 1),
    createPolicy,
    clock,
  });
}

function resolveAdaptive(value: unknown, min: number, max: number): ResolvedAdaptive | undefined {
  if (value === undefined || value === false) return undefined;
  const a = optionsObject('options.adaptive', value as object) as Partial<Record<string, unknown>>;
  for (const key of Object.keys(a)) {
    if (!ADAPTIVE_OPTIONS.has(key)) {
      throw new InvalidOptionError(
        `options.adaptive.${key}`,
        'absent: it is not an adaptive sizing option',
        a[key],
      );
    }
  }
  if (a.ceiling === undefined) {
    throw new InvalidOptionError('options.adaptive.ceiling', `an integer >= ${max}`, undefined);
  }
  const ceiling = integerOption('options.adaptive.ceiling', a.ceiling, max);
  const floor = integerOption('options.adaptive.floor', a.floor ?? max, Math.max(1, min), max);
  const step = integerOption('options.adaptive.step', a.step ?? Math.max(1, Math.round(max / 4)), 1);
  const highWatermark = numberOption('options.adaptive.highWatermark', a.highWatermark ?? 0.9, 0, 1, true);
  const lowWatermark = numberOption('options.adaptive.lowWatermark', a.lowWatermark ?? 0.3, 0, 1);
  if (lowWatermark >= highWatermark) {
    throw new InvalidOptionError(
      'options.adaptive.lowWatermark',
      `a finite number >= 0 and < highWatermark (${highWatermark})`,
      lowWatermark,
    );
  }
  return Object.freeze({
    ceiling,
    floor,
    step,
    highWatermark,
    lowWatermark,
    intervalMs: numberOption('options.adaptive.intervalMs', a.intervalMs ?? 1_000, 1, MAX_TIMER_MS),
    growAfter: integerOption('options.adaptive.growAfter', a.growAfter ?? 1, 1),
    shrinkAfter: integerOption('options.adaptive.shrinkAfter', a.shrinkAfter ?? 5, 1),
  });
}
